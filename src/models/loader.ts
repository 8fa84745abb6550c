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
import { quantizeMatMulWeights } from "../onnx/quantize.js";
import { OnnxSession } from "../onnx/session.js";
import { openCheckpoint } from "../safetensors/checkpoint.js";
import { loadTokenizer, type PairTokenizer } from "../tokenizer/index.js";
import { join } from "node:path";
import { buildModelGraph, type ModelTask } from "./build.js";
import { readConfig, type EncoderConfig } from "./config.js";
import { ALL_FUSIONS, type FusionOptions } from "./encoder.js";
import type { ModelFamily } from "./family.js";
import { readSentenceTransformerConfig, type SentenceTransformerConfig } from "./pooling.js";
import { familyFor } from "./registry.js";
import type { TensorSource } from "./weights.js";

export interface LoadOptions {
  revision?: string;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
  /** Which ONNX Runtime fused operators to emit (default: all that keep results exact). */
  fusion?: FusionOptions;
  /** "int8": dynamic int8 quantization of the encoder's MatMul weights (cached like the fp32 graph). */
  quantize?: "int8";
  /** Hub options (cache dir, endpoint, token, offline, download progress). */
  hub?: Omit<ResolveModelOptions, "revision">;
  /** Called while the ONNX graph is written on a cache miss: (weights written, total). */
  onBuildProgress?: (done: number, total: number) => void;
}

export interface LoadedModel {
  /** Where the model files are (a local dir or an HF cache snapshot). */
  dir: string;
  /** The id or path the user gave. */
  id: string;
  config: EncoderConfig;
  family: ModelFamily;
  tokenizer: PairTokenizer;
  session: OnnxSession;
  /** The built ONNX model file (in esci's cache). */
  onnxPath: string;
  outputName: string;
  outputWidth: number;
  st?: SentenceTransformerConfig;
}

function checkpointSource(dir: string): TensorSource & { files: string[]; close(): void } {
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

export async function loadModel(id: string, task: ModelTask, opts: LoadOptions = {}): Promise<LoadedModel> {
  const resolved = await resolveModel(id, { ...opts.hub, revision: opts.revision });
  const dir = resolved.dir;
  const config = readConfig(dir);
  const family = familyFor(config.modelType, join(dir, "config.json"));
  const st = task === "embed" ? readSentenceTransformerConfig(dir) : undefined;
  if (opts.quantize !== undefined && opts.quantize !== "int8") {
    throw new EsciError("INVALID_ARGUMENT", `quantize must be "int8", got "${String(opts.quantize)}"`);
  }
  const fusion = opts.fusion ?? ALL_FUSIONS;

  const source = checkpointSource(dir);
  let onnxDir: string;
  let outputName: string;
  let outputWidth: number;
  try {
    onnxDir = builtModelDir({
      weights: source.files.map((f) => fileDigest(f)),
      config: config.raw,
      task,
      fusion,
      st,
      quantize: opts.quantize ?? null,
    });
    // Built even on a cache hit (cheap: no weights are read) to validate the checkpoint's shapes.
    const built = buildModelGraph(config, family, source, task, fusion, st);
    outputName = built.outputName;
    outputWidth = built.outputWidth;
    // Embeddings and the small head stay float32: they cost little time and most accuracy.
    if (opts.quantize === "int8") quantizeMatMulWeights(built.graph, (name) => name.includes("encoder.layer."));
    if (!isBuilt(onnxDir)) exportGraph(built.graph, onnxDir, { onProgress: opts.onBuildProgress });
  } finally {
    source.close();
  }

  const maxTokens = family.maxTokens(config);
  if (maxTokens < 3) throw new EsciError("CORRUPT_FILE", `${join(dir, "config.json")}: max_position_embeddings ${config.maxPositionEmbeddings} leaves no room for a pair`);
  const tokenizer = await loadTokenizer(dir, { maxPositions: st?.maxSeqLength ? Math.min(st.maxSeqLength, maxTokens) : maxTokens });
  const onnxPath = join(onnxDir, MODEL_FILE);
  const session = await OnnxSession.create(onnxPath, { threads: opts.threads });
  return { dir, id, config, family, tokenizer, session, onnxPath, outputName, outputWidth, st };
}
