/**
 * esci's public API: everything a Node.js back end needs to run, evaluate, fine-tune and serve
 * ESCI relevance models. Each group below is a folder of src/ with its own index.
 */

// Models: cross-encoders and bi-encoders on ONNX Runtime.
export { CrossEncoder, softmax, sigmoid, toPrediction, type CrossEncoderOptions } from "./models/cross-encoder.js";
export { BiEncoder } from "./models/bi-encoder.js";
export { readCalibration, calibratedLogits, CALIBRATION_FILE, type ScoreCalibration } from "./models/calibration.js";
export { compareScorers, type CompareOptions, type ScorerComparison, type PairComparison } from "./models/compare.js";
export type { LoadOptions } from "./models/loader.js";
export type { Pair, PairPrediction, PairScorer, PredictOptions, EmbedOptions, TextEmbedder } from "./models/types.js";
export { writeRandomCheckpoint, DISTILROBERTA_SIZES, type RandomCheckpointSpec } from "./models/random-checkpoint.js";

// Model files: local directories, the Hugging Face cache, the hub.
export { resolveModel, modelFile, type ResolveModelOptions, type ResolvedModel } from "./hub/index.js";

// ESCI toolkit: dataset readers, KDD Cup metrics, scoring files, reports.
export * as esci from "./esci/index.js";

// Two-stage search: catalog stores, hybrid retrieval, reranking by expected gain, substitutes.
export * as search from "./search/index.js";

// Fine-tuning.
export { train, type TrainHooks, type TrainOptions } from "./train/index.js";

// HTTP service.
export { startServer } from "./server/index.js";

export { EsciError, ERROR_TABLE, type ErrorCode } from "./errors/index.js";
