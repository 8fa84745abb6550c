/**
 * Model id or path → a ready ONNX Runtime session plus tokenizer and config.
 *
 * hub/ finds the files (local dir, HF cache, or download); config.json picks the family; the graph
 * is built from config + safetensors (no Python, no conversion step) and cached on disk keyed by
 * the weights' content, so only the first load of a checkpoint pays for building.
 */
import { EsciError } from "../errors/index.js";
import { resolveModel, type ResolveModelOptions } from "../hub/resolve.js";
import { builtModelDir, fileDigest, isBuilt } from "../onnx/cache.js";
import { exportGraph, MODEL_FILE } from "../onnx/export.js";
import { int8WeightScheme, quantizeMatMulWeights } from "../onnx/quantize.js";
import { OnnxSession, type ModelSession } from "../onnx/session.js";
import { WorkerSession } from "../onnx/worker-session.js";
import { openCheckpoint } from "../safetensors/checkpoint.js";
import { loadTokenizer, type PairTokenizer } from "../tokenizer/index.js";
import { TokenizerWorker } from "../tokenizer/worker-tokenizer.js";
import { join } from "node:path";
import { buildModelGraph, type ModelTask } from "./build.js";
import { readConfig, type EncoderConfig } from "./config.js";
import { ALL_FUSIONS, INT8_FUSIONS, type FusionOptions } from "./encoder.js";
import type { ModelFamily } from "./family.js";
import { readSentenceTransformerConfig, type SentenceTransformerConfig } from "./pooling.js";
import { familyFor } from "./registry.js";
import type { TensorSource } from "./weights.js";

export interface LoadOptions {
  revision?: string;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
  /** false: idle ONNX Runtime threads sleep instead of spin-waiting — for processes that run several models (onnx/session.ts). */
  spinning?: boolean;
  /** Which ONNX Runtime fused operators to emit (default: ALL_FUSIONS, or INT8_FUSIONS with quantize). */
  fusion?: FusionOptions;
  /** "int8": dynamic int8 quantization of the encoder's MatMul weights (cached like the fp32 graph). */
  quantize?: "int8";
  /** Hub options (cache dir, endpoint, token, offline, download progress). */
  hub?: Omit<ResolveModelOptions, "revision">;
  /**
   * "thread" (default): an ONNX Runtime session on the calling thread. "worker": the session runs
   * in a worker thread (onnxruntime-node's run blocks its thread; a server must keep its event loop
   * free).
   */
  session?: "thread" | "worker";
  /**
   * "thread" (default): tokenize on the calling thread. "worker": also load the tokenizer in a
   * worker thread, which predict and embed then use (a server's event loop stays free).
   */
  tokenizer?: "thread" | "worker";
  /** Texts are cut to this many characters before tokenizing (default DEFAULT_MAX_CHARS; tokenizer/chars.ts). */
  maxChars?: number;
  /** Called while the ONNX graph is written on a cache miss: (weights written, total). */
  onBuildProgress?: (done: number, total: number) => void;
}

export interface LoadedModel extends PreparedModel {
  /** The id or path the user gave. */
  id: string;
  tokenizer: PairTokenizer;
  /** The same tokenizer in a worker thread (LoadOptions.tokenizer "worker"). */
  tokenizerWorker?: TokenizerWorker;
  session: ModelSession;
}

/** The checkpoint in `dir` as a TensorSource (also used by bench/int8-schemes.mjs). */
export function checkpointSource(dir: string): TensorSource & { files: string[]; close(): void } {
  const ckpt = openCheckpoint(dir);
  return {
    description: ckpt.indexFile ?? ckpt.files[0],
    files: ckpt.files,
    has: (n) => ckpt.has(n),
    shape: (n) => [...ckpt.info(n).shape],
    readFloat32: (n) => ckpt.readFloat32(n),
    names: () => ckpt.tensorNames(),
    close: () => ckpt.close(),
  };
}

