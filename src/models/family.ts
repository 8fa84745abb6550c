/**
 * What a model family (bert/, roberta/) contributes on top of the shared encoder: where its
 * weights live, how positions and token types are embedded, its sequence-classification head,
 * and how many tokens its position table allows. The registry maps config.json's model_type to one.
 */
import type { GraphBuilder } from "../onnx/graph.js";
import type { EncoderConfig } from "./config.js";
import type { DropoutHook, EncoderGraphInputs } from "./encoder.js";
import type { Weights } from "./weights.js";

export interface ModelFamily {
  /** Human name for messages, e.g. "RoBERTa". */
  name: string;
  /** Checkpoint prefixes of the encoder: "roberta." (task models) or "" (bare RobertaModel). */
  prefixes: string[];
  /** Architectures (config.json `architectures`) whose head `classifierHead` implements. */
  classifierArchitectures: string[];
  /** Whether the model reads token_type_ids from its input (BERT) or uses type 0 (RoBERTa). */
  usesTokenTypeIds: boolean;
  /** The longest input (special tokens included) the position table allows. */
  maxTokens(cfg: EncoderConfig): number;
  /** Position embeddings broadcastable to (B,T,H). */
  positionEmbeddings(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs): string;
  /** Token-type embeddings broadcastable to (B,T,H). */
  tokenTypeEmbeddings(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs): string;
  /** Last hidden state (B,T,H) → logits (B, num_labels); `dropout` only in training graphs. */
  classifierHead(g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, dropout?: DropoutHook): string;
}
