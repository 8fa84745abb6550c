/**
 * The post-LN transformer encoder of the BERT-shaped families (BERT, RoBERTa, DistilBERT,
 * ELECTRA): embeddings sum + LayerNorm, then `num_hidden_layers` post-LN blocks, as HF's
 * BertLayer. Each family names the blocks' tensors its own way (`PostLnLayout`) and passes
 * `postLnEncoder(layout)` as its encoder; families with another block layout (ModernBERT's pre-norm
 * GeGLU blocks) bring their own.
 *
 * Each block can be emitted from plain ONNX ops (what the autodiff pass differentiates, and what
 * ONNX Runtime's own optimizer may fuse) or with ONNX Runtime's fused CPU contrib ops
 * (com.microsoft Attention / SkipLayerNormalization / BiasGelu / FastGelu), chosen per fusion by
 * `FusionOptions` so each can be measured on its own.
 */
import { EsciError } from "../errors/index.js";
import { MS_DOMAIN, type GraphBuilder } from "../onnx/graph.js";
import { DataType } from "../onnx/proto.js";
import type { EncoderConfig } from "./config.js";
import type { Weights } from "./weights.js";

export interface FusionOptions {
  /**
   * false: plain ops. "Attention": com.microsoft Attention (QKV projection, masked softmax and
   * context in one op, float weights inside). "MultiHeadAttention": one QKV MatMul (which the int8
   * quantizer can replace) followed by com.microsoft MultiHeadAttention. With either, a last block
   * that needs only the first rows' queries uses `firstRowAttention`.
   */
  attention: false | "Attention" | "MultiHeadAttention";
  /** com.microsoft SkipLayerNormalization for residual + bias + LayerNorm. */
  skipLayerNorm: boolean;
  /** com.microsoft BiasGelu (erf) / FastGelu (tanh) for the FFN activation (Gelu / FastGelu after a Gemm FFN). */
  gelu: boolean;
  /**
   * When the caller reads only the first token's hidden state (a sequence-classification head):
   * the last block computes its query, attention output and FFN for the first token only. Exact;
   * on 6 layers it skips about 1/7 of the FLOPs. With fused attention (or feature-major), it
   * projects no key or value either (`firstRowAttention`): another 3% of the FLOPs at 64 tokens.
   */
  firstTokenLastLayer?: boolean;
  /**
   * Calls of at most this many token rows (B·T) run the whole encoder feature-major (see
   * `featureMajorBlock`): each projection a Gemm with the stored [out, in] weight as the left
   * operand, which MLAS streams as it is while packing only the few token rows. Larger calls run
   * the row-major blocks `attention` describes, with the FFN as row-major Gemms. One If node picks
   * per call. Feature-major ran 1.18× row-major on one 64-token pair and 1.08× at 128 rows, but
   * 0.86–0.94× at 192–256 rows (both in one process), and 0.77× at 512 and 0.54× at 2,048 rows
   * (bench/results/fusions.md). Absent: row-major, MatMul FFN.
   * float32 only: int8's DynamicQuantizeMatMul quantizes its left operand, the activations.
   */
  featureMajorRows?: number;
}

export const NO_FUSION: FusionOptions = { attention: false, skipLayerNorm: false, gelu: false };
/**
 * The float32 default, from bench/fusions.mjs (DistilRoBERTa size, 2-vCPU AVX-512; table in
 * bench/results/fusions.md). Computing only the first token in the last block is the clearest win
 * (1.14–1.17×). com.microsoft Attention ran 1.05× MultiHeadAttention at 32 × 64. The feature-major
 * switch serves single pairs and small batches (see `featureMajorRows`). SkipLayerNormalization is
 * off: ONNX Runtime's CPU kernel for it ran about 3× slower than Add + LayerNormalization (1.2×
 * fp32, 1.3× int8 end to end without it; the session also stops the optimizer from fusing them
 * back, see onnx/session.ts).
 */
