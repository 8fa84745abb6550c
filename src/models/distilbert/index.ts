/**
 * DistilBERT (and sentence-transformers models built on it). config.json says `dim`, `hidden_dim`,
 * `n_layers`, `n_heads`, `activation`, `dropout`, `seq_classif_dropout`; LayerNorm epsilon is
 * 1e-12 in HF's code, not in the config. No token types: the embeddings are words + positions
 * 0…T-1 (a learned table, or with `sinusoidal_pos_embds` the sinusoidal one HF writes into that
 * same table, so reading the table covers both). Post-LN blocks under `transformer.layer.N` with
 * q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm; unlike BertLayer no
 * dropout follows out_lin. The head is DistilBertForSequenceClassification's: first token →
 * pre_classifier → ReLU → dropout (seq_classif_dropout) → classifier.
 */
import { leadingPositions } from "../bert/index.js";
import type { EncoderConfig } from "../config.js";
import { embeddingSum, linear, postLnEncoder, type PostLnLayout } from "../encoder.js";
import { newLinear, type ModelFamily } from "../family.js";

const LAYOUT: PostLnLayout = {
  layers: "transformer.layer",
  query: "attention.q_lin",
  key: "attention.k_lin",
  value: "attention.v_lin",
  qkv: "attention.qkv_lin",
  attentionOutput: "attention.out_lin",
  attentionNorm: "sa_layer_norm",
  intermediate: "ffn.lin1",
  output: "ffn.lin2",
  outputNorm: "output_layer_norm",
  attentionOutputDropout: false,
};

export const distilbert: ModelFamily = {
  name: "DistilBERT",
  config: {
    hiddenSize: "dim",
    numLayers: "n_layers",
    numHeads: "n_heads",
    intermediateSize: "hidden_dim",
    hiddenAct: "activation",
    layerNormEps: 1e-12,
    typeVocabSize: 0,
    hiddenDropout: "dropout",
    attentionDropout: { key: "attention_dropout", fallback: 0.1 },
    classifierDropout: "seq_classif_dropout",
  },
  prefixes: ["distilbert.", ""],
  wordEmbeddings: "embeddings.word_embeddings.weight",
  classifierArchitectures: ["DistilBertForSequenceClassification"],
  headTensor: "pre_classifier.weight",
  newHead: (cfg, labels) => [...newLinear("pre_classifier", cfg.hiddenSize, cfg.hiddenSize), ...newLinear("classifier", labels, cfg.hiddenSize)],
  usesTokenTypeIds: false,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings,

  embeddings: (g, w, cfg, inputs, dropout) => embeddingSum(g, w, cfg, inputs.inputIds, leadingPositions(g, w, cfg, inputs), undefined, dropout),
  encoder: postLnEncoder(LAYOUT),
  headReadsFirstToken: () => true,

  classifierHead(g, w, cfg, hidden, _mask, dropout) {
    const H = cfg.hiddenSize;
    let pooled = g.op("Relu", [linear(g, w, g.gatherIndex(hidden, 0, 1), "pre_classifier", H, H)]); // (B,H)
    if (dropout) pooled = dropout(g, pooled, "classifier");
    return linear(g, w, pooled, "classifier", H, cfg.id2label.length); // (B,L)
  },
  isBlockWeight: (name) => name.includes("transformer.layer."),
  // As BERT's key bias: q·b_k is constant along the softmax axis.
  zeroGradient: [/\.attention\.k_lin\.bias$/],
  dropoutRates: (cfg: EncoderConfig) => {
    const hidden = cfg.hiddenDropout;
    return { hidden, attention: cfg.attentionDropout, classifier: cfg.classifierDropout ?? 0.2, embedding: hidden, mlp: hidden };
  },
};
