/**
 * Static shape inference over a GraphBuilder's nodes, with symbolic dimensions.
 *
 * Why: gradient rules must know ranks and which axes were broadcast (a bias [H] added to (B,T,H)
 * gets its gradient summed over B and T), and they want constant shapes where a dimension is a
 * known number (a weight's), so ONNX Runtime can fold them. Model graphs have symbolic inputs
 * ("batch", "sequence"); dimensions flow through as those names, unknown ones become fresh
 * "?n" symbols. Only the ops that esci's model graphs and gradient rules use are covered; any
 * other op is an error naming it, never a silent guess.
 */
import type { GraphBuilder } from "../onnx/graph.js";
import { DataType, type AttributeValue, type NodeProto, type TensorProto } from "../onnx/proto.js";

export type Dim = number | string;

export interface ValueType {
  elemType: DataType;
  dims: Dim[];
}

export const isFloatType = (t: DataType): boolean => t === DataType.FLOAT || t === DataType.DOUBLE;

/** Reads the numbers of a small inline constant (int64, int32, float, double, bool as 0/1). */
export function constantValues(t: TensorProto): number[] | undefined {
  if (!t.rawData) return undefined;
  const copy = t.rawData.slice(); // own, aligned buffer
  switch (t.dataType) {
    case DataType.INT64:
      return Array.from(new BigInt64Array(copy.buffer), (v) => Number(v));
    case DataType.INT32:
      return Array.from(new Int32Array(copy.buffer));
    case DataType.FLOAT:
      return Array.from(new Float32Array(copy.buffer));
    case DataType.DOUBLE:
      return Array.from(new Float64Array(copy.buffer));
    case DataType.BOOL:
    case DataType.UINT8:
      return Array.from(copy);
    default:
      return undefined;
  }
}

export function attr<T extends AttributeValue>(node: NodeProto, name: string, fallback: T): T;
export function attr<T extends AttributeValue>(node: NodeProto, name: string): T | undefined;
export function attr<T extends AttributeValue>(node: NodeProto, name: string, fallback?: T): T | undefined {
  const v = node.attributes?.[name];
  return v === undefined ? fallback : (v as T);
}

/** Numpy broadcasting of symbolic shapes (a symbol meets a number ≠ 1: the number wins). */
export function broadcastDims(a: Dim[], b: Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (typeof x === "number") out.push(x);
    else out.push(y === x || typeof y === "string" ? x : y);
  }
  return out;
}

export class ShapeTable {
  private readonly types = new Map<string, ValueType>();
  /** Known contents of small int tensors: inline constants and Shape() outputs (symbolic). */
  private readonly values = new Map<string, Dim[]>();
  private unknown = 0;