export const ALL_FUSIONS: FusionOptions = { attention: "Attention", skipLayerNorm: false, gelu: true, firstTokenLastLayer: true, featureMajorRows: 128 };
/**
 * The int8 default. MultiHeadAttention keeps the QKV weights a MatMul that the quantizer can
 * replace (com.microsoft Attention keeps them float: 0.85× in int8), and the FFN's GEMMs stay
 * row-major MatMuls for the same reason.
 */
export const INT8_FUSIONS: FusionOptions = { attention: "MultiHeadAttention", skipLayerNorm: false, gelu: true, firstTokenLastLayer: true };

/** HF's extended attention mask uses the dtype's minimum for masked keys. */
const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Where Hugging Face applies nn.Dropout in these models: "hidden" (hidden_dropout_prob) after the
 * embeddings' LayerNorm and after the attention-output and FFN-output dense layers, before their
 * residual add; "attention" (attention_probs_dropout_prob) on the attention probabilities;
 * "classifier" (classifier_dropout, else hidden_dropout_prob) in the sequence-classification heads.
 * Families with other dropout modules add "embedding" (after the embeddings) and "mlp" (inside the
 * FFN); each family's `dropoutRates` gives every site its probability.
 */
export type DropoutSite = "hidden" | "attention" | "classifier" | "embedding" | "mlp";

/**
 * The tensor names of a post-LN block, after `${prefix}${layers}.${i}.`: BERT's
 * "attention.self.query", DistilBERT's "attention.q_lin", …
 */
export interface PostLnLayout {
  /** The blocks' list: "encoder.layer" (BERT) or "transformer.layer" (DistilBERT). */
  layers: string;
  query: string;
  key: string;
  value: string;
  /** Initializer name for the stacked Q/K/V weight and bias that fusions build (not a checkpoint tensor). */
  qkv: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
  /** Whether HF applies hidden dropout to the attention output projection (BertSelfOutput does; DistilBERT does not). */
  attentionOutputDropout: boolean;
}

/** HF BertLayer's names (RoBERTa and ELECTRA share them). */
export const BERT_LAYOUT: PostLnLayout = {
  layers: "encoder.layer",
  query: "attention.self.query",
  key: "attention.self.key",
  value: "attention.self.value",
  qkv: "attention.self.qkv",
  attentionOutput: "attention.output.dense",
  attentionNorm: "attention.output.LayerNorm",
  intermediate: "intermediate.dense",
  output: "output.dense",
  outputNorm: "output.LayerNorm",
  attentionOutputDropout: true,
};

/** One block's full tensor names: the layout's names under the block's prefix. */
type BlockNames = Omit<PostLnLayout, "layers">;

function blockNames(layout: PostLnLayout, p: string): BlockNames {
  const full = (n: string) => `${p}.${n}`;
  return {
    query: full(layout.query),
    key: full(layout.key),
    value: full(layout.value),
    qkv: full(layout.qkv),
    attentionOutput: full(layout.attentionOutput),
    attentionNorm: full(layout.attentionNorm),
    intermediate: full(layout.intermediate),
    output: full(layout.output),
    outputNorm: full(layout.outputNorm),
    attentionOutputDropout: layout.attentionOutputDropout,
  };
}

/**
 * Emits a training-mode dropout of `x` at `site` and returns its output. Training graphs pass one;
 * inference graphs pass none, and then no node at all is emitted, so their graphs are unchanged.
 */
export type DropoutHook = (g: GraphBuilder, x: string, site: DropoutSite) => string;

function drop(g: GraphBuilder, x: string, site: DropoutSite, dropout: DropoutHook | undefined): string {
  return dropout ? dropout(g, x, site) : x;
}

export interface EncoderGraphInputs {
  inputIds: string; // int64 [B,T]
  attentionMask: string; // int64 [B,T]
  tokenTypeIds?: string; // int64 [B,T]
}

