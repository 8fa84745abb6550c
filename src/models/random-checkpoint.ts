/**
 * Random-weight checkpoints in Hugging Face layout, made from a config alone (as
 * `AutoModelForSequenceClassification.from_config` would): Linear/Embedding weights drawn from
 * normal(0, initializer_range), biases 0, LayerNorm 1/0. Used to build DistilRoBERTa-sized models
 * for memory tests and benchmarks without downloading anything, and for fresh classification
 * heads when fine-tuning a bare encoder.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type TensorToWrite } from "../safetensors/index.js";

/** mulberry32: a small, fast, seedable PRNG (uniform in [0,1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples of normal(0, std) by Box–Muller. */
export function normalArray(n: number, std: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export interface RandomCheckpointSpec {
  family: "roberta" | "bert";
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  /** Labels of the sequence-classification head; omit for a bare encoder. */
  labels?: string[];
  hiddenAct?: string;
  seed?: number;
  /** Copy tokenizer files from this directory. */
  tokenizerFrom?: string;
}

/** DistilRoBERTa (distilroberta-base / all-distilroberta-v1 / the ESCI cross-encoder) sizes. */
export const DISTILROBERTA_SIZES = {
  family: "roberta",
  hiddenSize: 768,
  numLayers: 6,
  numHeads: 12,
  intermediateSize: 3072,
  vocabSize: 50265,
  maxPositionEmbeddings: 514,
} as const;

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt"];

export function writeRandomCheckpoint(dir: string, spec: RandomCheckpointSpec): void {
  mkdirSync(dir, { recursive: true });
  const rand = mulberry32(spec.seed ?? 42);
  const std = 0.02;
  const { hiddenSize: H, intermediateSize: I } = spec;
  const isRoberta = spec.family === "roberta";
  const prefix = spec.labels ? `${spec.family}.` : "";
  const tensors: TensorToWrite[] = [];
  const f32 = (name: string, shape: number[], fill: "normal" | "zeros" | "ones") => {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.push({
      name,
      dtype: "F32",
      shape,
      data: () => (fill === "normal" ? normalArray(n, std, rand) : new Float32Array(n).fill(fill === "ones" ? 1 : 0)),
    });
  };
  const linear = (name: string, out: number, inp: number) => {
    f32(`${name}.weight`, [out, inp], "normal");
    f32(`${name}.bias`, [out], "zeros");
  };
  const ln = (name: string) => {
    f32(`${name}.weight`, [H], "ones");
    f32(`${name}.bias`, [H], "zeros");
  };
  const e = `${prefix}embeddings`;
  f32(`${e}.word_embeddings.weight`, [spec.vocabSize, H], "normal");
  f32(`${e}.position_embeddings.weight`, [spec.maxPositionEmbeddings, H], "normal");
  f32(`${e}.token_type_embeddings.weight`, [isRoberta ? 1 : 2, H], "normal");
  ln(`${e}.LayerNorm`);
  for (let i = 0; i < spec.numLayers; i++) {
    const p = `${prefix}encoder.layer.${i}`;
    for (const n of ["query", "key", "value"]) linear(`${p}.attention.self.${n}`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    ln(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    ln(`${p}.output.LayerNorm`);
  }
  if (spec.labels) {
    const L = spec.labels.length;
    if (isRoberta) {
      linear("classifier.dense", H, H);
      linear("classifier.out_proj", L, H);
    } else {
      linear(`${prefix}pooler.dense`, H, H);
      linear("classifier", L, H);
    }
  }
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });

  const arch = spec.labels ? (isRoberta ? "RobertaForSequenceClassification" : "BertForSequenceClassification") : isRoberta ? "RobertaModel" : "BertModel";
  const config: Record<string, unknown> = {
    architectures: [arch],
    model_type: spec.family,
    vocab_size: spec.vocabSize,
    hidden_size: H,
    num_hidden_layers: spec.numLayers,
    num_attention_heads: spec.numHeads,
    intermediate_size: I,
    hidden_act: spec.hiddenAct ?? "gelu",
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: spec.maxPositionEmbeddings,
    type_vocab_size: isRoberta ? 1 : 2,
    initializer_range: std,
    layer_norm_eps: isRoberta ? 1e-5 : 1e-12,
    pad_token_id: isRoberta ? 1 : 0,
    bos_token_id: 0,
    eos_token_id: 2,
  };
  if (spec.labels) {
    config.id2label = Object.fromEntries(spec.labels.map((l, i) => [String(i), l]));
    config.label2id = Object.fromEntries(spec.labels.map((l, i) => [l, i]));
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  if (spec.tokenizerFrom) {
    for (const f of TOKENIZER_FILES) if (existsSync(join(spec.tokenizerFrom, f))) copyFileSync(join(spec.tokenizerFrom, f), join(dir, f));
  }
}
