/**
 * What a model family (one folder per family: bert/, roberta/, …) contributes: how its config.json
 * names the encoder's sizes, where its tensors live, its embeddings, its block layout (the post-LN
 * blocks of encoder.ts with the family's tensor names, or blocks of its own), its
 * sequence-classification head, and what training must know about its parameters. The registry
 * maps config.json's model_type to one; adding a family is a folder plus a row there.
 */
import type { GraphBuilder } from "../onnx/graph.js";
import type { ConfigKeys, EncoderConfig } from "./config.js";
import type { DropoutHook, DropoutSite, EncoderGraphInputs, FusionOptions } from "./encoder.js";
import type { Weights } from "./weights.js";

/** A tensor of a fresh classification head and how HF's _init_weights fills it. */
export interface HeadTensor {
  name: string;
  shape: number[];
  /** "normal": normal(0, initializer_range) (Linear weights); "zeros" (biases); "ones" (LayerNorm gains). */
  init: "normal" | "zeros" | "ones";
}

/** nn.Linear `name` as new head tensors: weight [out, in] drawn, bias [out] zero (when it has one). */
export function newLinear(name: string, out: number, inDim: number, bias = true): HeadTensor[] {
  const weight: HeadTensor = { name: `${name}.weight`, shape: [out, inDim], init: "normal" };
  return bias ? [weight, { name: `${name}.bias`, shape: [out], init: "zeros" }] : [weight];
}

export interface ModelFamily {
  /** Human name for messages, e.g. "RoBERTa". */
  name: string;
  /**
   * config.json keys where the family's differ from BERT's, and values the family fixes (e.g.
   * DistilBERT's `dim`, and its LayerNorm epsilon, 1e-12 in code rather than config).
   */
  config?: ConfigKeys;
  /** Checks and reads the family's own config.json fields (run by parseConfig); returns them as `cfg.extra`. */
  parseExtra?(raw: Record<string, unknown>, file: string): Record<string, unknown>;
  /** Checkpoint prefixes of the encoder: "roberta." (task models) or "" (bare RobertaModel); the first is the task models'. */
  prefixes: string[];
  /** The word-embedding table's name after the prefix: which prefix a checkpoint uses is where it is found. */
  wordEmbeddings: string;
  /** Architectures (config.json `architectures`) whose head `classifierHead` implements. */
  classifierArchitectures: string[];
  /** A tensor only a checkpoint with this family's classification head has (e.g. "classifier.out_proj.weight"). */
  headTensor: string;
  /**
   * The tensors of a fresh head for `labels` outputs, in the order they are drawn; `has` says
   * which tensors the bare encoder already holds (BERT keeps an existing pooler).
   */
  newHead(cfg: EncoderConfig, labels: number, has: (name: string) => boolean): HeadTensor[];
  /** Whether the model reads token_type_ids from its input (BERT) or uses type 0 / none (RoBERTa, DistilBERT). */
  usesTokenTypeIds: boolean;
  /** The longest input (special tokens included) the position table allows. */
  maxTokens(cfg: EncoderConfig): number;
  /** Embedding output (B,T,H), dropout included, as the encoder's first block reads it. */
  embeddings(g: GraphBuilder, w: Weights, cfg: EncoderConfig, inputs: EncoderGraphInputs, dropout?: DropoutHook): string;
  /**
   * The blocks on embeddings `x` (B,T,H) → last hidden state (B,T,H), or (B,1,H) when
   * `firstTokenOnly` (the head reads only the first token: the last block may compute only it).
   */
  encoder(
    g: GraphBuilder,
    w: Weights,
    cfg: EncoderConfig,
    x: string,
    attentionMask: string,
    fusion: FusionOptions,
    dropout?: DropoutHook,
    firstTokenOnly?: boolean,
  ): string;
  /** Whether the classification head reads the first token only (then `firstTokenOnly` may be asked for). */
  headReadsFirstToken(cfg: EncoderConfig): boolean;
  /** Last hidden state (B,T,H) → logits (B, num_labels); `dropout` only in training graphs. */
  classifierHead(g: GraphBuilder, w: Weights, cfg: EncoderConfig, hidden: string, attentionMask: string, dropout?: DropoutHook): string;
  /** Whether a graph weight belongs to the blocks (int8 quantizes those; embeddings and head stay float32). */
  isBlockWeight(name: string): boolean;
  /** HF tensors whose exact gradient is zero (trained as frozen: see train/training-graph.ts). */
  zeroGradient: readonly RegExp[];
  /** Dropout probability at each site, from the config (HF's nn.Dropout modules). */
  dropoutRates(cfg: EncoderConfig): Record<DropoutSite, number>;
}