/** Dense layer on [.., in]: x · Wᵀ + b with W stored [out, in]. */
export function linear(g: GraphBuilder, w: Weights, x: string, name: string, inDim: number, outDim: number): string {
  const y = g.matmul(x, w.linearT(g, `${name}.weight`, inDim, outDim));
  return g.add(y, w.tensor(g, `${name}.bias`, [outDim]));
}

function layerNorm(g: GraphBuilder, w: Weights, x: string, name: string, cfg: EncoderConfig, width = cfg.hiddenSize): string {
  const gamma = w.tensor(g, `${name}.weight`, [width]);
  const beta = w.tensor(g, `${name}.bias`, [width]);
  return g.layerNorm(x, gamma, beta, cfg.layerNormEps);
}

/** The activation HF's ACT2FN[hidden_act] computes, from plain ops. */
export function activation(g: GraphBuilder, x: string, act: EncoderConfig["hiddenAct"]): string {
  switch (act) {
    case "gelu": {
      // 0.5·x·(1 + erf(x/√2)) — torch.nn.functional.gelu
      const erf = g.op("Erf", [g.op("Div", [x, g.constF32([Math.SQRT2], [])])]);
      return g.mul(g.mul(x, g.constF32([0.5], [])), g.add(erf, g.constF32([1], [])));
    }
    case "gelu_tanh": {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — HF NewGELUActivation
      const x3 = g.mul(g.mul(x, x), x);
      const inner = g.mul(g.add(x, g.mul(x3, g.constF32([0.044715], []))), g.constF32([Math.sqrt(2 / Math.PI)], []));
      return g.mul(g.mul(x, g.constF32([0.5], [])), g.add(g.op("Tanh", [inner]), g.constF32([1], [])));
    }
    case "relu":
      return g.op("Relu", [x]);
    case "silu":
      return g.mul(x, g.op("Sigmoid", [x]));
    case "tanh":
      return g.op("Tanh", [x]);
  }
}

/**
 * [B,T] integer mask → float additive bias (0 keep, FLOAT32_MIN masked), as HF, with unit axes
 * inserted at `axes`: [B,1,1,T] by default, for scores (B,heads,queries,T).
 */
export function attentionBias(g: GraphBuilder, mask: string, axes = [1, 2]): string {
  const m = g.op("Cast", [mask], { to: DataType.FLOAT });
  const inv = g.op("Sub", [g.constF32([1], []), m]);
  const bias = g.mul(inv, g.constF32([FLOAT32_MIN], []));
  return g.op("Unsqueeze", [bias, g.constI64(axes)]);
}

/** Self-attention of `x` (B,T,H); queries come from `queries` (B,Tq,H): `x` itself, or its first row. */
function selfAttentionPlain(
  g: GraphBuilder,
  w: Weights,
  x: string,
  queries: string,
  bias: string,
  n: BlockNames,
  cfg: EncoderConfig,
  dropout?: DropoutHook,
): string {
  const H = cfg.hiddenSize;
  const nh = cfg.numHeads;
  const hd = H / nh;
  const heads = (t: string, perm: number[]) => g.transpose(g.reshape(t, [0, 0, nh, hd]), perm);
  const q = heads(linear(g, w, queries, n.query, H, H), [0, 2, 1, 3]); // (B,nh,Tq,hd)
  const k = heads(linear(g, w, x, n.key, H, H), [0, 2, 3, 1]); // (B,nh,hd,T)
  const v = heads(linear(g, w, x, n.value, H, H), [0, 2, 1, 3]); // (B,nh,T,hd)
  const scores = g.add(g.op("Div", [g.matmul(q, k), g.constF32([Math.sqrt(hd)], [])]), bias); // (B,nh,Tq,T)
  const probs = drop(g, g.op("Softmax", [scores], { axis: -1 }), "attention", dropout);
  const ctx = g.transpose(g.matmul(probs, v), [0, 2, 1, 3]); // (B,Tq,nh,hd)
  return g.reshape(ctx, [0, 0, H]); // (B,Tq,H)
}

