/**
 * esci's root API: the models and the ESCI toolkit — what a Node.js back end needs to score and
 * evaluate pairs. It stays light (no HTTP framework, no trainer, no database drivers), so that
 * `import "esci"` costs what loading a model costs. The rest are subpath exports with their own
 * index: `esci/search` (catalog stores, two-stage search), `esci/train` (fine-tuning) and
 * `esci/server` (the HTTP service). test/package/root-import.test.ts walks the import graph.
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

export { EsciError, ERROR_TABLE, type ErrorCode } from "./errors/index.js";
