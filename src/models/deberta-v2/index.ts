/**
 * DeBERTa-v2 and v3 (microsoft/deberta-v3-*, mDeBERTa-v3, mxbai-rerank, the KDD Cup 2022 ESCI
 * rerankers; model_type "deberta-v2"). Embeddings: words (embedding_size wide), + absolute
 * positions when position_biased_input, + token types when type_vocab_size > 0, embed_proj
 * (no bias) when embedding_size ≠ hidden_size, LayerNorm, × attention mask, dropout. The
 * disentangled-attention blocks are in encoder.ts. The head is DebertaV2ForSequenceClassification's
 * ContextPooler: first token → pooler.dense → pooler_hidden_act → dropout (cls_dropout) →
 * classifier. LayerNorm epsilon defaults to 1e-7 and type_vocab_size to 0 (DebertaV2Config).
 */
import { leadingPositions, tokenTypeRows } from "../bert/index.js";
import type { EncoderConfig } from "../config.js";
import { activation, linear } from "../encoder.js";
import { newLinear, type ModelFamily } from "../family.js";
import { debertaV2Extra, parseDebertaV2Extra } from "./config.js";
import { debertaV2Encoder } from "./encoder.js";
import { DataType } from "../../onnx/proto.js";

export const debertaV2: ModelFamily = {
  name: "DeBERTa-v2",
  config: {
    layerNormEps: { key: "layer_norm_eps", fallback: 1e-7 },
    typeVocabSize: { key: "type_vocab_size", fallback: 0 },
    classifierDropout: "cls_dropout",
  },
  parseExtra: (raw, file) => ({ ...parseDebertaV2Extra(raw, file) }),
  prefixes: ["deberta.", ""],
  wordEmbeddings: "embeddings.word_embeddings.weight",
  classifierArchitectures: ["DebertaV2ForSequenceClassification"],
  headTensor: "pooler.dense.weight",
  newHead(cfg, labels) {
    const P = debertaV2Extra(cfg).poolerHiddenSize;
    return [...newLinear("pooler.dense", P, P), ...newLinear("classifier", labels, cfg.hiddenSize)];
  },
  // Token types only exist with type_vocab_size > 0 (v3 has none).
  usesTokenTypeIds: true,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings,

  embeddings(g, w, cfg, inputs, dropout) {
    const ex = debertaV2Extra(cfg);
    const E = ex.embeddingSize;
    let x = g.op("Gather", [w.tensor(g, `${w.prefix}embeddings.word_embeddings.weight`, [cfg.vocabSize, E]), inputs.inputIds], { axis: 0 });
    if (ex.positionBiasedInput) x = g.add(x, leadingPositions(g, w, cfg, inputs, E));
    if (cfg.typeVocabSize > 0) x = g.add(x, tokenTypeRows(g, w, cfg, inputs, E));
    if (E !== cfg.hiddenSize) x = g.matmul(x, w.linearT(g, `${w.prefix}embeddings.embed_proj.weight`, E, cfg.hiddenSize));
    const H = cfg.hiddenSize;
    x = g.layerNorm(x, w.tensor(g, `${w.prefix}embeddings.LayerNorm.weight`, [H]), w.tensor(g, `${w.prefix}embeddings.LayerNorm.bias`, [H]), cfg.layerNormEps);
    x = g.mul(x, g.op("Unsqueeze", [g.op("Cast", [inputs.attentionMask], { to: DataType.FLOAT }), g.constI64([2])]));
    return dropout ? dropout(g, x, "embedding") : x;
  },
  encoder: (g, w, cfg, x, attentionMask, _fusion, dropout) => debertaV2Encoder(g, w, cfg, x, attentionMask, dropout),
  // The head reads the first token, but the disentangled blocks have no first-row-only form here.
  headReadsFirstToken: () => false,

  classifierHead(g, w, cfg, hidden, _mask, dropout) {
    const ex = debertaV2Extra(cfg);
    const P = ex.poolerHiddenSize;
    let x = g.gatherIndex(hidden, 0, 1); // (B,H)
    if (dropout) x = dropout(g, x, "classifier");
    let pooled = activation(g, linear(g, w, x, "pooler.dense", P, P), ex.poolerAct);
    if (dropout) pooled = dropout(g, pooled, "classifier");
    return linear(g, w, pooled, "classifier", cfg.hiddenSize, cfg.id2label.length); // (B,L)
  },
  isBlockWeight: (name) => name.includes("encoder.layer."),
  zeroGradient: [],
  dropoutRates: (cfg: EncoderConfig) => ({
    hidden: cfg.hiddenDropout,
    embedding: cfg.hiddenDropout,
    attention: cfg.attentionDropout,
    mlp: cfg.hiddenDropout,
    classifier: cfg.classifierDropout ?? cfg.hiddenDropout,
  }),
};