function selfAttentionFused(
  g: GraphBuilder,
  w: Weights,
  x: string,
  queries: string,
  mask32: string,
  n: BlockNames,
  cfg: EncoderConfig,
  kind: "Attention" | "MultiHeadAttention",
): string {
  const H = cfg.hiddenSize;
  if (queries !== x) return firstRowAttentionRowMajor(g, w, x, queries, attentionBias(g, mask32, [1]), n, cfg);
  const names = [n.query, n.key, n.value];
  const packed = (which: string[], init: string) => w.concatLinearT(g, which.map((t) => `${t}.weight`), H, H, init);
  const bqkv = w.concatRows(g, names.map((t) => `${t}.bias`), [H], `${n.qkv}.bias`);
  // Masked keys get mask_filter_value before the softmax; -10000 underflows exp() to 0 in fp32
  // exactly as HF's float32 minimum does.
  const attrs = { num_heads: cfg.numHeads, mask_filter_value: { float: -10000 } };
  if (kind === "Attention") {
    // mask_index as a 2-D (B, T) 1/0 mask.
    return g.node("Attention", [x, packed(names, `${n.qkv}.weight:T`), bqkv, mask32], { domain: MS_DOMAIN, attrs, prefix: "attn" })[0];
  }
  const [q, k, v] = g.node("Split", [g.matmul(x, packed(names, `${n.qkv}.weight:T`))], { count: 3, attrs: { axis: -1 }, prefix: "qkv" }); // 3 × (B,T,H)
  return g.node("MultiHeadAttention", [q, k, v, bqkv, mask32], { domain: MS_DOMAIN, attrs, prefix: "mha" })[0];
}

/** Row-major attention of `queries` (B,1,H), the first rows of x (B,T,H), by firstRowAttention; keyBias (B,1,T). */
function firstRowAttentionRowMajor(g: GraphBuilder, w: Weights, x: string, queries: string, keyBias: string, n: BlockNames, cfg: EncoderConfig): string {
  const { hiddenSize: H, numHeads: NH } = cfg;
  const HD = H / NH;
  const q = linear(g, w, queries, n.query, H, H); // (B,1,H)
  const qHeads = g.transpose(g.reshape(q, [0, NH, HD]), [1, 0, 2]); // (NH,B,HD)
  const ctx = firstRowAttention(g, w, n, cfg, qHeads, false, (u) => {
    // One product per pair, its heads as rows: (B,NH,H) against its own rows (B,T,H).
    const scores = g.add(g.op("FusedMatMul", [g.transpose(u, [1, 0, 2]), x], { transB: 1, alpha: { float: 1 / Math.sqrt(HD) } }, MS_DOMAIN), keyBias); // (B,NH,T)
    return g.transpose(g.matmul(g.op("Softmax", [scores], { axis: -1 }), x), [1, 0, 2]); // (NH,B,H)
  });
  return g.reshape(g.transpose(ctx, [1, 0, 2]), [-1, 1, H]); // (B,1,H)
}

/**
 * Attention of each pair's first row in the last block, without projecting any key or value.
 * Per head h, with x the block's input rows: q_h·(x·W_kh^T + b_kh)^T = (q_h·W_kh)·x^T + q_h·b_kh,
 * and the last term is the same for every key, so the softmax cancels it; and, as the
 * probabilities sum to 1, Σ_j p_j·(x_j·W_vh^T + b_vh) = (Σ_j p_j·x_j)·W_vh^T + b_vh. The keys' and
 * values' projections of every row (2·T·H² multiply-adds per pair, about 3% of DistilRoBERTa's
 * work on 64 tokens) become four products of NH·H·HD or NH·H·T each. Exact up to float rounding.
 *
 * `qHeads` is the queries per head, (NH,B,HD), or (NH,HD,B) when `transposed`. `attend` takes
 * u = q_h·W_kh, (NH,B,H), and returns Σ_j p_j·x_j, (NH,B,H): it scores u against the rows each
 * pair may attend to (scaled by 1/√HD, masked) and weights those rows by the softmax. Returns the
 * context per head, (NH,B,HD).
 */
