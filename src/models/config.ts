/**
 * config.json → a validated, typed encoder description.
 *
 * Only the fields that change the computation are read; each is checked so that a checkpoint we
 * cannot run exactly fails with a sentence naming the field, rather than running wrongly.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { familyFor } from "./registry.js";

export type HiddenAct = "gelu" | "gelu_tanh" | "relu" | "silu" | "tanh";

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
  /** The family's own fields (ModelFamily.parseExtra), e.g. ModernBERT's rotary thetas. */
  extra: Record<string, unknown>;
  /** The parsed JSON as read, for writing checkpoints back. */
  raw: Record<string, unknown>;
}

/** EncoderConfig fields whose config.json key a family may rename or fix. */
type KeyedField =
  | "hiddenSize"
  | "numLayers"
  | "numHeads"
  | "intermediateSize"
  | "hiddenAct"
  | "layerNormEps"
  | "typeVocabSize"
  | "hiddenDropout"
  | "attentionDropout"
  | "classifierDropout";

/**
 * Where a family's config.json keeps a field, when not under BERT's key: another key (a string),
 * another key with another default (`{ key, fallback }`), or a value the family's code fixes (a number).
 */
export type ConfigKeys = Partial<Record<KeyedField, string | number | { key: string; fallback: number }>>;

/** BERT's keys and defaults (HF BertConfig), which every family starts from. */
const BERT_KEYS: Record<KeyedField, { key: string; fallback?: number }> = {
  hiddenSize: { key: "hidden_size" },
  numLayers: { key: "num_hidden_layers" },
  numHeads: { key: "num_attention_heads" },
  intermediateSize: { key: "intermediate_size" },
  hiddenAct: { key: "hidden_act" },
  layerNormEps: { key: "layer_norm_eps", fallback: 1e-12 },
  typeVocabSize: { key: "type_vocab_size", fallback: 2 },
  hiddenDropout: { key: "hidden_dropout_prob", fallback: 0.1 },
  attentionDropout: { key: "attention_probs_dropout_prob", fallback: 0.1 },
  classifierDropout: { key: "classifier_dropout" },
};

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
  tanh: "tanh",
};

/** The activation config.json's `key` names (HF ACT2FN, default "gelu"), as esci computes it. */
export function activationField(raw: Record<string, unknown>, key: string, file: string): HiddenAct {
  const name = String(raw[key] ?? "gelu");
  const act = ACTIVATIONS[name];
  if (!act) throw new EsciError("UNSUPPORTED", `${file}: ${key} "${name}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`, { file, field: key });
  return act;
}

export function int(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(raw[key])}`, { file, field: key });
  }
  return v;
}

export function float(raw: Record<string, unknown>, key: string, file: string, fallback: number): number {
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
  // model_type first: a family names its sizes its own way (DistilBERT's `dim`, not `hidden_size`).
  const modelType = raw.model_type;
  if (typeof modelType !== "string") {
    throw new EsciError("CORRUPT_FILE", `${file}: missing "model_type"`, { file, field: "model_type" });
  }
  const family = familyFor(modelType, file);
  const where = (field: KeyedField): { key: string; fallback?: number } | number => {
    const k = family.config?.[field];
    if (k === undefined) return BERT_KEYS[field];
    return typeof k === "string" ? { key: k } : k;
  };
  const intField = (field: KeyedField): number => {
    const k = where(field);
    return typeof k === "number" ? k : int(raw, k.key, file, k.fallback);
  };
  const floatField = (field: KeyedField): number => {
    const k = where(field);
    return typeof k === "number" ? k : float(raw, k.key, file, k.fallback!);
  };
  const hiddenAct = activationField(raw, (where("hiddenAct") as { key: string }).key, file);
  const hiddenSize = intField("hiddenSize");
  const numHeads = intField("numHeads");
  if (numHeads === 0 || hiddenSize % numHeads !== 0) {
    const [h, n] = (["hiddenSize", "numHeads"] as const).map((f) => { const k = where(f); return typeof k === "number" ? f : k.key; });
    throw new EsciError("CORRUPT_FILE", `${file}: ${h} ${hiddenSize} is not a multiple of ${n} ${numHeads}`, { file });
  }
  const pet = raw.position_embedding_type ?? "absolute";
  if (pet !== "absolute") {
    throw new EsciError("UNSUPPORTED", `${file}: position_embedding_type "${String(pet)}" is not supported (only "absolute")`, { file, field: "position_embedding_type" });
  }
  const classifierDropout = where("classifierDropout");
  return {
    modelType,
    architectures: Array.isArray(raw.architectures) ? (raw.architectures as string[]) : [],
    vocabSize: int(raw, "vocab_size", file),
    hiddenSize,
    numLayers: intField("numLayers"),
    numHeads,
    intermediateSize: intField("intermediateSize"),
    hiddenAct,
    layerNormEps: floatField("layerNormEps"),
    maxPositionEmbeddings: int(raw, "max_position_embeddings", file, 512),
    typeVocabSize: intField("typeVocabSize"),
    padTokenId: int(raw, "pad_token_id", file, 0),
    initializerRange: float(raw, "initializer_range", file, 0.02),
    hiddenDropout: floatField("hiddenDropout"),
    attentionDropout: floatField("attentionDropout"),
    classifierDropout:
      typeof classifierDropout === "number" ? classifierDropout : typeof raw[classifierDropout.key] === "number" ? (raw[classifierDropout.key] as number) : null,
    id2label: parseId2Label(raw, file),
    problemType: typeof raw.problem_type === "string" ? raw.problem_type : undefined,
    extra: family.parseExtra?.(raw, file) ?? {},
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
