/**
 * Fitting a calibration (temperature T and per-label logit biases b, probs = softmax((z + b)/T))
 * on labelled logits.
 *
 * - Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): the T > 0
 *   minimising the mean negative log-likelihood. With β = 1/T the NLL, mean(logΣ_c e^{βz_c} − βz_y),
 *   is convex in β and its derivative mean(E_{p_β}[z] − z_y) increases with β, so bisection on
 *   log β finds the minimiser to float precision; T is clamped to [1e-3, 1e3] when the optimum lies
 *   outside (separable data, where the NLL keeps falling as T → 0).
 * - Biases for an F1 (micro: accuracy for one label per pair; macro: the mean per-label F1 over the
 *   labels present in gold ∪ predicted, sklearn's average="macro"): coordinate ascent over labels.
 *   Moving b_c alone flips row i to c exactly when b_c passes t_i = max_{j≠c}(z_ij + b_j) − z_ic,
 *   so sorting the t_i and sweeping them with running confusion counts finds the best b_c exactly;
 *   the new b_c is the middle of the best interval. b_0 stays 0 (softmax ignores a common shift).
 * - A label-prior shift (Menon et al., "Long-tail learning via logit adjustment", arXiv 2007.07314):
 *   p'(y|x) ∝ p(y|x)·π'_y/π_y, i.e. b += T·(log π' − log π), from the label shares π the model was
 *   calibrated under to a prior π' (e.g. a catalogue where Complements are common, or uniform).
 */
import { EsciError } from "../../errors/index.js";
import type { ScoreCalibration } from "../../models/calibration.js";

/** Logits of n pairs: row i is `rows[i]`, label-id order; gold label ids in `labels`. */
export interface LabelledLogits {
  rows: ReadonlyArray<ArrayLike<number>>;
  labels: ArrayLike<number>;
  classes: number;
}

export type CalibrationObjective = "nll" | "macro-f1" | "micro-f1";
export const OBJECTIVES: readonly CalibrationObjective[] = ["nll", "macro-f1", "micro-f1"];

const T_MIN = 1e-3;
const T_MAX = 1e3;

/** Mean NLL of softmax((z + b)/T) against the gold labels. */
export function meanNll(d: LabelledLogits, c: ScoreCalibration): number {
  let sum = 0;
  const C = d.classes;
  const s = new Float64Array(C);
  for (let i = 0; i < d.rows.length; i++) {
    const z = d.rows[i];
    let max = -Infinity;
    for (let k = 0; k < C; k++) max = Math.max(max, (s[k] = (z[k] + c.bias[k]) / c.temperature));
    let e = 0;
    for (let k = 0; k < C; k++) e += Math.exp(s[k] - max);
    sum += max + Math.log(e) - s[d.labels[i]];
  }
  return sum / d.rows.length;
}

/** d NLL / d β at β = 1/T for logits z + b: mean(E_p[z + b] − (z_y + b_y)). */
function nllSlope(d: LabelledLogits, bias: readonly number[], beta: number): number {
  const C = d.classes;
  const v = new Float64Array(C);
  let sum = 0;
  for (let i = 0; i < d.rows.length; i++) {
    const z = d.rows[i];
    let max = -Infinity;
    for (let k = 0; k < C; k++) max = Math.max(max, (v[k] = z[k] + bias[k]));
    let e = 0;
    let ez = 0;
    for (let k = 0; k < C; k++) {
      const w = Math.exp(beta * (v[k] - max));
      e += w;
      ez += w * v[k];
    }
    sum += ez / e - v[d.labels[i]];
  }
  return sum / d.rows.length;
}

/** The temperature minimising the mean NLL of softmax((z + bias)/T). */
export function fitTemperature(d: LabelledLogits, bias: readonly number[] = new Array<number>(d.classes).fill(0)): number {
  checkData(d);
  let lo = Math.log(1 / T_MAX); // log β
  let hi = Math.log(1 / T_MIN);
  if (nllSlope(d, bias, Math.exp(lo)) >= 0) return T_MAX;
  if (nllSlope(d, bias, Math.exp(hi)) <= 0) return T_MIN;
  for (let it = 0; it < 100 && hi - lo > 1e-13; it++) {
    const mid = (lo + hi) / 2;
    if (nllSlope(d, bias, Math.exp(mid)) < 0) lo = mid;
    else hi = mid;
  }
  return 1 / Math.exp((lo + hi) / 2);
}

/** F1 of the objective from running counts (tp, predicted, gold per label). */
function f1Score(objective: "macro-f1" | "micro-f1", tp: Float64Array, pred: Float64Array, gold: Float64Array, n: number): number {
  if (objective === "micro-f1") return tp.reduce((a, b) => a + b, 0) / n; // one label per pair: micro-F1 = accuracy
  let sum = 0;
  let present = 0;
  for (let c = 0; c < tp.length; c++) {
    if (pred[c] + gold[c] === 0) continue;
    present++;
    const p = pred[c] ? tp[c] / pred[c] : 0;
    const r = gold[c] ? tp[c] / gold[c] : 0;
    sum += p + r ? (2 * p * r) / (p + r) : 0;
  }
  return present ? sum / present : 0;
}

