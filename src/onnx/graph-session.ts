/**
 * Runs an in-memory GraphBuilder graph on ONNX Runtime: training graphs, evaluation graphs and
 * the gradient checks' one-op graphs.
 *
 * Why not session.ts: that adapter serves inference models written to esci's cache (int64
 * token feeds, one float output). Training graphs have no initializers to write — every weight is
 * a graph input fed from the trainer's Float32Arrays — so they are serialized straight to bytes,
 * and a run takes float, int64 and bool feeds and returns many outputs (the loss and one gradient
 * per weight).
 */
import { ort } from "./ort.js";
import { cpus } from "node:os";
import { IR_VERSION, OPSET } from "./export.js";
import type { GraphBuilder } from "./graph.js";
import { encodeModel } from "./proto.js";

export type FeedData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export interface Feed {
  data: FeedData;
  dims: readonly number[];
  /** Needed for Uint8Array feeds: "bool" (default) or "uint8". */
  type?: "bool" | "uint8";
}

export interface Output {
  data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
  dims: number[];
}

export interface GraphSessionOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** ONNX Runtime graph optimizations (default "all"; the gradient checks use "disabled"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * ONNX Runtime's memory pattern planning (default on): one block sized for every intermediate
   * tensor of a run, planned per input shape. A training step's intermediates are most of its
   * memory, and at DistilRoBERTa size the planned block cost ~1 GB more resident memory than
   * allocating tensor by tensor from the arena, for no speed gain; the trainer turns it off.
   */
  memoryPattern?: boolean;
}

/** The ModelProto bytes of `g` (it must have no lazy initializers left). */
export function serializeGraph(g: GraphBuilder): Uint8Array {
  if (g.lazy.length) throw new Error(`serializeGraph: ${g.lazy.length} lazy initializers left (e.g. ${g.lazy[0].name}); make them inputs first`);
  return encodeModel({
    irVersion: IR_VERSION,
    opsets: [
      { domain: "", version: OPSET },
      { domain: "com.microsoft", version: 1 },
    ],
    producerName: "esci",
    producerVersion: "0",
    graph: g.toGraphProto([]),
  });
}

function tensorOf(f: Feed): ort.Tensor {
  const d = f.data;
  const dims = [...f.dims];
  if (d instanceof Float32Array) return new ort.Tensor("float32", d, dims);
  if (d instanceof Float64Array) return new ort.Tensor("float64", d, dims);
  if (d instanceof BigInt64Array) return new ort.Tensor("int64", d, dims);
  return new ort.Tensor(f.type ?? "bool", d, dims);
}

export class GraphSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(g: GraphBuilder | Uint8Array, opts: GraphSessionOptions = {}): Promise<GraphSession> {
    const bytes = g instanceof Uint8Array ? g : serializeGraph(g);
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: opts.threads ?? cpus().length,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: opts.optimization ?? "all",
      enableMemPattern: opts.memoryPattern ?? true,
    });
    return new GraphSession(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs with `feeds`; returns the requested outputs (all when omitted). Outputs named in `into`
   * are written into those buffers (which must have the output's size) instead of new ones, so
   * a trainer's gradient buffers are reused from step to step.
   */
  async run(feeds: Record<string, Feed>, outputs?: readonly string[], into: Record<string, Feed> = {}): Promise<Record<string, Output>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = tensorOf(f);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of outputs ?? this.session.outputNames) fetches[name] = into[name] ? tensorOf(into[name]) : null;
    const result = await this.session.run(tensors, fetches);
    const out: Record<string, Output> = {};
    for (const [name, t] of Object.entries(result)) out[name] = { data: t.data as Output["data"], dims: t.dims.map(Number) };
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
