/**
 * Expected calibration error and the data of a reliability diagram.
 *
 * ECE as in Guo et al., "On Calibration of Modern Neural Networks" (ICML 2017): the top-label
 * confidence (max probability) of each prediction is put in one of M equal-width bins over [0, 1],
 * and ECE = Σ_m (|B_m| / n) · |acc(B_m) − conf(B_m)|, where acc is the fraction of correct arg-max
 * labels in the bin and conf the mean confidence. Bins are right-closed, (m/M, (m+1)/M], with 0
 * falling in the first bin — the convention of torchmetrics' `binary/multiclass_calibration_error`.
 */
import { EsciError } from "../../errors/index.js";

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence in the bin (0 when empty). */
  confidence: number;
  /** Fraction correct in the bin (0 when empty). */
  accuracy: number;
}

export interface CalibrationResult {
  ece: number;
  /** Largest |acc − conf| over non-empty bins (maximum calibration error). */
  mce: number;
  count: number;
  bins: ReliabilityBin[];
}

/** The bin of a confidence in [0, 1] among `bins` right-closed equal-width bins. */
export function binIndex(confidence: number, bins: number): number {
  const i = Math.ceil(confidence * bins) - 1;
  return Math.min(bins - 1, Math.max(0, i));
}

/**
 * ECE and reliability bins from per-prediction confidences (max probability) and whether the
 * arg-max label was correct.
 */
export function calibration(confidences: readonly number[], correct: readonly boolean[], bins = 15): CalibrationResult {
  if (confidences.length !== correct.length) {
    throw new EsciError("INVALID_ARGUMENT", `confidences and correctness differ in length (${confidences.length} vs ${correct.length})`);
  }
  if (!Number.isInteger(bins) || bins < 1) throw new EsciError("INVALID_ARGUMENT", `bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  for (let k = 0; k < confidences.length; k++) {
    const c = confidences[k];
    const b = binIndex(c, bins);
    count[b]++;
    confSum[b] += c;
    if (correct[k]) hits[b]++;
  }
  const n = confidences.length;
  let ece = 0;
  let mce = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const conf = count[b] ? confSum[b] / count[b] : 0;
    const acc = count[b] ? hits[b] / count[b] : 0;
    if (count[b]) {
      const gap = Math.abs(acc - conf);
      ece += (count[b] / n) * gap;
      mce = Math.max(mce, gap);
    }
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: count[b], confidence: conf, accuracy: acc });
  }
  return { ece, mce, count: n, bins: out };
}
