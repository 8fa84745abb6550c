/**
 * RoBERTa (DistilRoBERTa is RoBERTa with 6 layers; XLM-RoBERTa and CamemBERT share the graph).
 * Position ids follow HF's create_position_ids_from_input_ids: padding tokens keep position
 * padding_idx and real tokens count up from padding_idx + 1, so the usable length is
 * max_position_embeddings - padding_idx - 1 (512 for roberta-base's 514 rows). Token types are
 * always 0. BERT's post-LN blocks and names. The head is RobertaClassificationHead: dense + tanh +
 * out_proj on the <s> token.
 */
import type { GraphBuilder } from "../../onnx/graph.js";
import { DataType } from "../../onnx/proto.js";
import { bert, bertDropout, tokenTypeRows } from "../bert/index.js";
import type { EncoderConfig } from "../config.js";
import { BERT_LAYOUT, embeddingSum, linear, postLnEncoder, type DropoutHook, type EncoderGraphInputs } from "../encoder.js";
import { newLinear, type ModelFamily } from "../family.js";
import type { Weights } from "../weights.js";

/** Positions counted over non-pad tokens from padding_idx + 1 (pads keep padding_idx), gathered: (B,T,H). */
function paddingAwarePositions(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs): string {
  const table = w.tensor(g, `${w.prefix}embeddings.position_embeddings.weight`, [cfg.maxPositionEmbeddings, cfg.hiddenSize]);
  const pad = g.constI64([cfg.padTokenId], []);
  const notPad = g.op("Cast", [g.op("Not", [g.op("Equal", [inputs.inputIds, pad])])], { to: DataType.INT64 });
  const running = g.op("CumSum", [notPad, g.constI64([1], [])]);
  const positions = g.add(g.mul(running, notPad), pad); // (B,T)
  return g.op("Gather", [table, positions], { axis: 0 });
}

/**
 * RobertaClassificationHead (ELECTRA's is the same with gelu): dropout → dense → act → dropout →
 * out_proj on the first token.
 */
export function firstTokenDenseHead(act: (g: GraphBuilder, x: string) => string) {
  return (g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, _mask: string, dropout?: DropoutHook): string => {
    const H = cfg.hiddenSize;
    const drop = (x: string) => (dropout ? dropout(g, x, "classifier") : x);
    const first = drop(g.gatherIndex(hidden, 0, 1)); // (B,H): the <s> token
    const dense = drop(act(g, linear(g, w, first, "classifier.dense", H, H)));
    return linear(g, w, dense, "classifier.out_proj", H, cfg.id2label.length); // (B,L)
  };
}

export const roberta: ModelFamily = {
  name: "RoBERTa",
  prefixes: ["roberta.", ""],
  wordEmbeddings: bert.wordEmbeddings,
  classifierArchitectures: ["RobertaForSequenceClassification", "XLMRobertaForSequenceClassification", "CamembertForSequenceClassification"],
  headTensor: "classifier.out_proj.weight",
  newHead: (cfg, labels) => [...newLinear("classifier.dense", cfg.hiddenSize, cfg.hiddenSize), ...newLinear("classifier.out_proj", labels, cfg.hiddenSize)],
  usesTokenTypeIds: false,
  maxTokens: (cfg) => cfg.maxPositionEmbeddings - cfg.padTokenId - 1,

  embeddings: (g, w, cfg, inputs, dropout) => embeddingSum(g, w, cfg, inputs.inputIds, paddingAwarePositions(g, w, cfg, inputs), tokenTypeRows(g, w, cfg, inputs), dropout),
  encoder: postLnEncoder(BERT_LAYOUT),
  headReadsFirstToken: () => true,
  classifierHead: firstTokenDenseHead((g, x) => g.op("Tanh", [x])),
  isBlockWeight: bert.isBlockWeight,
  zeroGradient: bert.zeroGradient,
  dropoutRates: bertDropout,
};
