/** The ESCI metrics: pure functions, no I/O. One file per family of metric. */
export * from "./classification.js";
export * from "./ranking.js";
export * from "./calibration.js";
