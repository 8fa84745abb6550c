/**
 * ModernBERT's pre-norm blocks, as HF's ModernBertEncoderLayer (eager/SDPA path, padded batch):
 *
 *   h = h + Wo·attn(rope(Wqkv·attn_norm(h)))         attn_norm is the identity in layer 0
 *   h = h + Wo·(act(x_in) ⊙ x_gate), [x_in, x_gate] = chunk(Wi·mlp_norm(h), 2)    (GeGLU)
 *
 * then final_norm. Positions are 0…T-1 (HF's default position_ids). Rotary embeddings use
 * inv_freq = 1/θ^(2k/d) with θ per attention type (rope_parameters / global_rope_theta,
 * local_rope_theta) and HF's layout: cos/sin of cat(freqs, freqs) and rotate_half(x) =
 * cat(−x₂, x₁), here x·R for a constant signed permutation R (exact; a MatMul, which the autodiff
 * differentiates). Sliding-window layers let query i attend keys j with |i − j| ≤
 * local_attention // 2 (transformers' sliding_window_bidirectional_overlay) and not padding;
 * global layers mask padding only. LayerNorms and Linears have biases only where
 * norm_bias / attention_bias / mlp_bias say.
 *
 * With `firstTokenOnly` (a "cls" head) the last block computes queries, attention output, MLP and
 * final norm for the first token only: exact, and about 2/3 of that block's work skipped.
 */
import { EsciError } from "../../errors/index.js";
import type { GraphBuilder } from "../../onnx/graph.js";
import { DataType } from "../../onnx/proto.js";
import type { EncoderConfig } from "../config.js";
import { activation, attentionBias, type DropoutHook } from "../encoder.js";
import type { Weights } from "../weights.js";
import { modernBertExtra } from "./config.js";

/** HF's masked-score value (the dtype minimum), as encoder.ts uses. */
const FLOAT32_MIN = -3.4028234663852886e38;

/** x·Wᵀ (+ b when `bias`), W stored [out, in]. */
export function dense(g: GraphBuilder, w: Weights, x: string, name: string, inDim: number, outDim: number, bias: boolean): string {
  const y = g.matmul(x, w.linearT(g, `${name}.weight`, inDim, outDim));
  return bias ? g.add(y, w.tensor(g, `${name}.bias`, [outDim])) : y;
}

/** nn.LayerNorm(H, bias=norm_bias): a zero bias constant stands in for an absent one. */
export function norm(g: GraphBuilder, w: Weights, cfg: EncoderConfig, x: string, name: string): string {
  const H = cfg.hiddenSize;
  const beta = modernBertExtra(cfg).normBias ? w.tensor(g, `${name}.bias`, [H]) : g.constF32(new Float32Array(H), [H]);
  return g.layerNorm(x, w.tensor(g, `${name}.weight`, [H]), beta, cfg.layerNormEps);
}

/** rotate_half as a matrix: (x·R)[i] = −x[i + d/2] for i < d/2, x[i − d/2] otherwise. */
function rotateHalfMatrix(d: number): Float32Array {
  const r = new Float32Array(d * d);
  const half = d / 2;
  for (let i = 0; i < half; i++) {
    r[(i + half) * d + i] = -1;
    r[i * d + i + half] = 1;
  }
  return r;
}

/**
 * cos and sin of positions 0…T-1 times cat(inv_freq, inv_freq): (T, head_dim) each. inv_freq is
 * computed as torch does in float32 (θ ** (arange(0, d, 2) / d), then its reciprocal).
 */
function rotaryTables(g: GraphBuilder, T: string, theta: number, d: number): { cos: string; sin: string } {
  const inv = new Float32Array(d);
  for (let k = 0; k < d / 2; k++) {
    const f = Math.fround(1 / Math.fround(Math.pow(Math.fround(theta), Math.fround((2 * k) / d))));
    inv[k] = inv[k + d / 2] = f;
  }
  const pos = g.op("Cast", [g.op("Range", [g.constI64([0], []), T, g.constI64([1], [])])], { to: DataType.FLOAT });
  const freqs = g.mul(g.op("Unsqueeze", [pos, g.constI64([1])]), g.constF32(inv, [1, d])); // (T,d)
  return { cos: g.op("Cos", [freqs]), sin: g.op("Sin", [freqs]) };
}

/** First row along `axis` (length 1 kept). */
function firstAlong(g: GraphBuilder, x: string, axis: number): string {
  return g.op("Slice", [x, g.constI64([0]), g.constI64([1]), g.constI64([axis])]);
}

/** Columns [from, to) of the last axis. */
function columns(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op("Slice", [x, g.constI64([from]), g.constI64([to]), g.constI64([-1])]);
}