  constructor(g: GraphBuilder) {
    for (const i of g.inputs) {
      if (!i.dims) throw new Error(`graph input ${i.name} has no shape`);
      this.types.set(i.name, { elemType: i.elemType, dims: [...i.dims] });
    }
    for (const t of g.lazy) this.types.set(t.name, { elemType: t.dataType, dims: [...t.dims] });
    for (const t of g.inline) {
      this.types.set(t.name, { elemType: t.dataType, dims: [...t.dims] });
      const v = constantValues(t);
      if (v && v.length <= 64) this.values.set(t.name, v);
    }
    for (const n of g.nodes) this.infer(n);
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  get(name: string): ValueType {
    const t = this.types.get(name);
    if (!t) throw new Error(`shape inference: no type for value "${name}"`);
    return t;
  }

  /** The constant contents of `name`, when known (numbers, or symbols for Shape outputs). */
  value(name: string): Dim[] | undefined {
    return this.values.get(name);
  }

  private fresh(): string {
    return `?${this.unknown++}`;
  }

  private set(name: string, elemType: DataType, dims: Dim[]): void {
    this.types.set(name, { elemType, dims });
  }

  private ints(name: string, node: NodeProto): number[] {
    const v = this.values.get(name);
    if (!v || v.some((d) => typeof d !== "number")) throw new Error(`shape inference: ${node.opType} ${node.name}: input "${name}" must be a constant`);
    return v as number[];
  }

  infer(node: NodeProto): void {
    const x = node.inputs[0] ? this.types.get(node.inputs[0]) : undefined;
    const out = node.outputs;
    const same = () => this.set(out[0], x!.elemType, [...x!.dims]);
    switch (node.opType) {
      case "Identity":
      case "Erf":
      case "Tanh":
      case "Relu":
      case "Sigmoid":
      case "Exp":
      case "Neg":
      case "Sqrt":
      case "Abs":
      case "Cos":
      case "Sin":
      case "Not":
      case "Softmax":
      case "LogSoftmax":
      case "CumSum":
        return same();
      case "Cast":
        return this.set(out[0], attr<number>(node, "to")! as DataType, [...x!.dims]);
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Pow":
      case "Max":
      case "Min":
      case "Equal":
      case "Greater":
      case "Less":
      case "LessOrEqual":
      case "And": {
        const b = this.get(node.inputs[1]);
        const elem = ["Equal", "Greater", "Less", "LessOrEqual", "And"].includes(node.opType) ? DataType.BOOL : x!.elemType;
        return this.set(out[0], elem, broadcastDims(x!.dims, b.dims));
      }
      case "Sum": {
        let dims = x!.dims;
        for (const i of node.inputs.slice(1)) dims = broadcastDims(dims, this.get(i).dims);
        return this.set(out[0], x!.elemType, dims);
      }
      case "Where": {
        const a = this.get(node.inputs[1]);
        const b = this.get(node.inputs[2]);
        return this.set(out[0], a.elemType, broadcastDims(x!.dims, broadcastDims(a.dims, b.dims)));
      }
      case "MatMul": {
        const b = this.get(node.inputs[1]);
        const [ra, rb] = [x!.dims.length, b.dims.length];
        if (ra < 2 || rb < 2) throw new Error(`shape inference: MatMul ${node.name}: 1-D operands are not supported`);
        const batch = broadcastDims(x!.dims.slice(0, -2), b.dims.slice(0, -2));
        return this.set(out[0], x!.elemType, [...batch, x!.dims[ra - 2], b.dims[rb - 1]]);
      }
      case "Transpose": {
        const r = x!.dims.length;
        const perm = attr<number[]>(node, "perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
        return this.set(out[0], x!.elemType, perm.map((p) => x!.dims[p]));
      }
      case "Reshape": {
        const shape = this.values.get(node.inputs[1]);
        if (!shape) return this.set(out[0], x!.elemType, []); // rank unknown: nothing downstream may need it
        const dims: Dim[] = shape.map((d, i) => (d === 0 ? x!.dims[i] : d));
        const inferred = dims.indexOf(-1);
        if (inferred >= 0) {
          const known = dims.filter((_, i) => i !== inferred);
          const total = x!.dims.every((d) => typeof d === "number") ? (x!.dims as number[]).reduce((a, b) => a * b, 1) : undefined;
          const rest = known.every((d) => typeof d === "number") ? (known as number[]).reduce((a, b) => a * b, 1) : undefined;
          dims[inferred] = total !== undefined && rest ? total / rest : this.fresh();
        }
        return this.set(out[0], x!.elemType, dims);
      }
      case "Unsqueeze": {
        const axes = this.ints(node.inputs[1], node);
        const r = x!.dims.length + axes.length;
        const norm = axes.map((a) => (a < 0 ? a + r : a));
        const dims: Dim[] = [];
        let j = 0;
        for (let i = 0; i < r; i++) dims.push(norm.includes(i) ? 1 : x!.dims[j++]);
        this.set(out[0], x!.elemType, dims);
        const v = this.values.get(node.inputs[0]);
        if (v) this.values.set(out[0], v);
        return;
      }
      case "Squeeze": {
        const r = x!.dims.length;
        const axes = node.inputs[1] ? this.ints(node.inputs[1], node).map((a) => (a < 0 ? a + r : a)) : x!.dims.flatMap((d, i) => (d === 1 ? [i] : []));
        return this.set(out[0], x!.elemType, x!.dims.filter((_, i) => !axes.includes(i)));
      }
      case "Gather": {
        const idx = this.get(node.inputs[1]);
        const r = x!.dims.length;
        let axis = attr<number>(node, "axis", 0);
        if (axis < 0) axis += r;
        return this.set(out[0], x!.elemType, [...x!.dims.slice(0, axis), ...idx.dims, ...x!.dims.slice(axis + 1)]);
      }
      case "LayerNormalization": {
        const r = x!.dims.length;
        let axis = attr<number>(node, "axis", -1);
        if (axis < 0) axis += r;
        same();
        const stat = x!.dims.map((d, i) => (i < axis ? d : 1));
        if (out[1]) this.set(out[1], DataType.FLOAT, stat);
        if (out[2]) this.set(out[2], DataType.FLOAT, [...stat]);
        return;
      }
      case "Shape": {
        const r = x!.dims.length;
        const norm = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
        const start = norm(attr<number>(node, "start", 0));
        const end = norm(attr<number>(node, "end", r));
        const v = x!.dims.slice(start, end);
        this.set(out[0], DataType.INT64, [v.length]);
        this.values.set(out[0], v);
        return;
      }
      case "Size":
        return this.set(out[0], DataType.INT64, []);
      case "Slice": {
        const starts = this.values.get(node.inputs[1]);
        const ends = this.values.get(node.inputs[2]);
        const r = x!.dims.length;
        const axes = node.inputs[3] ? this.ints(node.inputs[3], node) : starts?.map((_, i) => i);
        const dims = [...x!.dims];
        if (!starts || !ends || !axes) {
          for (let i = 0; i < r; i++) dims[i] = this.fresh();
        } else {
          axes.forEach((a0, k) => {
            const a = a0 < 0 ? a0 + r : a0;
            const s = starts[k];
            const e = ends[k];
            const d = dims[a];
            if (s === 0 && typeof e === "string") dims[a] = e; // rows 0…T-1 of a table longer than T
            else if (typeof s === "number" && typeof e === "number" && typeof d === "number") {
              const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
              dims[a] = Math.max(0, clamp(e) - clamp(s));
            } else dims[a] = this.fresh();
          });
        }
        return this.set(out[0], x!.elemType, dims);
      }
      case "ConstantOfShape": {
        const shape = this.values.get(node.inputs[0]);
        const value = attr<AttributeValue>(node, "value") as TensorProto | undefined;
        const dims = shape ?? Array.from({ length: Number(this.get(node.inputs[0]).dims[0]) }, () => this.fresh());
        return this.set(out[0], value?.dataType ?? DataType.FLOAT, [...dims]);
      }
      case "Expand": {
        const shape = this.values.get(node.inputs[1]);
        return this.set(out[0], x!.elemType, shape ? broadcastDims(x!.dims, shape) : x!.dims.map(() => this.fresh()));
      }
      case "Dropout":
        same();
        if (out[1]) this.set(out[1], DataType.BOOL, [...x!.dims]);
        return;
      case "SoftmaxCrossEntropyLoss": {
        const reduction = attr<string>(node, "reduction", "mean");
        this.set(out[0], x!.elemType, reduction === "none" ? [x!.dims[0]] : []);
        if (out[1]) this.set(out[1], x!.elemType, [...x!.dims]);
        return;
      }
      case "ReduceSum":
      case "ReduceMean":
      case "ReduceMax":
      case "ReduceL2": {
        const r = x!.dims.length;
        const axesList = node.opType === "ReduceSum" ? (node.inputs[1] ? this.ints(node.inputs[1], node) : undefined) : attr<number[]>(node, "axes");
        const axes = (axesList ?? x!.dims.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
        const keep = attr<number>(node, "keepdims", 1) === 1;
        const dims = keep ? x!.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x!.dims.filter((_, i) => !axes.includes(i));
        return this.set(out[0], x!.elemType, dims);
      }
      case "Concat": {
        const r = x!.dims.length;
        let axis = attr<number>(node, "axis")!;
        if (axis < 0) axis += r;
        const parts = node.inputs.map((i) => this.get(i).dims[axis]);
        const dims = [...x!.dims];
        dims[axis] = parts.every((d) => typeof d === "number") ? (parts as number[]).reduce((a, b) => a + b, 0) : this.fresh();
        return this.set(out[0], x!.elemType, dims);
      }
      case "Pad":
        return this.set(out[0], x!.elemType, x!.dims.map(() => this.fresh()));
      case "Range":
        return this.set(out[0], x!.elemType, [this.fresh()]);
      case "OneHot": {
        const depth = this.values.get(node.inputs[1])?.[0] ?? this.fresh();
        return this.set(out[0], this.get(node.inputs[2]).elemType, [...x!.dims, depth]);
      }
      case "ScatterND":
      case "ScatterElements":
        return same();
      case "Conv":
      case "ConvTranspose": {
        // 1-D, length-preserving (odd kernel, pads (K−1)/2, stride 1): (B, out channels, T)
        const w = this.get(node.inputs[1]).dims;
        return this.set(out[0], x!.elemType, [x!.dims[0], node.opType === "Conv" ? w[0] : w[1], x!.dims[2]]);
      }
      case "GatherElements":
        return this.set(out[0], x!.elemType, [...this.get(node.inputs[1]).dims]);
      default:
        throw new Error(`shape inference: op ${node.opType} (node ${node.name}) is not supported`);
    }
  }
}