function firstRowAttention(g: GraphBuilder, w: Weights, n: BlockNames, cfg: EncoderConfig, qHeads: string, transposed: boolean, attend: (u: string) => string): string {
  const { hiddenSize: H, numHeads: NH } = cfg;
  const HD = H / NH;
  const perHead = (name: string) => g.reshape(w.tensor(g, `${name}.weight`, [H, H]), [NH, HD, H]); // W [out, in] → (NH,HD,H)
  const u = g.op("FusedMatMul", [qHeads, perHead(n.key)], { transA: transposed ? 1 : 0 }, MS_DOMAIN); // (NH,B,H)
  const ctx = g.op("FusedMatMul", [attend(u), perHead(n.value)], { transB: 1 }, MS_DOMAIN); // (NH,B,HD)
  return g.add(ctx, g.reshape(w.tensor(g, `${n.value}.bias`, [H]), [NH, 1, HD]));
}

/** (B,T,H) → (B,1,H): the first token's row. */
function firstRow(g: GraphBuilder, x: string): string {
  return g.op("Slice", [x, g.constI64([0]), g.constI64([1]), g.constI64([1])]);
}

/** y = LayerNorm(x·Wᵀ + b + residual) */
function outputBlock(
  g: GraphBuilder,
  w: Weights,
  x: string,
  residual: string,
  dense: string,
  ln: string,
  inDim: number,
  cfg: EncoderConfig,
  fused: boolean,
  dropout?: DropoutHook,
): string {
  const H = cfg.hiddenSize;
  if (!fused) return layerNorm(g, w, g.add(drop(g, linear(g, w, x, dense, inDim, H), "hidden", dropout), residual), ln, cfg);
  const y = g.matmul(x, w.linearT(g, `${dense}.weight`, inDim, H));
  const gamma = w.tensor(g, `${ln}.weight`, [H]);
  const beta = w.tensor(g, `${ln}.bias`, [H]);
  const bias = w.tensor(g, `${dense}.bias`, [H]);
  return g.node("SkipLayerNormalization", [y, residual, gamma, beta, bias], {
    domain: MS_DOMAIN,
    attrs: { epsilon: { float: cfg.layerNormEps } },
    prefix: "skipln",
  })[0];
}

function intermediate(g: GraphBuilder, w: Weights, x: string, n: BlockNames, cfg: EncoderConfig, fused: boolean): string {
  const { hiddenSize: H, intermediateSize: I } = cfg;
  const name = n.intermediate;
  if (fused && (cfg.hiddenAct === "gelu" || cfg.hiddenAct === "gelu_tanh")) {
    const y = g.matmul(x, w.linearT(g, `${name}.weight`, H, I));
    const b = w.tensor(g, `${name}.bias`, [I]);
    return g.node(cfg.hiddenAct === "gelu" ? "BiasGelu" : "FastGelu", [y, b], { domain: MS_DOMAIN, prefix: "gelu" })[0];
  }
  return activation(g, linear(g, w, x, name, H, I), cfg.hiddenAct);
}

/** LayerNorm(x + W₂·act(W₁·x + b₁) + b₂) as two row-major Gemms over the stored [out, in] weights (transB). */
function gemmFfn(g: GraphBuilder, w: Weights, x: string, n: BlockNames, cfg: EncoderConfig, fusedGelu: boolean): string {
  const { hiddenSize: H, intermediateSize: I } = cfg;
  const rows = g.reshape(x, [-1, H]); // (B·T, H)
  const hidden = ffnActivation(g, cfg, fusedGelu)(g.op("Gemm", [rows, w.tensor(g, `${n.intermediate}.weight`, [I, H]), w.tensor(g, `${n.intermediate}.bias`, [I])], { transB: 1 }));
  const y = g.op("Gemm", [hidden, w.tensor(g, `${n.output}.weight`, [H, I]), w.tensor(g, `${n.output}.bias`, [H])], { transB: 1 });
  return layerNorm(g, w, g.add(g.op("Reshape", [y, g.op("Shape", [x])]), x), n.outputNorm, cfg);
}

