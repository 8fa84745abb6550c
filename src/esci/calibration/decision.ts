/**
 * How the decision rule moves the KDD Cup metrics (`esci evaluate --model`): the same logits
 * judged three ways —
 *
 * - raw: softmax(logits), the model's own arg-max;
 * - calibrated: softmax((logits + b)/T) with the model's stored calibration (= raw without one);
 * - balanced prior: the calibrated probabilities moved to a uniform label prior (Menon et al.'s
 *   logit adjustment, fit.ts shiftPrior). The prior moved from is the mean calibrated
 *   probability over the evaluated pairs — label-free, and for a calibrated model the label mix
 *   it believes it is seeing.
 *
 * Each gives micro-/macro-F1 (Task 2) and nDCG of the expected-gain ranking (Task 1).
 */
import { calibratedLogits, type ScoreCalibration } from "../../models/calibration.js";
import { softmax } from "../../models/cross-encoder.js";
import { shiftPrior } from "./fit.js";
import { IDENTITY } from "./report.js";

export type DecisionRule = "raw" | "calibrated" | "balanced_prior";

export interface DecisionRuleMetrics {
  micro_f1: number;
  macro_f1: number;
  /** Task 1 nDCG of Σ P(label)·gain; absent when the pairs form no query with a judged product. */
  ndcg?: number;
}

export interface DecisionRules {
  /** The stored calibration applied (null: the model has none, or --no-calibration). */
  calibration: ScoreCalibration | null;
  rules: Record<DecisionRule, DecisionRuleMetrics>;
}

/** The calibration of each rule for logits `rows` (label-id order). */
export function decisionCalibrations(rows: ReadonlyArray<ArrayLike<number>>, stored: ScoreCalibration | undefined, classes: number): Record<DecisionRule, ScoreCalibration> {
  const cal = stored ?? IDENTITY(classes);
  const mean = new Array<number>(classes).fill(0);
  for (const z of rows) softmax(calibratedLogits(z, cal)).forEach((p, k) => (mean[k] += p / rows.length));
  return { raw: IDENTITY(classes), calibrated: cal, balanced_prior: shiftPrior(cal, mean, new Array<number>(classes).fill(1 / classes)) };
}
