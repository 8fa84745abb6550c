/**
 * The ONNX Runtime adapter for inference models (the built graphs in esci's cache): sessions are
 * created once per model and reused; int64 token tensors go in, float32 tensors come out. The one
 * other file that imports onnxruntime-node is graph-session.ts, which runs in-memory training graphs.
 */
import { ort } from "./ort.js";
import { cpus } from "node:os";
import { EsciError } from "../errors/index.js";

export interface SessionOptions {
  /** Intra-op threads (default: the number of CPU cores). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin-wait for the next operator (ONNX Runtime's default, true).
   * Spinning saves a thread wake-up per operator when one model runs alone; when several models
   * share a process (search: a bi-encoder and one or two cross-encoders), one session's spinning
   * threads hold the cores the next session needs. Measured 2026-12-06 on 2 cores (docs/search.md):
   * stage 1 + reranking 50 candidates p50 122 → 87 ms and CPU per query 243 → 140 ms with false.
   */
  spinning?: boolean;
}

export interface FloatOutput {
  data: Float32Array;
  dims: number[];
}

/** What the model runner needs from a session: OnnxSession here, or WorkerSession in a worker thread. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, { data: BigInt64Array; dims: number[] }>, output: string): Promise<FloatOutput>;
  release(): Promise<void>;
}

/**
 * ONNX Runtime session config entries. Its CPU SkipLayerNormalization kernel ran about 3× slower
 * than Add + LayerNormalization on a 2-vCPU AVX-512 machine (DistilRoBERTa size, 32 × 64: 43 ms
 * against 15 ms of a 520 ms batch; 1.2× fp32 and 1.3× int8 end to end without it, see
 * bench/results/fusions.md), so the optimizer is told not to fuse them.
 */
export const SESSION_CONFIG = { optimization: { disable_specified_optimizers: "SkipLayerNormFusion" } };

export class OnnxSession implements ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly path: string,
  ) {}

  static async create(path: string, opts: SessionOptions = {}): Promise<OnnxSession> {
    const threads = opts.threads ?? cpus().length;
    if (!Number.isInteger(threads) || threads < 1) throw new EsciError("INVALID_ARGUMENT", `threads must be a positive integer, got ${threads}`);
    try {
      const s = await ort.InferenceSession.create(path, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        extra: opts.spinning === false ? { ...SESSION_CONFIG, session: { intra_op: { allow_spinning: "0" } } } : SESSION_CONFIG,
      });
      return new OnnxSession(s, path);
    } catch (e) {
      throw new EsciError("CORRUPT_FILE", `ONNX Runtime could not load ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Run with int64 [batch, seq] feeds; returns the named float output. */
  async run(feeds: Record<string, { data: BigInt64Array; dims: number[] }>, output: string): Promise<FloatOutput> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor("int64", f.data, f.dims);
    const result = await this.session.run(tensors, [output]);
    const t = result[output];
    const out = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