/** The FFN activation after a Gemm: com.microsoft Gelu / FastGelu when fused, else the plain ops. */
function ffnActivation(g: GraphBuilder, cfg: EncoderConfig, fused: boolean): (y: string) => string {
  const op = { gelu: "Gelu", gelu_tanh: "FastGelu" }[cfg.hiddenAct as string];
  return (y) => (fused && op ? g.op(op, [y], undefined, MS_DOMAIN) : activation(g, y, cfg.hiddenAct));
}

/**
 * Sum of embeddings → LayerNorm (`width` wide: ELECTRA's embedding_size) → dropout. `positions`
 * and `tokenTypes` are already-gathered rows; DistilBERT has no token types.
 */
export function embeddingSum(
  g: GraphBuilder,
  w: Weights,
  cfg: EncoderConfig,
  inputIds: string,
  positions: string,
  tokenTypes: string | undefined,
  dropout?: DropoutHook,
  width = cfg.hiddenSize,
): string {
  const words = g.op("Gather", [w.tensor(g, `${w.prefix}embeddings.word_embeddings.weight`, [cfg.vocabSize, width]), inputIds], { axis: 0 });
  const sum = g.add(tokenTypes ? g.add(words, tokenTypes) : words, positions);
  return drop(g, layerNorm(g, w, sum, `${w.prefix}embeddings.LayerNorm`, cfg, width), "hidden", dropout);
}

/** One block: hidden states (B,T,H) → (B,Tq,H), Tq = 1 when `firstOnly`. `n` holds the block's tensor names. */
type Block = (h: string, n: BlockNames, firstOnly: boolean) => string;

/** The encoder of a post-LN family whose blocks are named as `layout` says (a ModelFamily's `encoder`). */
export function postLnEncoder(layout: PostLnLayout) {
  return (g: GraphBuilder, w: Weights, cfg: EncoderConfig, x: string, attentionMask: string, fusion: FusionOptions, dropout?: DropoutHook, firstTokenOnly = false): string =>
    encoderLayers(g, w, cfg, layout, x, attentionMask, fusion, dropout, firstTokenOnly);
}

/** The blocks on embeddings `x` (B,T,H) → last hidden state (B,T,H). */
function encoderLayers(
  g: GraphBuilder,
  w: Weights,
  cfg: EncoderConfig,
  layout: PostLnLayout,
  x: string,
  attentionMask: string,
  fusion: FusionOptions,
  dropout?: DropoutHook,
  firstTokenOnly = false,
): string {
  if (cfg.numLayers === 0) throw new EsciError("CORRUPT_FILE", "config.json: num_hidden_layers is 0");
  // The fused contrib ops have no dropout inside; training graphs use the plain ops (NO_FUSION).
  if (dropout && (fusion.attention || fusion.skipLayerNorm)) throw new Error("dropout needs the plain attention and LayerNorm ops (NO_FUSION)");
  if (dropout && fusion.featureMajorRows !== undefined) throw new Error("dropout needs the plain FFN ops (NO_FUSION)");
  const stack = (block: Block): string => {
    let h = x;
    for (let i = 0; i < cfg.numLayers; i++) h = block(h, blockNames(layout, `${w.prefix}${layout.layers}.${i}`), firstTokenOnly && i === cfg.numLayers - 1);
    return h;
  };
  const rowMajor = () => stack(rowMajorBlock(g, w, cfg, attentionMask, fusion, dropout));
  if (fusion.featureMajorRows === undefined) return rowMajor();
  const few = g.op("LessOrEqual", [g.op("Size", [attentionMask]), g.constI64([fusion.featureMajorRows], [])]);
  // Each side builds its masks inside its branch, next to their only users.
  return g.ifElse(few, () => [stack(featureMajorBlock(g, w, cfg, attentionMask, fusion.gelu))], () => [rowMajor()])[0];
}

