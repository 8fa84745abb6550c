/**
 * The ESCI toolkit: the Shopping Queries Dataset and pair-file readers, the KDD Cup 2022 metrics,
 * resumable file scoring, evaluation reports and calibration. Everything here takes a `PairScorer`, never a
 * concrete model, so it is tested with fakes and shared by the CLI, the server and training.
 */
export * from "./labels.js";
export * from "./gains.js";
export * from "./issues.js";
export * from "./metrics/index.js";
export { readEsciJudgements, openEsciPairs, esciFiles, parseTemplate, renderTemplate, EXAMPLES_FILE, PRODUCTS_FILE, DEFAULT_TEMPLATE } from "./dataset.js";
export type { EsciFilter, EsciReadOptions, EsciJudgement, DatasetVersion, ProductTemplate } from "./dataset.js";
export { openPairSource, openPairFile, pairFromRow } from "./pairs.js";
export type { PairRecord, PairSource, PairSourceOptions } from "./pairs.js";
export { predictionRow, formatPredictionLine, parsePredictionRow, rankingScore } from "./predictions.js";
export type { ParsedPrediction, ScoreSource } from "./predictions.js";
export { classifyFile, scoreChunk } from "./classify.js";
export type { ClassifyFileOptions, ClassifyFileResult, ShardOutcome, ShardRunner } from "./classify.js";
export { evaluateFiles, evaluateScorer, loadGold, EvaluationSet } from "./evaluate.js";
export type { Metrics, Task, Task1Metrics, ScoreDistribution, EvaluateFilesOptions, EvaluateScorerOptions } from "./evaluate.js";
export { renderReportHtml, renderSummary, writeReport } from "./report/html.js";
export * from "./calibration/index.js";
// The io layer's readers and writers that toolkit users call directly (all of it: src/io/index.ts).
export { ResumableOutput, writeFileAtomic, readTableBatches, countTableRows, csvField } from "../io/index.js";
