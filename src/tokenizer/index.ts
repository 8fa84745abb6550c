/**
 * Tokenization for the cross-encoders and bi-encoders: a checkpoint's tokenizer.json (or, without
 * one, the tokenizer.json its slow files convert to) run by @huggingface/tokenizers; pair encoding
 * with Hugging Face's longest_first truncation; special tokens and token type ids from the
 * post-processor; dynamic padding into int64 buffers for ONNX Runtime.
 */
export { capChars, checkMaxChars, DEFAULT_MAX_CHARS } from "./chars.js";
export { loadTokenizer } from "./load.js";
export { longestFirstLengths } from "./truncation.js";
export { padBatch } from "./padding.js";
export type { Encoding, LoadTokenizerOptions, PaddedBatch, PairTokenizer, TextPair } from "./types.js";
