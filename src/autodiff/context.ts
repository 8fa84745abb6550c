/**
 * What a gradient rule may do: emit ONNX nodes into the graph being differentiated, read the
 * static (symbolic) shapes of forward values, make constants of the graph's float type, and
 * sum a broadcast gradient back to an operand's shape.
 *
 * The float type is a parameter (float32 for training, float64 in the finite-difference tests,
 * where float32 rounding would hide a wrong rule), so rules never write float32 constants
 * directly. Shapes that are all numbers become int64 constants, which ONNX Runtime folds.
 */
import type { AttributeValue, NodeProto } from "../onnx/proto.js";
import { DataType } from "../onnx/proto.js";
import type { GraphBuilder } from "../onnx/graph.js";
import type { Dim, ShapeTable, ValueType } from "./shapes.js";

export class GradContext {
  constructor(
    readonly g: GraphBuilder,
    readonly shapes: ShapeTable,
    /** FLOAT or DOUBLE: the type of every differentiable value in the graph. */
    readonly dtype: DataType,
  ) {}

  type(value: string): ValueType {
    return this.shapes.get(value);
  }

  dims(value: string): Dim[] {
    return this.shapes.get(value).dims;
  }

  rank(value: string): number {
    return this.dims(value).length;
  }

  /** One gradient node; returns its (first) output. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttributeValue>): string {
    return this.g.node(opType, inputs, { attrs, prefix: `grad_${opType}` })[0];
  }

  /** A float constant of the graph's type. */
  constant(values: number[], dims: number[] = []): string {
    if (this.dtype === DataType.FLOAT) return this.g.constF32(values, dims, "gc");
    const data = Float64Array.from(values);
    const name = this.g.fresh("gc");
    this.g.inline.push({ name, dataType: DataType.DOUBLE, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  scalar(value: number): string {
    return this.constant([value], []);
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    return this.g.constI64(values, dims, "gi");
  }

  /** The shape of `value` as an int64 vector: a constant when every dimension is a number. */
  shapeOf(value: string): string {
    const dims = this.dims(value);
    if (dims.every((d) => typeof d === "number")) return this.ints(dims as number[]);
    return this.op("Shape", [value]);
  }

  /** Zeros shaped like `value`, of the graph's float type. */
  zerosLike(value: string): string {
    const zero = { name: "zero", dataType: this.dtype, dims: [1], rawData: new Uint8Array(this.dtype === DataType.FLOAT ? 4 : 8) };
    return this.op("ConstantOfShape", [this.shapeOf(value)], { value: zero });
  }

  /**
   * A forward node's first `n` outputs, adding the optional ones it did not emit (e.g. the mean and
   * inverse standard deviation LayerNormalization saves for its gradient, or Dropout's mask).
   */
  outputsOf(node: NodeProto, n: number): string[] {
    while (node.outputs.length < n) node.outputs.push(this.g.fresh(`${node.opType}_saved`));
    this.shapes.infer(node);
    return node.outputs.slice(0, n);
  }

  /**
   * Sums `grad` (shaped like a broadcast result, `gradDims`) down to the shape of `target`: over
   * the leading axes `target` lacks and the axes where `target` has size 1 (numpy broadcasting
   * in reverse).
   */
  reduceTo(grad: string, gradDims: Dim[], target: string): string {
    const t = this.dims(target);
    const lead = gradDims.length - t.length;
    if (lead < 0) throw new Error(`reduceTo: gradient rank ${gradDims.length} < target rank ${t.length} (${target})`);
    const axes: number[] = [];
    for (let i = 0; i < gradDims.length; i++) {
      if (i < lead || (t[i - lead] === 1 && gradDims[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return grad;
    const summed = this.op("ReduceSum", [grad, this.ints(axes)], { keepdims: 1 });
    return lead > 0 ? this.op("Reshape", [summed, this.shapeOf(target)]) : summed;
  }

  /** Swap the last two axes (the transpose a batched MatMul's gradient needs). */
  transposeLast2(value: string): string {
    const r = this.rank(value);
    const perm = Array.from({ length: r }, (_, i) => i);
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return this.op("Transpose", [value], { perm });
  }
}

/**
 * A gradient rule: the gradients of `node`'s inputs from those of its outputs. `dy[i]` is the
 * gradient of output i (undefined when none flows back to it); `needs[i]` says whether input i
 * wants one. Returns one entry per input, undefined where there is no gradient.
 */
export type GradRule = (
  ctx: GradContext,
  node: NodeProto,
  dy: ReadonlyArray<string | undefined>,
  needs: readonly boolean[],
) => Array<string | undefined>;
