/**
 * ModernBERT (answerdotai/ModernBERT-*, gte-reranker-modernbert-base, …). Token embeddings only
 * (positions are rotary, no token types) → LayerNorm → embedding dropout; the pre-norm GeGLU
 * blocks of encoder.ts here under `model.layers.N` with local/global attention, then final_norm.
 * The head is ModernBertForSequenceClassification's: `classifier_pooling` "cls" (first token) or
 * "mean" (masked mean) → head.dense → classifier_activation → head.norm → dropout → classifier.
 * Sizes use BERT's keys; the activation is `hidden_activation`, the epsilon `norm_eps`.
 */
import type { EncoderConfig } from "../config.js";
import { activation, linear } from "../encoder.js";
import { newLinear, type ModelFamily } from "../family.js";
import { pool } from "../pooling.js";
import { modernBertExtra, parseModernBertExtra } from "./config.js";
import { dense, modernBertEncoder, norm } from "./encoder.js";

export const modernbert: ModelFamily = {
  name: "ModernBERT",
  config: {
    hiddenAct: "hidden_activation",
    layerNormEps: { key: "norm_eps", fallback: 1e-5 },
    typeVocabSize: 0,
    hiddenDropout: { key: "mlp_dropout", fallback: 0 },
    attentionDropout: { key: "attention_dropout", fallback: 0 },
    classifierDropout: { key: "classifier_dropout", fallback: 0 },
  },
  parseExtra: (raw, file) => ({ ...parseModernBertExtra(raw, file) }),
  prefixes: ["model.", ""],
  wordEmbeddings: "embeddings.tok_embeddings.weight",
  classifierArchitectures: ["ModernBertForSequenceClassification"],
  headTensor: "head.dense.weight",
  newHead(cfg, labels) {
    const { classifierBias, normBias } = modernBertExtra(cfg);
    const H = cfg.hiddenSize;
    return [
      ...newLinear("head.dense", H, H, classifierBias),
      { name: "head.norm.weight", shape: [H], init: "ones" },
      ...(normBias ? [{ name: "head.norm.bias", shape: [H], init: "zeros" as const }] : []),
      ...newLinear("classifier", labels, H),
    ];
  },
  usesTokenTypeIds: false,
  // Rotary positions have no table; config's max_position_embeddings is the trained length.
  maxTokens: (cfg) => cfg.maxPositionEmbeddings,

  embeddings(g, w, cfg, inputs, dropout) {
    const table = w.tensor(g, `${w.prefix}embeddings.tok_embeddings.weight`, [cfg.vocabSize, cfg.hiddenSize]);
    const x = norm(g, w, cfg, g.op("Gather", [table, inputs.inputIds], { axis: 0 }), `${w.prefix}embeddings.norm`);
    return dropout ? dropout(g, x, "embedding") : x;
  },
  // The fused ops of FusionOptions are BERT-block kernels; these blocks run as plain ops that
  // ONNX Runtime's optimizer fuses where it can.
  encoder: (g, w, cfg, x, attentionMask, _fusion, dropout, firstTokenOnly) => modernBertEncoder(g, w, cfg, x, attentionMask, dropout, firstTokenOnly),
  headReadsFirstToken: (cfg) => modernBertExtra(cfg).classifierPooling === "cls",

  classifierHead(g, w, cfg, hidden, attentionMask, dropout) {
    const ex = modernBertExtra(cfg);
    const H = cfg.hiddenSize;
    const pooled = ex.classifierPooling === "cls" ? g.gatherIndex(hidden, 0, 1) : pool(g, hidden, attentionMask, { modes: ["mean"], normalize: false }); // (B,H)
    let y = norm(g, w, cfg, activation(g, dense(g, w, pooled, "head.dense", H, H, ex.classifierBias), ex.classifierAct), "head.norm");
    if (dropout) y = dropout(g, y, "classifier");
    return linear(g, w, y, "classifier", H, cfg.id2label.length); // (B,L)
  },
  isBlockWeight: (name) => name.includes("layers."),
  // With rotary keys, q·R_j·b_k varies with the key position j: no bias has a zero gradient.
  zeroGradient: [],
  dropoutRates: (cfg: EncoderConfig) => ({
    hidden: 0,
    embedding: modernBertExtra(cfg).embeddingDropout,
    attention: cfg.attentionDropout,
    mlp: cfg.hiddenDropout,
    classifier: cfg.classifierDropout ?? 0,
  }),
};
