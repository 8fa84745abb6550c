/**
 * GraphBuilder: the one place where ONNX graphs are assembled, for inference and (later) training.
 *
 * Model families describe their computation with the small helpers here (`matmul`, `layerNorm`,
 * …); weights are registered as *lazy* initializers (`weight()`), whose bytes are produced only
 * when the graph is written to disk (see export.ts), one tensor at a time, so a 330 MB checkpoint
 * never sits in memory twice. Small constants are inlined in the graph.
 */
import { DataType, type AttributeValue, type GraphProto, type NodeProto, type TensorProto, type ValueInfo } from "./proto.js";

export const MS_DOMAIN = "com.microsoft";

/** A weight whose bytes are computed on demand (read from safetensors, transposed, concatenated…). */
export interface LazyTensor {
  name: string;
  dataType: DataType;
  dims: number[];
  produce(): Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly inline: TensorProto[] = [];
  readonly lazy: LazyTensor[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private readonly names = new Set<string>();

  constructor(readonly name: string) {}

  /** A fresh value name with a readable prefix (e.g. "layer.0.attn/q"). */
  fresh(prefix: string): string {
    let n = `${prefix}_${this.counter++}`;
    while (this.names.has(n)) n = `${prefix}_${this.counter++}`;
    this.names.add(n);
    return n;
  }

  /** Whether `name` is already a value of this graph (an input, a node output, a weight, a constant). */
  has(name: string): boolean {
    return this.names.has(name);
  }

  input(name: string, elemType: DataType, dims: Array<number | string>): string {
    this.inputs.push({ name, elemType, dims });
    this.names.add(name);
    return name;
  }

  output(value: string, name: string, elemType: DataType, dims: Array<number | string>): void {
    // Route through Identity so an output can carry a stable public name.
    this.node("Identity", [value], { outputs: [name] });
    this.outputs.push({ name, elemType, dims });
  }

  /** Add a node; returns its output names (one unless `outputs`/`count` say otherwise). */
  node(
    opType: string,
    inputs: string[],
    opts: { outputs?: string[]; count?: number; attrs?: Record<string, AttributeValue>; domain?: string; prefix?: string } = {},
  ): string[] {
    const outputs = opts.outputs ?? Array.from({ length: opts.count ?? 1 }, () => this.fresh(opts.prefix ?? opType));
    for (const o of outputs) this.names.add(o);
    this.nodes.push({ opType, inputs, outputs, attributes: opts.attrs, domain: opts.domain, name: this.fresh(`n_${opType}`) });
    return outputs;
  }

  /**
   * An If node: `cond` (bool scalar) picks the branch `then` or `otherwise` builds; each returns
   * its output values, same count and element type. The branches' nodes go into their subgraphs;
   * constants and weights they create stay in this graph, which subgraphs read from the outer scope.
   */
  ifElse(cond: string, then: () => string[], otherwise: () => string[], elemType = DataType.FLOAT): string[] {
    const branch = (name: string, build: () => string[]): GraphProto => {
      const start = this.nodes.length;
      const outputs = build();
      return { name: this.fresh(name), nodes: this.nodes.splice(start), initializers: [], inputs: [], outputs: outputs.map((o) => ({ name: o, elemType })) };
    };
    const thenBranch = branch("then", then);
    const elseBranch = branch("else", otherwise);
    if (thenBranch.outputs.length !== elseBranch.outputs.length) throw new Error("If branches must have as many outputs");
    return this.node("If", [cond], { count: thenBranch.outputs.length, attrs: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } } });
  }

  op(opType: string, inputs: string[], attrs?: Record<string, AttributeValue>, domain?: string): string {
    return this.node(opType, inputs, { attrs, domain })[0];
  }

  weight(t: LazyTensor): string {
    if (this.names.has(t.name)) throw new Error(`duplicate initializer ${t.name}`);
    this.names.add(t.name);
    this.lazy.push(t);
    return t.name;
  }

  constF32(values: number[] | Float32Array, dims: number[], prefix = "c"): string {
    const data = Float32Array.from(values);
    return this.constRaw(prefix, DataType.FLOAT, dims, new Uint8Array(data.buffer));
  }

  constI64(values: number[], dims: number[] = [values.length], prefix = "c"): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.constRaw(prefix, DataType.INT64, dims, new Uint8Array(data.buffer));
  }

  constRawInt8(values: Int8Array, dims: number[], prefix = "c"): string {
    return this.constRaw(prefix, DataType.INT8, dims, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  constRawUint8(values: Uint8Array, dims: number[], prefix = "c"): string {
    return this.constRaw(prefix, DataType.UINT8, dims, values);
  }

  private constRaw(prefix: string, dataType: DataType, dims: number[], rawData: Uint8Array): string {
    const name = this.fresh(prefix);
    this.inline.push({ name, dataType, dims, rawData });
    return name;
  }

  // ---- helpers for common ops -------------------------------------------------------------

  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op("Mul", [a, b]);
  }
  matmul(a: string, b: string): string {
    return this.op("MatMul", [a, b]);
  }
  reshape(x: string, shape: number[]): string {
    return this.op("Reshape", [x, this.constI64(shape)]);
  }
  transpose(x: string, perm: number[]): string {
    return this.op("Transpose", [x], { perm });
  }
  /** x[:, index] along `axis` (drops that axis). */
  gatherIndex(x: string, index: number, axis: number): string {
    const idx = this.constRaw("idx", DataType.INT64, [], new Uint8Array(BigInt64Array.of(BigInt(index)).buffer));
    return this.op("Gather", [x, idx], { axis });
  }
  layerNorm(x: string, gamma: string, beta: string, epsilon: number): string {
    return this.op("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: { float: epsilon } });
  }

  toGraphProto(initializers: TensorProto[]): GraphProto {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: [...this.inline, ...initializers],
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }
}
