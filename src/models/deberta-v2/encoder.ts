/**
 * DeBERTa-v2/v3's encoder, as transformers 5.18's DebertaV2Encoder (eval, padded batch): post-LN
 * blocks whose self-attention is disentangled (DisentangledSelfAttention):
 *
 *   scores = q·(k/s)ᵀ + c2p/s + p2c/s,   s = √(head_dim · (1 + #pos_att_type))      (B,NH,T,T)
 *   c2p[i,j] = q_i · Kr[c2p_idx(i−j)],   Kr = rel·W_k (+b)  (key_proj if share_att_key, else pos_key_proj)
 *   p2c[i,j] = k_j · Qr[p2c_idx(j−i)],   Qr = rel·W_q (+b)  (query_proj if share_att_key, else pos_query_proj)
 *
 * with rel = encoder.rel_embeddings (2·span rows; LayerNorm'd when norm_rel_ebd has "layer_norm"),
 * c2p_idx(d) = clamp(δ(d) + span, 0, 2·span − 1), p2c_idx(d) = clamp(−δ(d) + span, …), and δ the
 * relative position: d itself, or its log bucket when position_buckets > 0
 * (make_log_bucket_position, in float32 as torch computes it). δ depends only on i − j, so it is a
 * constant table over d ∈ [−(M−1), M−1], M = max_position_embeddings, gathered by i − j in the
 * graph. DeBERTa-v2's optional ConvLayer (conv_kernel_size > 0) follows the first block:
 * LN(h₁ + act(mask·conv1d(embeddings))) · mask.
 *
 * Padding: HF masks query and key rows (mask_i·mask_j); esci masks keys only. Padded query rows
 * then differ, but no real row reads them (their keys are masked), and heads and pooling skip them.
 */
import type { GraphBuilder } from "../../onnx/graph.js";
import { DataType } from "../../onnx/proto.js";
import type { EncoderConfig } from "../config.js";
import { activation, attentionBias, linear, type DropoutHook } from "../encoder.js";
import type { Weights } from "../weights.js";
import { debertaV2Extra, type DebertaV2Extra } from "./config.js";

/** make_log_bucket_position for one relative position, in float32 as torch does. */
function logBucket(d: number, buckets: number, maxPosition: number): number {
  const mid = Math.floor(buckets / 2);
  const abs = d < mid && d > -mid ? mid - 1 : Math.abs(d);
  if (abs <= mid) return d;
  const f = Math.fround;
  const num = f(Math.log(f(abs / mid)));
  const den = f(Math.log(f((maxPosition - 1) / mid)));
  const logPos = Math.ceil(f(f(num / den) * (mid - 1))) + mid;
  return logPos * Math.sign(d);
}

/** c2p and p2c gather indices for d = i − j over [−(M−1), M−1] (entry d + M − 1). */
export function relativeIndexTables(ex: DebertaV2Extra, maxTokens: number): { c2p: number[]; p2c: number[] } {
  const span = ex.attSpan;
  const clamp = (x: number) => Math.min(Math.max(x, 0), 2 * span - 1);
  const c2p: number[] = [];
  const p2c: number[] = [];
  for (let d = -(maxTokens - 1); d <= maxTokens - 1; d++) {
    const rel = ex.positionBuckets > 0 && ex.maxRelativePositions > 0 ? logBucket(d, ex.positionBuckets, ex.maxRelativePositions) : d;
    c2p.push(clamp(rel + span));
    p2c.push(clamp(-rel + span));
  }
  return { c2p, p2c };
}

function layerNorm(g: GraphBuilder, w: Weights, cfg: EncoderConfig, x: string, name: string): string {
  const H = cfg.hiddenSize;
  return g.layerNorm(x, w.tensor(g, `${name}.weight`, [H]), w.tensor(g, `${name}.bias`, [H]), cfg.layerNormEps);
}

