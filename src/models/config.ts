/**
 * config.json → a validated, typed encoder description.
 *
 * Only the fields that change the computation are read; each is checked so that a checkpoint we
 * cannot run exactly fails with a sentence naming the field, rather than running wrongly.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";

export type HiddenAct = "gelu" | "gelu_tanh" | "relu" | "silu";

export interface EncoderConfig {
  modelType: string;
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: HiddenAct;
  layerNormEps: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  padTokenId: number;
  initializerRange: number;
  hiddenDropout: number;
  attentionDropout: number;
  classifierDropout: number | null;
  /** Label names in id order; LABEL_i when config has none. */
  id2label: string[];
  problemType?: string;
  /** The parsed JSON as read, for writing checkpoints back. */
  raw: Record<string, unknown>;
}

// HF's ACT2FN names → the exact function they compute.
const ACTIVATIONS: Record<string, HiddenAct> = {
  gelu: "gelu",
  gelu_python: "gelu",
  gelu_new: "gelu_tanh",
  gelu_fast: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  relu: "relu",
  silu: "silu",
  swish: "silu",
};

function int(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(raw[key])}`, { file, field: key });
  }
  return v;
}

function float(raw: Record<string, unknown>, key: string, file: string, fallback: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`, { file, field: key });
  }
  return v;
}

/** Label names in id order from `id2label` ({"0": "exact", …}) or `num_labels`. */
export function parseId2Label(raw: Record<string, unknown>, file: string): string[] {
  const map = raw.id2label as Record<string, unknown> | undefined;
  if (map && typeof map === "object") {
    const n = Object.keys(map).length;
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = map[String(i)];
      if (typeof name !== "string") {
        throw new EsciError("CORRUPT_FILE", `${file}: id2label must map ids 0…${n - 1} to names; id ${i} is missing`, { file, field: "id2label" });
      }
      labels.push(name);
    }
    return labels;
  }
  const n = typeof raw.num_labels === "number" ? raw.num_labels : 2;
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

export function parseConfig(raw: Record<string, unknown>, file = "config.json"): EncoderConfig {
  const modelType = raw.model_type;
  if (typeof modelType !== "string") {
    throw new EsciError("CORRUPT_FILE", `${file}: missing "model_type"`, { file, field: "model_type" });
  }
  const actName = String(raw.hidden_act ?? "gelu");
  const hiddenAct = ACTIVATIONS[actName];
  if (!hiddenAct) {
    throw new EsciError("UNSUPPORTED", `${file}: hidden_act "${actName}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`, { file, field: "hidden_act" });
  }
  const hiddenSize = int(raw, "hidden_size", file);
  const numHeads = int(raw, "num_attention_heads", file);
  if (numHeads === 0 || hiddenSize % numHeads !== 0) {
    throw new EsciError("CORRUPT_FILE", `${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`, { file });
  }
  const pet = raw.position_embedding_type ?? "absolute";
  if (pet !== "absolute") {
    throw new EsciError("UNSUPPORTED", `${file}: position_embedding_type "${String(pet)}" is not supported (only "absolute")`, { file, field: "position_embedding_type" });
  }
  return {
    modelType,
    architectures: Array.isArray(raw.architectures) ? (raw.architectures as string[]) : [],
    vocabSize: int(raw, "vocab_size", file),
    hiddenSize,
    numLayers: int(raw, "num_hidden_layers", file),
    numHeads,
    intermediateSize: int(raw, "intermediate_size", file),
    hiddenAct,
    layerNormEps: float(raw, "layer_norm_eps", file, 1e-12),
    maxPositionEmbeddings: int(raw, "max_position_embeddings", file, 512),
    typeVocabSize: int(raw, "type_vocab_size", file, 2),
    padTokenId: int(raw, "pad_token_id", file, 0),
    initializerRange: float(raw, "initializer_range", file, 0.02),
    hiddenDropout: float(raw, "hidden_dropout_prob", file, 0.1),
    attentionDropout: float(raw, "attention_probs_dropout_prob", file, 0.1),
    classifierDropout: typeof raw.classifier_dropout === "number" ? raw.classifier_dropout : null,
    id2label: parseId2Label(raw, file),
    problemType: typeof raw.problem_type === "string" ? raw.problem_type : undefined,
    raw,
  };
}

export function readConfig(dir: string): EncoderConfig {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new EsciError("NOT_FOUND", `no config.json in ${dir}: is this a Hugging Face model directory?`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EsciError("CORRUPT_FILE", `${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new EsciError("CORRUPT_FILE", `${file} must hold a JSON object`, { file });
  return parseConfig(raw as Record<string, unknown>, file);
}
