/**
 * Checkpoint tensors → graph initializers, with the layout changes ONNX needs.
 *
 * Hugging Face stores nn.Linear weights as [out, in]; the graph multiplies activations [.., in]
 * by a [in, out] matrix, so linear weights are transposed when the graph is written (lazily, one
 * tensor at a time). Initializer names keep the checkpoint's names (with ":T" for a transpose),
 * so a graph initializer can always be traced back to the tensor it came from — the trainer uses
 * this to write gradients' results back into a Hugging Face checkpoint.
 */
import { EsciError } from "../errors/index.js";
import type { GraphBuilder } from "../onnx/graph.js";
import { DataType } from "../onnx/proto.js";

/** What the model builders need from a checkpoint (safetensors, single file or sharded). */
export interface TensorSource {
  /** Path(s) for error messages. */
  readonly description: string;
  has(name: string): boolean;
  shape(name: string): number[];
  readFloat32(name: string): Float32Array;
  names(): string[];
}

/** How a graph initializer was derived from checkpoint tensors. */
export interface InitializerOrigin {
  initializer: string;
  sources: string[];
  transform: "none" | "transpose" | "concat" | "concat-transpose" | "row";
  /** For "row": which row of the 2-D source tensor the initializer is. */
  row?: number;
}

export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
  }
  return out;
}

export class Weights {
  readonly origins: InitializerOrigin[] = [];

  constructor(
    readonly source: TensorSource,
    /** e.g. "roberta." for RobertaForSequenceClassification, "" for a bare RobertaModel. */
    readonly prefix: string,
  ) {}

  /** Full tensor name, accepting the old LayerNorm gamma/beta spelling as HF's loader does. */
  resolve(name: string, optional = false): string | undefined {
    const candidates = [name];
    if (name.endsWith("LayerNorm.weight")) candidates.push(name.replace(/weight$/, "gamma"));
    if (name.endsWith("LayerNorm.bias")) candidates.push(name.replace(/bias$/, "beta"));
    for (const c of candidates) if (this.source.has(c)) return c;
    if (optional) return undefined;
    throw new EsciError("CORRUPT_FILE", `tensor "${name}" is missing from ${this.source.description}`, { tensor: name });
  }

  has(name: string): boolean {
    return this.resolve(name, true) !== undefined;
  }

  private checkShape(name: string, expected: number[]): void {
    const got = this.source.shape(name);
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
      throw new EsciError(
        "CORRUPT_FILE",
        `tensor "${name}" in ${this.source.description} has shape [${got}] but config.json implies [${expected}]`,
        { tensor: name },
      );
    }
  }

  /**
   * Registers the float initializer `origin.initializer` with `dims`, its bytes from `produce`,
   * once per graph: a weight both branches of an If read is asked for twice and stored once.
   */
  private register(g: GraphBuilder, origin: InitializerOrigin, dims: number[], produce: () => Float32Array): string {
    if (g.has(origin.initializer)) return origin.initializer;
    this.origins.push(origin);
    return g.weight({ name: origin.initializer, dataType: DataType.FLOAT, dims, produce });
  }

  /** A tensor used as stored (embeddings tables, LayerNorm parameters, biases). */
  tensor(g: GraphBuilder, name: string, dims: number[]): string {
    const full = this.resolve(name)!;
    this.checkShape(full, dims);
    return this.register(g, { initializer: full, sources: [full], transform: "none" }, dims, () => this.source.readFloat32(full));
  }

  /** An nn.Linear weight [out, in] as the [in, out] right operand of MatMul. */
  linearT(g: GraphBuilder, name: string, inDim: number, outDim: number): string {
    const full = this.resolve(name)!;
    this.checkShape(full, [outDim, inDim]);
    return this.register(g, { initializer: `${full}:T`, sources: [full], transform: "transpose" }, [inDim, outDim], () =>
      transpose2d(this.source.readFloat32(full), outDim, inDim),
    );
  }

  /** Several nn.Linear weights [out_i, in] side by side as one [in, Σ out_i] matrix (fused QKV). */
  concatLinearT(g: GraphBuilder, names: string[], inDim: number, outDim: number, initName: string): string {
    const fulls = names.map((n) => this.resolve(n)!);
    for (const f of fulls) this.checkShape(f, [outDim, inDim]);
    const k = fulls.length;
    return this.register(g, { initializer: initName, sources: fulls, transform: "concat-transpose" }, [inDim, k * outDim], () => {
      const out = new Float32Array(inDim * k * outDim);
      fulls.forEach((f, j) => {
        const w = this.source.readFloat32(f); // [outDim, inDim]
        for (let o = 0; o < outDim; o++)
          for (let i = 0; i < inDim; i++) out[i * k * outDim + j * outDim + o] = w[o * inDim + i];
      });
      return out;
    });
  }

  /**
   * Several tensors of the same shape [n, …] stacked along their first axis into one [k·n, …]:
   * bias vectors into one fused bias, nn.Linear weights [out, in] into one [Σ out, in] weight.
   */
  concatRows(g: GraphBuilder, names: string[], dims: number[], initName: string): string {
    const fulls = names.map((x) => this.resolve(x)!);
    for (const f of fulls) this.checkShape(f, dims);
    const size = dims.reduce((a, b) => a * b, 1);
    return this.register(g, { initializer: initName, sources: fulls, transform: "concat" }, [fulls.length * dims[0], ...dims.slice(1)], () => {
      const out = new Float32Array(fulls.length * size);
      fulls.forEach((f, j) => out.set(this.source.readFloat32(f), j * size));
      return out;
    });
  }

  /** Row `row` of a 2-D table as a [cols] vector (e.g. RoBERTa's single token-type embedding). */
  tableRow(g: GraphBuilder, name: string, dims: [number, number], row: number): string {
    const full = this.resolve(name)!;
    this.checkShape(full, dims);
    return this.register(g, { initializer: `${full}[${row}]`, sources: [full], transform: "row", row }, [dims[1]], () =>
      this.source.readFloat32(full).slice(row * dims[1], (row + 1) * dims[1]),
    );
  }
}
