/**
 * esci's public API. Everything a Node.js back end needs to run ESCI relevance models:
 * cross-encoders (CrossEncoder), bi-encoders (BiEncoder), model file resolution (resolveModel)
 * and the typed errors.
 */
export { CrossEncoder, softmax, sigmoid, toPrediction, type CrossEncoderOptions } from "./models/cross-encoder.js";
export { BiEncoder } from "./models/bi-encoder.js";
export type { LoadOptions } from "./models/loader.js";
export type { Pair, PairPrediction, PairScorer, PredictOptions, EmbedOptions, TextEmbedder } from "./models/types.js";
export { resolveModel, type ResolveModelOptions, type ResolvedModel } from "./hub/resolve.js";
export { EsciError, ERROR_TABLE, type ErrorCode } from "./errors/index.js";
