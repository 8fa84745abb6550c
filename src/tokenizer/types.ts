/**
 * The tokenizer's contract with the model runtime: what a loaded tokenizer exposes, what one
 * encoded input looks like, and the padded int64 batch handed to ONNX Runtime.
 */

/** A (query, product text) pair, in that order, as Hugging Face's `tokenizer(query, product)`. */
export type TextPair = readonly [query: string, product: string];

/** One encoded input with its special tokens, before padding. */
export interface Encoding {
  inputIds: number[];
  /** Segment ids as the post-processor assigns them (BERT pair: 0…0 1…1; RoBERTa: all 0). */
  tokenTypeIds: number[];
}

/** A right-padded batch, row-major [batch, seqLen], ready for ONNX Runtime int64 tensors. */
export interface PaddedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  batch: number;
  seqLen: number;
}

export interface LoadTokenizerOptions {
  /**
   * Longest input the model's position table allows, as the model layer computes it:
   * max_position_embeddings - (pad_token_id + 1) for RoBERTa, max_position_embeddings for BERT.
   * Caps `defaultMaxLength`.
   */
  maxPositions?: number;
  /**
   * Replaces tokenizer_config.json's model_max_length (e.g. sentence-transformers'
   * max_seq_length); still capped by `maxPositions`.
   */
  maxLength?: number;
  /** Texts are cut to this many characters before tokenizing (chars.ts; default DEFAULT_MAX_CHARS). */
  maxChars?: number;
}

/** What a tokenizer was loaded from: enough to load the same one again (in a worker thread). */
export interface TokenizerOrigin {
  dir: string;
  options: LoadTokenizerOptions;
}

export interface PairTokenizer {
  /** model_max_length (or the `maxLength` option) capped by `maxPositions`; 512 if neither is known. */
  readonly defaultMaxLength: number;
  readonly padTokenId: number;
  /** Largest token id + 1, added tokens included (HF's `len(tokenizer)`). */
  readonly vocabSize: number;
  /** Where the tokenizer came from: tokenizer.json, or the slow files it was built from. */
  readonly source: string;
  /** Each text is cut to this many characters before tokenizing (chars.ts). */
  readonly maxChars: number;
  readonly origin: TokenizerOrigin;

  /**
   * `tokenizer(query, product, truncation=True, max_length=maxLength)` as HF's fast tokenizers do
   * it: longest_first truncation of the two sides, then the special tokens. An empty string is
   * still a pair member.
   */
  encodePair(query: string, product: string, maxLength?: number): Encoding;
  encodePairs(pairs: readonly TextPair[], maxLength?: number): Encoding[];
  /** One sequence with special tokens, truncated from the right (bi-encoders). */
  encodeText(text: string, maxLength?: number): Encoding;
  encodeTexts(texts: readonly string[], maxLength?: number): Encoding[];
  /** Pads to the batch's own longest row with `padTokenId`, mask 0 and token type 0. */
  padBatch(encodings: readonly Encoding[]): PaddedBatch;
}
