/**
 * Tokenization for the cross-encoders and bi-encoders, giving the ids of transformers 5.18 /
 * tokenizers 0.23 (docs/tokenizers.md): a checkpoint's tokenizer.json (or, without one, the
 * tokenizer.json its slow files convert to) with the normalizer and pre-tokenizer transformers 5
 * runs for its class, in Rust semantics, and @huggingface/tokenizers' models; pair encoding with
 * longest_first truncation and its early exit; special tokens and token type ids from the
 * post-processor; dynamic padding into int64 buffers for ONNX Runtime.
 */
export { capChars, checkMaxChars, DEFAULT_MAX_CHARS } from "./chars.js";
export { loadTokenizer } from "./load.js";
export { longestFirstLengths } from "./truncation.js";
export { padBatch } from "./padding.js";
export type { Encoding, LoadTokenizerOptions, PaddedBatch, PairTokenizer, TextPair } from "./types.js";