/** The row-major block: attention as `fusion.attention` says, then the FFN (Gemm beside a feature-major switch, else MatMul). */
function rowMajorBlock(g: GraphBuilder, w: Weights, cfg: EncoderConfig, attentionMask: string, fusion: FusionOptions, dropout?: DropoutHook): Block {
  const bias = fusion.attention ? undefined : attentionBias(g, attentionMask);
  const mask32 = fusion.attention ? g.op("Cast", [attentionMask], { to: DataType.INT32 }) : undefined;
  return (h, n, firstOnly) => {
    // Rows this block computes past the keys and values: all, or only the first.
    const rows = firstOnly ? firstRow(g, h) : h; // (B,T,H) or (B,1,H)
    const ctx = fusion.attention
      ? selfAttentionFused(g, w, h, rows, mask32!, n, cfg, fusion.attention)
      : selfAttentionPlain(g, w, h, rows, bias!, n, cfg, dropout);
    const attnDropout = n.attentionOutputDropout ? dropout : undefined;
    const attnOut = outputBlock(g, w, ctx, rows, n.attentionOutput, n.attentionNorm, cfg.hiddenSize, cfg, fusion.skipLayerNorm, attnDropout);
    if (fusion.featureMajorRows !== undefined) return gemmFfn(g, w, attnOut, n, cfg, fusion.gelu);
    const inter = intermediate(g, w, attnOut, n, cfg, fusion.gelu);
    return outputBlock(g, w, inter, attnOut, n.output, n.outputNorm, cfg.intermediateSize, cfg, fusion.skipLayerNorm, dropout);
  };
}

/**
 * The feature-major block (`featureMajorRows`). Activations between GEMMs are [features, rows];
 * a projection is Gemm(W [out, in], x, b [out, 1]) → [out, R], so MLAS streams the weight as
 * stored and packs only the few token rows. Attention runs over all R = B·T rows of the call as
 * one sequence per head, [head_dim, R] slices of the projection (no transposes), with a mask that
 * keeps each pair's rows to its own unpadded keys: scores = FusedMatMul(Qᵀ, Kᵀ, transA) [NH, Rq, R],
 * contextᵀ = FusedMatMul(Vᵀ, P, transB) [NH, head_dim, Rq]. One sequence needs no transposes; the
 * cross-pair scores it also computes are masked away, and up to 128 rows they cost about what
 * per-pair attention's transposes did (equal at 2 × 64; 1.03× on one pair).
 */
