/**
 * BERT (and MiniLM cross-encoders such as ms-marco-MiniLM-L-6-v2, which are BertForSequenceClassification).
 * Positions are 0…T-1 (HF's registered `position_ids` buffer); token_type_ids come from the
 * tokenizer (0 for the query, 1 for the product); the head is the pooler (dense + tanh on [CLS])
 * followed by the classifier, as BertForSequenceClassification.
 */
import type { GraphBuilder } from "../../onnx/graph.js";
import type { EncoderConfig } from "../config.js";
import { linear, type DropoutHook } from "../encoder.js";
import type { ModelFamily } from "../family.js";
import type { Weights } from "../weights.js";

export const bert: ModelFamily = {
  name: "BERT",
  prefixes: ["bert.", ""],
  classifierArchitectures: ["BertForSequenceClassification"],
  usesTokenTypeIds: true,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings,

  positionEmbeddings(g, w, cfg, inputs) {
    const table = w.tensor(g, `${w.prefix}embeddings.position_embeddings.weight`, [cfg.maxPositionEmbeddings, cfg.hiddenSize]);
    // rows 0…T-1 of the table: (T,H), broadcast over the batch
    const seqLen = g.op("Shape", [inputs.inputIds], { start: 1, end: 2 });
    return g.op("Slice", [table, g.constI64([0]), seqLen, g.constI64([0])]);
  },

  tokenTypeEmbeddings(g, w, cfg, inputs) {
    const name = `${w.prefix}embeddings.token_type_embeddings.weight`;
    if (!inputs.tokenTypeIds) return w.tableRow(g, name, [cfg.typeVocabSize, cfg.hiddenSize], 0);
    return g.op("Gather", [w.tensor(g, name, [cfg.typeVocabSize, cfg.hiddenSize]), inputs.tokenTypeIds], { axis: 0 });
  },

  classifierHead(g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, dropout?: DropoutHook) {
    const H = cfg.hiddenSize;
    const cls = g.gatherIndex(hidden, 0, 1); // (B,H)
    let pooled = g.op("Tanh", [linear(g, w, cls, `${w.prefix}pooler.dense`, H, H)]);
    if (dropout) pooled = dropout(g, pooled, "classifier");
    return linear(g, w, pooled, "classifier", H, cfg.id2label.length); // (B,L)
  },
};
