/**
 * sentence-transformers bi-encoders: modules.json → Transformer → Pooling (→ Normalize).
 *
 * Pooling is computed in the graph with the attention mask, mirroring
 * sentence_transformers.models.Pooling: the enabled modes are concatenated in its order
 * (cls, max, mean, mean_sqrt_len); mean divides by the token count clamped at 1e-9; max sets
 * masked positions to -1e9 first. Normalize is F.normalize(p=2, dim=1, eps=1e-12).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import type { GraphBuilder } from "../onnx/graph.js";
import { DataType } from "../onnx/proto.js";

export type PoolingMode = "cls" | "max" | "mean" | "mean_sqrt_len";

export interface SentenceTransformerConfig {
  modes: PoolingMode[];
  normalize: boolean;
  /** sentence_bert_config.json max_seq_length, the truncation length ST uses. */
  maxSeqLength?: number;
}

/** sentence-transformers ≤ 5's boolean keys, in the order its Pooling concatenates the modes. */
const MODE_KEYS: Array<[string, PoolingMode | null]> = [
  ["pooling_mode_cls_token", "cls"],
  ["pooling_mode_max_tokens", "max"],
  ["pooling_mode_mean_tokens", "mean"],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"],
  ["pooling_mode_weightedmean_tokens", null],
  ["pooling_mode_lasttoken", null],
];

/** sentence-transformers 6's `pooling_mode` names (its PoolingMode literal) → esci's modes. */
const ST6_MODES: Record<string, PoolingMode> = { cls: "cls", max: "max", mean: "mean", mean_sqrt_len_tokens: "mean_sqrt_len" };

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new EsciError("CORRUPT_FILE", `${file}: ${(e as Error).message}`, { file });
  }
}

/** Read the sentence-transformers files; a plain HF encoder gets mean pooling, as ST gives it. */
export function readSentenceTransformerConfig(dir: string): SentenceTransformerConfig {
  const stFile = join(dir, "sentence_bert_config.json");
  const maxSeqLength = existsSync(stFile) ? (readJson(stFile).max_seq_length as number | undefined) : undefined;
  const modulesFile = join(dir, "modules.json");
  if (!existsSync(modulesFile)) return { modes: ["mean"], normalize: false, maxSeqLength };
  const modules = readJson(modulesFile) as unknown as Array<{ path: string; type: string }>;
  if (!Array.isArray(modules)) throw new EsciError("CORRUPT_FILE", `${modulesFile}: expected a JSON array of modules`, { file: modulesFile });
  let modes: PoolingMode[] = ["mean"];
  let normalize = false;
  for (const m of modules) {
    const kind = String(m.type).split(".").pop();
    if (kind === "Transformer") continue;
    if (kind === "Normalize") normalize = true;
    else if (kind === "Pooling") {
      const file = join(dir, m.path, "config.json");
      const cfg = readJson(file);
      modes = [];
      if (cfg.pooling_mode !== undefined) {
        // sentence-transformers 6 writes one key: a mode name or a list of them, in its order.
        for (const name of [cfg.pooling_mode].flat()) {
          const mode = ST6_MODES[String(name)];
          if (!mode) throw new EsciError("UNSUPPORTED", `${file}: pooling_mode "${String(name)}" is not supported (supported: ${Object.keys(ST6_MODES).join(", ")})`, { file, field: "pooling_mode" });
          modes.push(mode);
        }
      }
      for (const [key, mode] of MODE_KEYS) {
        if (cfg[key] !== true) continue;
        if (!mode) throw new EsciError("UNSUPPORTED", `${file}: ${key} is not supported (supported: cls, max, mean, mean_sqrt_len)`, { file, field: key });
        modes.push(mode);
      }
      if (modes.length === 0) throw new EsciError("CORRUPT_FILE", `${file}: no pooling mode is enabled`, { file });
    } else {
      throw new EsciError("UNSUPPORTED", `${modulesFile}: module ${m.type} is not supported (esci runs Transformer, Pooling and Normalize)`, { file: modulesFile });
    }
  }
  return { modes, normalize, maxSeqLength };
}

/** (B,T,H) hidden + (B,T) int64 mask → (B, H·|modes|) sentence embedding. */
export function pool(g: GraphBuilder, hidden: string, attentionMask: string, cfg: SentenceTransformerConfig): string {
  const maskF = g.op("Unsqueeze", [g.op("Cast", [attentionMask], { to: DataType.FLOAT }), g.constI64([2])]); // (B,T,1)
  const parts: string[] = [];
  let sums: { sum: string; count: string } | undefined;
  const meanParts = () => {
    if (!sums) {
      const sum = g.op("ReduceSum", [g.mul(hidden, maskF), g.constI64([1])], { keepdims: 0 }); // (B,H)
      const count = g.op("Max", [g.op("ReduceSum", [maskF, g.constI64([1])], { keepdims: 0 }), g.constF32([1e-9], [])]); // (B,1)
      sums = { sum, count };
    }
    return sums;
  };
  for (const mode of cfg.modes) {
    if (mode === "cls") parts.push(g.gatherIndex(hidden, 0, 1));
    else if (mode === "max") {
      const keep = g.op("Cast", [g.op("Unsqueeze", [attentionMask, g.constI64([2])])], { to: DataType.BOOL });
      const masked = g.op("Where", [keep, hidden, g.constF32([-1e9], [])]);
      parts.push(g.op("ReduceMax", [masked], { axes: [1], keepdims: 0 }));
    } else if (mode === "mean") {
      const { sum, count } = meanParts();
      parts.push(g.op("Div", [sum, count]));
    } else {
      const { sum, count } = meanParts();
      parts.push(g.op("Div", [sum, g.op("Sqrt", [count])]));
    }
  }
  let out = parts.length === 1 ? parts[0] : g.op("Concat", parts, { axis: 1 });
  if (cfg.normalize) {
    const norm = g.op("ReduceL2", [out], { axes: [1], keepdims: 1 });
    out = g.op("Div", [out, g.op("Max", [norm, g.constF32([1e-12], [])])]);
  }
  return out;
}