function featureMajorBlock(g: GraphBuilder, w: Weights, cfg: EncoderConfig, attentionMask: string, fusedGelu: boolean): Block {
  const { hiddenSize: H, numHeads: NH, intermediateSize: I } = cfg;
  const HD = H / NH;
  const { all: maskAll, first: maskFirst } = pairBlockMask(g, attentionMask);
  const column = (t: string, n: number) => g.reshape(t, [n, 1]);
  /** Gemm(W [out, in], rows [R, in], b [out]) → [out, R]. */
  const project = (weight: string, b: string, rows: string, out: number) => g.op("Gemm", [weight, rows, column(b, out)], { transB: 1 });
  /** [out, R] → rows shaped like `like` (B,Tq,H). */
  const toRows = (yT: string, like: string) => g.op("Reshape", [g.transpose(yT, [1, 0]), g.op("Shape", [like])]);
  const act = ffnActivation(g, cfg, fusedGelu);
  return (h, n, firstOnly) => {
    const queries = firstOnly ? firstRow(g, h) : h; // (B,Tq,H)
    const rows = g.reshape(h, [-1, H]);
    const perHead = (xT: string, k: number) => g.reshape(xT, [k * NH, HD, -1]); // [k·NH, HD, R]
    let ctxT: string; // [H, Rq]
    if (firstOnly) {
      const q = perHead(project(w.tensor(g, `${n.query}.weight`, [H, H]), w.tensor(g, `${n.query}.bias`, [H]), g.reshape(queries, [-1, H]), H), 1); // [NH, HD, B]
      const ctx = firstRowAttention(g, w, n, cfg, q, true, (u) => {
        const scores = g.op("FusedMatMul", [u, rows], { transB: 1, alpha: { float: 1 / Math.sqrt(HD) } }, MS_DOMAIN); // [NH, B, R]
        return g.matmul(g.op("Softmax", [g.add(scores, maskFirst)], { axis: -1 }), rows); // [NH, B, H]
      }); // [NH, B, HD]
      ctxT = g.reshape(g.transpose(ctx, [0, 2, 1]), [H, -1]);
    } else {
      // The Q, K and V projections stacked into one [3·H, H] weight and [3·H] bias.
      const qkv = (suffix: string, dims: number[]) => w.concatRows(g, [n.query, n.key, n.value].map((t) => `${t}.${suffix}`), dims, `${n.qkv}.${suffix}`);
      const [q, k, v] = g.node("Split", [perHead(project(qkv("weight", [H, H]), qkv("bias", [H]), rows, 3 * H), 3)], { count: 3, attrs: { axis: 0 }, prefix: "qkv" }); // [NH, HD, R]
      const scores = g.op("FusedMatMul", [q, k], { transA: 1, alpha: { float: 1 / Math.sqrt(HD) } }, MS_DOMAIN); // [NH, R, R]
      const probs = g.op("Softmax", [g.add(scores, maskAll)], { axis: -1 });
      ctxT = g.reshape(g.op("FusedMatMul", [v, probs], { transB: 1 }, MS_DOMAIN), [H, -1]);
    }
    // The context is already [in, R]: a Gemm without transB.
    const attnOutT = g.op("Gemm", [w.tensor(g, `${n.attentionOutput}.weight`, [H, H]), ctxT, column(w.tensor(g, `${n.attentionOutput}.bias`, [H]), H)]);
    const attnOut = layerNorm(g, w, g.add(toRows(attnOutT, queries), queries), n.attentionNorm, cfg); // (B,Tq,H)
    const hiddenT = act(project(w.tensor(g, `${n.intermediate}.weight`, [I, H]), w.tensor(g, `${n.intermediate}.bias`, [I]), g.reshape(attnOut, [-1, H]), I));
    const outT = g.op("Gemm", [w.tensor(g, `${n.output}.weight`, [H, I]), hiddenT, column(w.tensor(g, `${n.output}.bias`, [H]), H)]);
    return layerNorm(g, w, g.add(toRows(outT, attnOut), attnOut), n.outputNorm, cfg);
  };
}

/**
 * The additive attention mask of a call's R = B·T rows taken as one sequence: 0 where key j is an
 * unpadded row of the same pair as query i, FLOAT32_MIN elsewhere. `all` is [R, R]; `first` is
 * its rows at each pair's first token, [B, R].
 */
function pairBlockMask(g: GraphBuilder, attentionMask: string): { all: string; first: string } {
  const T = g.gatherIndex(g.op("Shape", [attentionMask]), 1, 0);
  const R = g.op("Size", [attentionMask]);
  const [zero, one] = [g.constI64([0], []), g.constI64([1], [])];
  const pair = g.op("Div", [g.op("Range", [zero, R, one]), T]); // [R]: row → pair
  const samePair = g.op("Equal", [g.op("Unsqueeze", [pair, g.constI64([1])]), g.op("Unsqueeze", [pair, g.constI64([0])])]); // [R, R]
  const keyOk = g.op("Cast", [g.reshape(attentionMask, [1, -1])], { to: DataType.BOOL }); // [1, R]
  const blocked = g.op("Cast", [g.op("Not", [g.op("And", [samePair, keyOk])])], { to: DataType.FLOAT });
  const all = g.mul(blocked, g.constF32([FLOAT32_MIN], []));
  const first = g.op("Gather", [all, g.op("Range", [zero, R, T])], { axis: 0 }); // [B, R]
  return { all, first };
}