export function modernBertEncoder(
  g: GraphBuilder,
  w: Weights,
  cfg: EncoderConfig,
  x: string,
  attentionMask: string,
  dropout?: DropoutHook,
  firstTokenOnly = false,
): string {
  const ex = modernBertExtra(cfg);
  const { hiddenSize: H, numHeads: NH, intermediateSize: I, numLayers: L } = cfg;
  const HD = H / NH;
  if (L === 0) throw new EsciError("CORRUPT_FILE", "config.json: num_hidden_layers is 0");
  const drop = (t: string, site: "attention" | "mlp") => (dropout ? dropout(g, t, site) : t);
  const T = g.op("Shape", [attentionMask], { start: 1, end: 2 });
  const R = g.constF32(rotateHalfMatrix(HD), [HD, HD]);
  const rope = (t: string, tables: { cos: string; sin: string }) => g.add(g.mul(t, tables.cos), g.mul(g.matmul(t, R), tables.sin));

  // Per attention type, built once: rotary tables and the additive mask (B,1,T,T) or (B,1,1,T).
  const tables = { full_attention: rotaryTables(g, T, ex.theta.full_attention, HD), sliding_attention: rotaryTables(g, T, ex.theta.sliding_attention, HD) };
  const masks = {
    full_attention: attentionBias(g, attentionMask),
    sliding_attention: ((): string => {
      const idx = g.op("Range", [g.constI64([0], []), T, g.constI64([1], [])]);
      const dist = g.op("Abs", [g.op("Sub", [g.op("Unsqueeze", [idx, g.constI64([1])]), g.op("Unsqueeze", [idx, g.constI64([0])])])]); // (T,T)
      const inWindow = g.op("LessOrEqual", [dist, g.constI64([ex.halfWindow], [])]);
      const keyOk = g.op("Cast", [g.op("Unsqueeze", [attentionMask, g.constI64([1, 2])])], { to: DataType.BOOL }); // (B,1,1,T)
      return g.op("Where", [g.op("And", [keyOk, inWindow]), g.constF32([0], []), g.constF32([FLOAT32_MIN], [])]); // (B,1,T,T)
    })(),
  };

  let h = x;
  for (let i = 0; i < L; i++) {
    const p = `${w.prefix}layers.${i}`;
    const type = ex.layerTypes[i];
    const firstOnly = firstTokenOnly && i === L - 1;
    const normed = i === 0 ? h : norm(g, w, cfg, h, `${p}.attn_norm`);
    const qkv = dense(g, w, normed, `${p}.attn.Wqkv`, H, 3 * H, ex.attentionBias); // (B,T,3H), q | k | v
    const heads = (t: string) => g.transpose(g.reshape(t, [0, 0, NH, HD]), [0, 2, 1, 3]); // (B,NH,T,HD)
    const rows = firstOnly ? firstAlong(g, qkv, 1) : qkv;
    const qTables = firstOnly ? { cos: firstAlong(g, tables[type].cos, 0), sin: firstAlong(g, tables[type].sin, 0) } : tables[type];
    const q = rope(heads(columns(g, rows, 0, H)), qTables); // (B,NH,Tq,HD)
    const k = rope(heads(columns(g, qkv, H, 2 * H)), tables[type]);
    const v = heads(columns(g, qkv, 2 * H, 3 * H));
    const mask = firstOnly && type === "sliding_attention" ? firstAlong(g, masks[type], 2) : masks[type];
    const scores = g.add(g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), g.constF32([HD ** -0.5], [])), mask); // (B,NH,Tq,T)
    const probs = drop(g.op("Softmax", [scores], { axis: -1 }), "attention");
    const ctx = g.reshape(g.transpose(g.matmul(probs, v), [0, 2, 1, 3]), [0, 0, H]); // (B,Tq,H)
    const residual = firstOnly ? firstAlong(g, h, 1) : h;
    const h1 = g.add(residual, drop(dense(g, w, ctx, `${p}.attn.Wo`, H, H, ex.attentionBias), "attention"));
    const wi = dense(g, w, norm(g, w, cfg, h1, `${p}.mlp_norm`), `${p}.mlp.Wi`, H, 2 * I, ex.mlpBias); // (B,Tq,2I)
    const glu = drop(g.mul(activation(g, columns(g, wi, 0, I), cfg.hiddenAct), columns(g, wi, I, 2 * I)), "mlp");
    h = g.add(h1, dense(g, w, glu, `${p}.mlp.Wo`, I, H, ex.mlpBias));
  }
  return norm(g, w, cfg, h, `${w.prefix}final_norm`);
}