export function debertaV2Encoder(g: GraphBuilder, w: Weights, cfg: EncoderConfig, x: string, attentionMask: string, dropout?: DropoutHook): string {
  const ex = debertaV2Extra(cfg);
  const { hiddenSize: H, numHeads: NH, intermediateSize: I, numLayers: L } = cfg;
  const HD = H / NH;
  const M = cfg.maxPositionEmbeddings;
  const drop = (t: string, site: "hidden" | "attention") => (dropout ? dropout(g, t, site) : t);
  const heads = (t: string) => g.transpose(g.reshape(t, [0, 0, NH, HD]), [0, 2, 1, 3]); // (B|1,NH,T,HD)
  const keyBias = attentionBias(g, attentionMask); // (B,1,1,T)
  const maskCol = g.op("Unsqueeze", [g.op("Cast", [attentionMask], { to: DataType.FLOAT }), g.constI64([2])]); // (B,T,1)

  const sf = 1 + (ex.relativeAttention && ex.c2p ? 1 : 0) + (ex.relativeAttention && ex.p2c ? 1 : 0);
  // scaled_size_sqrt: √(head_dim · scale_factor) in float32.
  const scale = g.constF32([Math.fround(Math.sqrt(HD * sf))], []);

  // Relative embeddings (1, 2·span, H) and the (T,T) gather indices, built once for all blocks.
  let rel = "";
  let c2pIndex = "";
  let p2cIndex = "";
  if (ex.relativeAttention && (ex.c2p || ex.p2c)) {
    const table = w.tensor(g, `${w.prefix}encoder.rel_embeddings.weight`, [2 * ex.attSpan, H]);
    rel = g.op("Unsqueeze", [ex.normRelEmbeddings ? layerNorm(g, w, cfg, table, `${w.prefix}encoder.LayerNorm`) : table, g.constI64([0])]);
    rel = drop(rel, "hidden");
    const T = g.op("Shape", [attentionMask], { start: 1, end: 2 });
    const idx = g.op("Range", [g.constI64([0], []), T, g.constI64([1], [])]);
    const d = g.op("Add", [g.op("Sub", [g.op("Unsqueeze", [idx, g.constI64([1])]), g.op("Unsqueeze", [idx, g.constI64([0])])]), g.constI64([M - 1], [])]); // (T,T): i − j + M − 1
    const tables = relativeIndexTables(ex, M);
    c2pIndex = g.op("Gather", [g.constI64(tables.c2p), d], { axis: 0 });
    p2cIndex = g.op("Gather", [g.constI64(tables.p2c), d], { axis: 0 });
  }

  const embeddings = x;
  let h = x;
  for (let i = 0; i < L; i++) {
    const p = `${w.prefix}encoder.layer.${i}`;
    const a = `${p}.attention.self`;
    const q = heads(linear(g, w, h, `${a}.query_proj`, H, H));
    const k = heads(linear(g, w, h, `${a}.key_proj`, H, H));
    const v = heads(linear(g, w, h, `${a}.value_proj`, H, H));
    let scores = g.matmul(q, g.op("Div", [g.transpose(k, [0, 1, 3, 2]), scale])); // (B,NH,T,T)
    if (rel) {
      const full = g.op("Shape", [scores]);
      let bias = "";
      if (ex.c2p) {
        const posKey = heads(linear(g, w, rel, ex.shareAttKey ? `${a}.key_proj` : `${a}.pos_key_proj`, H, H)); // (1,NH,2S,HD)
        const c2p = g.op("GatherElements", [g.matmul(q, g.transpose(posKey, [0, 1, 3, 2])), g.op("Expand", [c2pIndex, full])], { axis: 3 });
        bias = g.op("Div", [c2p, scale]);
      }
      if (ex.p2c) {
        const posQuery = heads(linear(g, w, rel, ex.shareAttKey ? `${a}.query_proj` : `${a}.pos_query_proj`, H, H));
        // gather(k·Qrᵀ, p2c_idx(row − col)) then transposed: entry (i,j) = k_j · Qr[p2c_idx(j − i)].
        const p2c = g.transpose(g.op("GatherElements", [g.matmul(k, g.transpose(posQuery, [0, 1, 3, 2])), g.op("Expand", [p2cIndex, full])], { axis: 3 }), [0, 1, 3, 2]);
        const term = g.op("Div", [p2c, scale]);
        bias = bias ? g.add(bias, term) : term;
      }
      if (bias) scores = g.add(scores, bias);
    }
    const probs = drop(g.op("Softmax", [g.add(scores, keyBias)], { axis: -1 }), "attention");
    const ctx = g.reshape(g.transpose(g.matmul(probs, v), [0, 2, 1, 3]), [0, 0, H]); // (B,T,H)
    const attnOut = layerNorm(g, w, cfg, g.add(drop(linear(g, w, ctx, `${p}.attention.output.dense`, H, H), "hidden"), h), `${p}.attention.output.LayerNorm`);
    const inter = activation(g, linear(g, w, attnOut, `${p}.intermediate.dense`, H, I), cfg.hiddenAct);
    h = layerNorm(g, w, cfg, g.add(drop(linear(g, w, inter, `${p}.output.dense`, I, H), "hidden"), attnOut), `${p}.output.LayerNorm`);
    if (i === 0 && ex.convKernelSize > 0) h = convLayer(g, w, cfg, ex, embeddings, h, maskCol, dropout);
  }
  return h;
}

/** ConvLayer: LN(residual + act(dropout(mask · conv1d(x)))) · mask, x the encoder's input (B,T,H). */
function convLayer(g: GraphBuilder, w: Weights, cfg: EncoderConfig, ex: DebertaV2Extra, x: string, residual: string, maskCol: string, dropout?: DropoutHook): string {
  const H = cfg.hiddenSize;
  const K = ex.convKernelSize;
  const c = `${w.prefix}encoder.conv`;
  const pad = (K - 1) / 2;
  const conv = g.op("Conv", [g.transpose(x, [0, 2, 1]), w.tensor(g, `${c}.conv.weight`, [H, H / ex.convGroups, K]), w.tensor(g, `${c}.conv.bias`, [H])], {
    kernel_shape: [K],
    pads: [pad, pad],
    group: ex.convGroups,
  }); // (B,H,T)
  let out = g.mul(g.transpose(conv, [0, 2, 1]), maskCol);
  if (dropout) out = dropout(g, out, "hidden");
  return g.mul(layerNorm(g, w, cfg, g.add(residual, activation(g, out, ex.convAct)), `${c}.LayerNorm`), maskCol);
}
