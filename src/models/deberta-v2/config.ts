/**
 * DeBERTa-v2/v3's own config.json fields (DebertaV2Config), checked and read once
 * (ModelFamily.parseExtra), with transformers 5.18's defaults and normalizations:
 * `max_relative_positions` < 1 means max_position_embeddings; `pos_att_type` may be a list or a
 * "p2c|c2p" string; `norm_rel_ebd` is a "|"-separated list ("layer_norm" or "none").
 */
import { EsciError } from "../../errors/index.js";
import { activationField, float, int, type EncoderConfig, type HiddenAct } from "../config.js";

export interface DebertaV2Extra {
  relativeAttention: boolean;
  /** Relative distances are clipped (or log-bucketed) to this (max_relative_positions, or max_position_embeddings). */
  maxRelativePositions: number;
  /** position_buckets; > 0: log buckets, and the relative table has 2·buckets rows. */
  positionBuckets: number;
  /** att_span: half the relative-embedding rows (pos_ebd_size in HF). */
  attSpan: number;
  c2p: boolean;
  p2c: boolean;
  shareAttKey: boolean;
  positionBiasedInput: boolean;
  normRelEmbeddings: boolean;
  embeddingSize: number;
  convKernelSize: number;
  convGroups: number;
  convAct: HiddenAct;
  poolerHiddenSize: number;
  poolerAct: HiddenAct;
  poolerDropout: number;
}

function bool(raw: Record<string, unknown>, key: string, file: string, fallback: boolean): boolean {
  const v = raw[key] ?? fallback;
  if (typeof v !== "boolean") throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be true or false, got ${JSON.stringify(v)}`, { file, field: key });
  return v;
}

/** A list option written as a list or as a "|"-separated string (DebertaV2Config accepts both). */
function names(raw: Record<string, unknown>, key: string, file: string): string[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v.toLowerCase().split("|").map((x) => x.trim());
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.map((x) => x.toLowerCase().trim());
  throw new EsciError("CORRUPT_FILE", `${file}: "${key}" must be a list of names or a "|"-separated string, got ${JSON.stringify(v)}`, { file, field: key });
}

export function parseDebertaV2Extra(raw: Record<string, unknown>, file: string): DebertaV2Extra {
  const hidden = int(raw, "hidden_size", file);
  const maxPositions = int(raw, "max_position_embeddings", file, 512);
  const rel = typeof raw.max_relative_positions === "number" ? raw.max_relative_positions : -1;
  const maxRelativePositions = rel < 1 ? maxPositions : rel;
  const positionBuckets = typeof raw.position_buckets === "number" ? raw.position_buckets : -1;
  const att = names(raw, "pos_att_type", file);
  const unknown = att.filter((t) => t !== "c2p" && t !== "p2c");
  if (unknown.length > 0) {
    throw new EsciError("UNSUPPORTED", `${file}: pos_att_type ${JSON.stringify(unknown)} is not supported (c2p, p2c)`, { file, field: "pos_att_type" });
  }
  const norm = names(raw, "norm_rel_ebd", file);
  const convKernelSize = int(raw, "conv_kernel_size", file, 0);
  if (convKernelSize > 0 && convKernelSize % 2 === 0) {
    // nn.Conv1d with padding (k-1)//2 shortens the sequence for an even kernel; HF would then fail too.
    throw new EsciError("UNSUPPORTED", `${file}: conv_kernel_size ${convKernelSize} is even; DeBERTa's ConvLayer keeps the length only for odd kernels`, { file, field: "conv_kernel_size" });
  }
  const convGroups = int(raw, "conv_groups", file, 1);
  if (convGroups < 1 || hidden % convGroups !== 0) {
    throw new EsciError("CORRUPT_FILE", `${file}: conv_groups ${convGroups} must divide hidden_size ${hidden}`, { file, field: "conv_groups" });
  }
  return {
    relativeAttention: bool(raw, "relative_attention", file, false),
    maxRelativePositions,
    positionBuckets,
    attSpan: positionBuckets > 0 ? positionBuckets : maxRelativePositions,
    c2p: att.includes("c2p"),
    p2c: att.includes("p2c"),
    shareAttKey: bool(raw, "share_att_key", file, false),
    positionBiasedInput: bool(raw, "position_biased_input", file, true),
    normRelEmbeddings: norm.includes("layer_norm"),
    embeddingSize: int(raw, "embedding_size", file, hidden),
    convKernelSize,
    convGroups,
    convAct: raw.conv_act === undefined ? "tanh" : activationField(raw, "conv_act", file),
    poolerHiddenSize: int(raw, "pooler_hidden_size", file, hidden),
    poolerAct: activationField(raw, "pooler_hidden_act", file),
    poolerDropout: float(raw, "pooler_dropout", file, 0),
  };
}

export const debertaV2Extra = (cfg: EncoderConfig) => cfg.extra as unknown as DebertaV2Extra;
