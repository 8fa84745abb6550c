/**
 * RoBERTa (DistilRoBERTa is RoBERTa with 6 layers; XLM-RoBERTa and CamemBERT share the graph).
 * Position ids follow HF's create_position_ids_from_input_ids: padding tokens keep position
 * padding_idx and real tokens count up from padding_idx + 1, so the usable length is
 * max_position_embeddings - padding_idx - 1 (512 for roberta-base's 514 rows). Token types are
 * always 0. The head is RobertaClassificationHead: dense + tanh + out_proj on the <s> token.
 */
import type { GraphBuilder } from "../../onnx/graph.js";
import { DataType } from "../../onnx/proto.js";
import type { EncoderConfig } from "../config.js";
import { linear, type DropoutHook } from "../encoder.js";
import type { ModelFamily } from "../family.js";
import type { Weights } from "../weights.js";

export const roberta: ModelFamily = {
  name: "RoBERTa",
  prefixes: ["roberta.", ""],
  classifierArchitectures: ["RobertaForSequenceClassification", "XLMRobertaForSequenceClassification", "CamembertForSequenceClassification"],
  usesTokenTypeIds: false,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings - cfg.padTokenId - 1,

  positionEmbeddings(g, w, cfg, inputs) {
    const table = w.tensor(g, `${w.prefix}embeddings.position_embeddings.weight`, [cfg.maxPositionEmbeddings, cfg.hiddenSize]);
    const pad = g.constI64([cfg.padTokenId], []);
    const notPad = g.op("Cast", [g.op("Not", [g.op("Equal", [inputs.inputIds, pad])])], { to: DataType.INT64 });
    const running = g.op("CumSum", [notPad, g.constI64([1], [])]);
    const positions = g.add(g.mul(running, notPad), pad); // (B,T)
    return g.op("Gather", [table, positions], { axis: 0 });
  },

  tokenTypeEmbeddings(g, w, cfg) {
    return w.tableRow(g, `${w.prefix}embeddings.token_type_embeddings.weight`, [cfg.typeVocabSize, cfg.hiddenSize], 0);
  },

  classifierHead(g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, dropout?: DropoutHook) {
    const H = cfg.hiddenSize;
    // RobertaClassificationHead: dropout → dense → tanh → dropout → out_proj
    const drop = (x: string) => (dropout ? dropout(g, x, "classifier") : x);
    const first = drop(g.gatherIndex(hidden, 0, 1)); // (B,H): the <s> token
    const dense = drop(g.op("Tanh", [linear(g, w, first, "classifier.dense", H, H)]));
    return linear(g, w, dense, "classifier.out_proj", H, cfg.id2label.length); // (B,L)
  },
};
