/**
 * Calibration of a cross-encoder's probabilities (fit + store; prediction applies the stored
 * file through models/calibration.ts): temperature scaling, per-label biases for an F1, and
 * label-prior shifts; before/after metrics and report; `esci_calibration.json`.
 */
export { decisionCalibrations, type DecisionRule, type DecisionRuleMetrics, type DecisionRules } from "./decision.js";
export { calibrateModel, scoreLabelled, type CalibrateOptions } from "./calibrate.js";
export { dataSha256, writeCalibrationFile, type CalibrationFile } from "./file.js";
export { fitBiases, fitCalibration, fitTemperature, labelShares, meanNll, OBJECTIVES, shiftPrior, type CalibrationObjective, type FitOptions, type LabelledLogits } from "./fit.js";
export { calibrationMetrics, IDENTITY, renderCalibrationHtml, renderCalibrationText, type CalibrationMetrics, type CalibrationSummary } from "./report.js";