function argmaxWith(z: ArrayLike<number>, bias: readonly number[], skip = -1): number {
  let best = -1;
  let max = -Infinity;
  for (let k = 0; k < bias.length; k++) {
    if (k === skip) continue;
    const v = z[k] + bias[k];
    if (v > max) [max, best] = [v, k];
  }
  return best;
}

/** Per-label biases (b_0 = 0) maximising the objective's F1 of argmax(z + b), by exact coordinate ascent. */
export function fitBiases(d: LabelledLogits, objective: "macro-f1" | "micro-f1", maxSweeps = 20): number[] {
  checkData(d);
  const C = d.classes;
  const n = d.rows.length;
  const bias = new Array<number>(C).fill(0);
  const gold = new Float64Array(C);
  for (let i = 0; i < n; i++) gold[d.labels[i]]++;
  const score = () => {
    const tp = new Float64Array(C);
    const pred = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      const p = argmaxWith(d.rows[i], bias);
      pred[p]++;
      if (p === d.labels[i]) tp[p]++;
    }
    return f1Score(objective, tp, pred, gold, n);
  };
  let current = score();
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let improved = false;
    for (let c = 1; c < C; c++) {
      // with b_c → −∞ every row goes to its best other label; row i turns to c once b_c > t_i
      const tp = new Float64Array(C);
      const pred = new Float64Array(C);
      const flips: Array<{ t: number; from: number; gold: number }> = [];
      for (let i = 0; i < n; i++) {
        const z = d.rows[i];
        const other = argmaxWith(z, bias, c);
        pred[other]++;
        if (other === d.labels[i]) tp[other]++;
        flips.push({ t: z[other] + bias[other] - z[c], from: other, gold: d.labels[i] });
      }
      flips.sort((a, b) => a.t - b.t);
      let best = f1Score(objective, tp, pred, gold, n);
      let bestAt = -1; // b_c below every t (no row predicted c)
      for (let k = 0; k < flips.length; k++) {
        const f = flips[k];
        pred[f.from]--;
        if (f.gold === f.from) tp[f.from]--;
        pred[c]++;
        if (f.gold === c) tp[c]++;
        if (k + 1 < flips.length && flips[k + 1].t === f.t) continue; // ties flip together
        const s = f1Score(objective, tp, pred, gold, n);
        if (s > best + 1e-12) [best, bestAt] = [s, k];
      }
      if (best <= current + 1e-12) continue;
      const lower = bestAt < 0 ? flips[0].t - 1 : flips[bestAt].t;
      const upper = bestAt + 1 < flips.length ? flips[bestAt + 1].t : flips[flips.length - 1].t + 1;
      bias[c] = bestAt < 0 ? lower : bestAt + 1 < flips.length ? (lower + upper) / 2 : lower + 1;
      current = best;
      improved = true;
    }
    if (!improved) break;
  }
  return bias;
}

/** Label shares of the gold labels, id order. */
export function labelShares(d: LabelledLogits): number[] {
  const counts = new Array<number>(d.classes).fill(0);
  for (let i = 0; i < d.labels.length; i++) counts[d.labels[i]]++;
  return counts.map((k) => k / d.labels.length);
}

/** b + T·(log π' − log π): moves the calibrated distribution from label prior π to π' (Menon et al.). */
export function shiftPrior(c: ScoreCalibration, from: readonly number[], to: readonly number[]): ScoreCalibration {
  const missing = from.findIndex((p) => !(p > 0));
  if (missing >= 0) {
    throw new EsciError("INVALID_INPUT", `label id ${missing} has no pairs in the calibration data, so its prior cannot be moved; calibrate on data with every label`);
  }
  return { temperature: c.temperature, bias: c.bias.map((b, k) => b + c.temperature * (Math.log(to[k]) - Math.log(from[k]))) };
}

export interface FitOptions {
  objective: CalibrationObjective;
  /** Target label prior, id order (sums to 1): shift the fitted calibration to it. nll only. */
  prior?: number[];
}

/** Temperature by NLL; then biases for an F1 objective, or the shift to another prior. */
export function fitCalibration(d: LabelledLogits, o: FitOptions): ScoreCalibration {
  if (o.prior && o.objective !== "nll") {
    throw new EsciError("INVALID_ARGUMENT", `\`prior\` moves the calibrated probabilities to another label mix; \`objective: "${o.objective}"\` tunes biases to the calibration data's own mix — use one or the other`, {
      option: "prior",
      options: ["objective"],
    });
  }
  const temperature = fitTemperature(d);
  const bias = o.objective === "nll" ? new Array<number>(d.classes).fill(0) : fitBiases(d, o.objective);
  const c = { temperature, bias };
  return o.prior ? shiftPrior(c, labelShares(d), o.prior) : c;
}

function checkData(d: LabelledLogits): void {
  if (d.rows.length === 0) throw new EsciError("INVALID_INPUT", "no labelled pairs to calibrate on");
  if (d.rows.length !== d.labels.length) throw new EsciError("INVALID_ARGUMENT", `${d.rows.length} logit rows but ${d.labels.length} labels`);
  if (d.classes < 2) throw new EsciError("UNSUPPORTED", "calibration needs a head of at least two labels (a one-logit reranker has no label probabilities to calibrate)");
}
