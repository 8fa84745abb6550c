/**
 * BERT (and MiniLM cross-encoders such as ms-marco-MiniLM-L-6-v2, which are BertForSequenceClassification).
 * Positions are 0…T-1 (HF's registered `position_ids` buffer); token_type_ids come from the
 * tokenizer (0 for the query, 1 for the product); post-LN blocks under `encoder.layer.N`; the head
 * is the pooler (dense + tanh on [CLS]) followed by the classifier, as BertForSequenceClassification.
 */
import type { GraphBuilder } from "../../onnx/graph.js";
import type { EncoderConfig } from "../config.js";
import { BERT_LAYOUT, embeddingSum, linear, postLnEncoder, type DropoutHook, type EncoderGraphInputs } from "../encoder.js";
import { newLinear, type ModelFamily } from "../family.js";
import type { Weights } from "../weights.js";

/** Rows 0…T-1 of the absolute position table: (T,H), broadcast over the batch. */
export function leadingPositions(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs, width = cfg.hiddenSize): string {
  const table = w.tensor(g, `${w.prefix}embeddings.position_embeddings.weight`, [cfg.maxPositionEmbeddings, width]);
  const seqLen = g.op("Shape", [inputs.inputIds], { start: 1, end: 2 });
  return g.op("Slice", [table, g.constI64([0]), seqLen, g.constI64([0])]);
}

/** Token-type rows (B,T,width) from token_type_ids, or type 0's row when the graph has none. */
export function tokenTypeRows(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs, width = cfg.hiddenSize): string {
  const name = `${w.prefix}embeddings.token_type_embeddings.weight`;
  if (!inputs.tokenTypeIds) return w.tableRow(g, name, [cfg.typeVocabSize, width], 0);
  return g.op("Gather", [w.tensor(g, name, [cfg.typeVocabSize, width]), inputs.tokenTypeIds], { axis: 0 });
}

/** HF's classifier_dropout ?? hidden_dropout_prob for the head; hidden and attention as configured. */
export function bertDropout(cfg: EncoderConfig) {
  const hidden = cfg.hiddenDropout;
  return { hidden, attention: cfg.attentionDropout, classifier: cfg.classifierDropout ?? hidden, embedding: hidden, mlp: hidden };
}

export const bert: ModelFamily = {
  name: "BERT",
  prefixes: ["bert.", ""],
  wordEmbeddings: "embeddings.word_embeddings.weight",
  classifierArchitectures: ["BertForSequenceClassification"],
  headTensor: "classifier.weight",
  newHead: (cfg, labels, has) => [
    ...(has("bert.pooler.dense.weight") ? [] : newLinear("bert.pooler.dense", cfg.hiddenSize, cfg.hiddenSize)),
    ...newLinear("classifier", labels, cfg.hiddenSize),
  ],
  usesTokenTypeIds: true,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings,

  embeddings: (g, w, cfg, inputs, dropout) => embeddingSum(g, w, cfg, inputs.inputIds, leadingPositions(g, w, cfg, inputs), tokenTypeRows(g, w, cfg, inputs), dropout),
  encoder: postLnEncoder(BERT_LAYOUT),
  headReadsFirstToken: () => true,

  classifierHead(g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, _mask: string, dropout?: DropoutHook) {
    const H = cfg.hiddenSize;
    const cls = g.gatherIndex(hidden, 0, 1); // (B,H)
    let pooled = g.op("Tanh", [linear(g, w, cls, `${w.prefix}pooler.dense`, H, H)]);
    if (dropout) pooled = dropout(g, pooled, "classifier");
    return linear(g, w, pooled, "classifier", H, cfg.id2label.length); // (B,L)
  },
  isBlockWeight: (name) => name.includes("encoder.layer."),
  /*
   * The attention key bias adds q·b_k to every key's score of a query, a constant along the
   * softmax axis, and softmax is invariant to that: the loss does not depend on b_k at all. In
   * float32 its backpropagated gradient is pure cancellation noise (~1e-9), which AdamW normalizes
   * into updates of up to lr per step — a random walk PyTorch's float32 training also takes. The
   * exact (float64) computation leaves b_k where it is, and so does esci.
   */
  zeroGradient: [/\.attention\.self\.key\.bias$/],
  dropoutRates: bertDropout,
};
