/**
 * ModernBERT's own config.json fields, checked and read once (ModelFamily.parseExtra). Both
 * spellings a user meets are read: transformers 5's `layer_types` and `rope_parameters`, and the
 * hub's older `global_attn_every_n_layers`, `global_rope_theta` and `local_rope_theta` (which
 * transformers 5 converts the same way, ModernBertConfig.__post_init__/convert_rope_params_to_dict).
 */
import { EsciError } from "../../errors/index.js";
import { activationField, float, int, type EncoderConfig, type HiddenAct } from "../config.js";

export interface ModernBertExtra {
  /** Per layer: global ("full_attention") or sliding-window attention. */
  layerTypes: Array<"full_attention" | "sliding_attention">;
  /** RoPE base per attention type. */
  theta: { full_attention: number; sliding_attention: number };
  /** A sliding layer's query i attends keys j with |i − j| ≤ halfWindow (local_attention // 2, HF's config.sliding_window). */
  halfWindow: number;
  normBias: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  classifierBias: boolean;
  classifierPooling: "cls" | "mean";
  classifierAct: HiddenAct;
  embeddingDropout: number;
}

function bool(raw: Record<string, unknown>, key: string, file: string, fallback: boolean): boolean {
  const v = raw[key] ?? fallback;
  if (typeof v !== "boolean") throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be true or false, got ${JSON.stringify(v)}`, { file, field: key });
  return v;
}

function ropeTheta(raw: Record<string, unknown>, type: "full_attention" | "sliding_attention", legacyKey: string, fallback: number, file: string): number {
  const params = (raw.rope_parameters as Record<string, Record<string, unknown> | undefined> | undefined)?.[type];
  if (params) {
    const kind = params.rope_type ?? "default";
    if (kind !== "default") {
      throw new EsciError("UNSUPPORTED", `${file}: rope_parameters.${type}.rope_type "${String(kind)}" is not supported (only "default")`, { file, field: "rope_parameters" });
    }
    if (params.rope_theta !== undefined) return float(params, "rope_theta", `${file} rope_parameters.${type}`, fallback);
  }
  return float(raw, legacyKey, file, fallback);
}

export function parseModernBertExtra(raw: Record<string, unknown>, file: string): ModernBertExtra {
  const layers = int(raw, "num_hidden_layers", file);
  let layerTypes = raw.layer_types as ModernBertExtra["layerTypes"] | undefined;
  if (layerTypes === undefined) {
    const every = int(raw, "global_attn_every_n_layers", file, 3);
    layerTypes = Array.from({ length: layers }, (_, i) => (every > 0 && i % every !== 0 ? "sliding_attention" : "full_attention"));
  }
  if (!Array.isArray(layerTypes) || layerTypes.length !== layers || layerTypes.some((t) => t !== "full_attention" && t !== "sliding_attention")) {
    throw new EsciError("CORRUPT_FILE", `${file}: layer_types must list "full_attention" or "sliding_attention" for each of the ${layers} layers`, { file, field: "layer_types" });
  }
  const pooling = raw.classifier_pooling ?? "cls";
  if (pooling !== "cls" && pooling !== "mean") {
    throw new EsciError("UNSUPPORTED", `${file}: classifier_pooling "${String(pooling)}" is not supported (cls, mean)`, { file, field: "classifier_pooling" });
  }
  return {
    layerTypes,
    theta: {
      full_attention: ropeTheta(raw, "full_attention", "global_rope_theta", 160000, file),
      sliding_attention: ropeTheta(raw, "sliding_attention", "local_rope_theta", 10000, file),
    },
    halfWindow: Math.floor(int(raw, "local_attention", file, 128) / 2),
    normBias: bool(raw, "norm_bias", file, false),
    attentionBias: bool(raw, "attention_bias", file, false),
    mlpBias: bool(raw, "mlp_bias", file, false),
    classifierBias: bool(raw, "classifier_bias", file, false),
    classifierPooling: pooling,
    classifierAct: activationField(raw, "classifier_activation", file),
    embeddingDropout: float(raw, "embedding_dropout", file, 0),
  };
}

export const modernBertExtra = (cfg: EncoderConfig) => cfg.extra as unknown as ModernBertExtra;