export interface PreparedModel {
  dir: string;
  config: EncoderConfig;
  family: ModelFamily;
  st?: SentenceTransformerConfig;
  /** The built ONNX model file (in esci's cache). */
  onnxPath: string;
  outputName: string;
  outputWidth: number;
}

/**
 * A model directory → its built ONNX file (from the cache, or built now). No tokenizer and no
 * session: tests and benchmarks use this to run the graph on given token ids.
 */
export function prepareOnnxModel(dir: string, task: ModelTask, opts: Pick<LoadOptions, "fusion" | "quantize" | "onBuildProgress"> = {}): PreparedModel {
  const config = readConfig(dir);
  const family = familyFor(config.modelType, join(dir, "config.json"));
  const st = task === "embed" ? readSentenceTransformerConfig(dir) : undefined;
  if (opts.quantize !== undefined && opts.quantize !== "int8") {
    throw new EsciError("INVALID_ARGUMENT", `quantize must be "int8", got "${String(opts.quantize)}"`);
  }
  const fusion = opts.fusion ?? (opts.quantize === "int8" ? INT8_FUSIONS : ALL_FUSIONS);
  if (opts.quantize === "int8" && fusion.featureMajorRows !== undefined) {
    throw new EsciError("INVALID_ARGUMENT", "fusion.featureMajorRows is float32 only: int8 quantizes MatMuls whose left operand is the activations");
  }
  const source = checkpointSource(dir);
  const int8Weights = opts.quantize === "int8" ? int8WeightScheme() : undefined;
  try {
    const onnxDir = builtModelDir({
      weights: source.files.map((f) => fileDigest(f)),
      config: config.raw,
      task,
      fusion,
      st,
      quantize: opts.quantize ?? null,
      // Only int8 graphs carry it, so float32 graphs keep their cache keys.
      ...(int8Weights !== undefined ? { int8Weights } : {}),
    });
    // Built even on a cache hit (cheap: no weights are read) to validate the checkpoint's shapes.
    const built = buildModelGraph(config, family, source, task, fusion, st);
    // Embeddings and the small head stay float32: they cost little time and most accuracy.
    if (opts.quantize === "int8") quantizeMatMulWeights(built.graph, (name) => family.isBlockWeight(name), int8Weights);
    if (!isBuilt(onnxDir)) exportGraph(built.graph, onnxDir, { onProgress: opts.onBuildProgress });
    return { dir, config, family, st, onnxPath: join(onnxDir, MODEL_FILE), outputName: built.outputName, outputWidth: built.outputWidth };
  } finally {
    source.close();
  }
}

export async function loadModel(id: string, task: ModelTask, opts: LoadOptions = {}): Promise<LoadedModel> {
  const resolved = await resolveModel(id, { ...opts.hub, revision: opts.revision });
  const prepared = prepareOnnxModel(resolved.dir, task, opts);
  const { config, family } = prepared;
  const maxTokens = family.maxTokens(config);
  if (maxTokens < 3) {
    throw new EsciError("CORRUPT_FILE", `${join(prepared.dir, "config.json")}: max_position_embeddings ${config.maxPositionEmbeddings} leaves no room for a pair`);
  }
  const tokenizer = await loadTokenizer(prepared.dir, { maxPositions: maxTokens, maxChars: opts.maxChars });
  const tokenizerWorker = opts.tokenizer === "worker" ? await TokenizerWorker.start(tokenizer.origin) : undefined;
  try {
    const session: ModelSession =
      opts.session === "worker"
        ? await WorkerSession.start({ onnxPath: prepared.onnxPath, threads: opts.threads, spinning: opts.spinning })
        : await OnnxSession.create(prepared.onnxPath, { threads: opts.threads, spinning: opts.spinning });
    return { ...prepared, id, tokenizer, tokenizerWorker, session };
  } catch (e) {
    await tokenizerWorker?.release();
    throw e;
  }
}

/** Ends what loadModel started: the tokenizer worker, if any, and the session. */
export async function releaseModel(model: Pick<LoadedModel, "tokenizerWorker" | "session">): Promise<void> {
  await model.tokenizerWorker?.release();
  await model.session.release();
}
