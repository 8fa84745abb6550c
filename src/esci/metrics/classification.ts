/**
 * Classification metrics for KDD Cup 2022 Task 2 (ESCI classification) and Task 3 (substitute
 * identification), as pure functions over parallel arrays of gold and predicted labels.
 *
 * They mirror scikit-learn 1.2's `precision_recall_fscore_support`, `f1_score` and
 * `confusion_matrix` with their defaults, because the KDD Cup baselines scored with
 * `f1_score(gold, pred, average=…)` (amazon-science/esci-data, classification_identification/
 * inference.py): averages run over the labels present in gold ∪ predicted; a ratio whose
 * denominator is 0 counts as 0 (`zero_division="warn"`); F1 is computed as 2·P·R / (P + R) from the
 * rounded P and R, exactly as sklearn does, so values match its output to the last bits.
 * test/esci/fixtures/sklearn-*.json hold reference values made by scripts/esci/make_metric_fixtures.py.
 */
import { EsciError } from "../../errors/index.js";
import type { EsciLabel } from "../labels.js";

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold rows of this class. */
  support: number;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[i][j] = rows whose gold label is labels[i] and predicted label is labels[j] (sklearn's layout). */
  matrix: number[][];
}

export interface ClassificationReport {
  count: number;
  /** (Σ correct) / count. */
  accuracy: number;
  /** F1 of the pooled TP/FP/FN; equals accuracy when every row has one gold and one predicted label. */
  micro_f1: number;
  /** Unweighted mean of per-class F1 over the labels present in gold ∪ predicted. */
  macro_f1: number;
  /** Per-class F1 weighted by support. */
  weighted_f1: number;
  per_class: Record<string, ClassScores>;
  confusion: ConfusionMatrix;
}

function checkLengths(gold: readonly unknown[], pred: readonly unknown[]): void {
  if (gold.length !== pred.length) {
    throw new EsciError("INVALID_ARGUMENT", `gold and predicted labels differ in length (${gold.length} vs ${pred.length})`);
  }
}

/** Labels present in gold ∪ predicted, sorted (sklearn's `unique_labels`). */
export function presentLabels(gold: readonly string[], pred: readonly string[]): string[] {
  return [...new Set([...gold, ...pred])].sort();
}

/**
 * Confusion matrix with rows = gold, columns = predicted, in the order of `labels`
 * (default: sorted labels present, as sklearn). Rows whose gold or predicted label is not in
 * `labels` are not counted, as sklearn does when `labels` is given.
 */
export function confusionMatrix(gold: readonly string[], pred: readonly string[], labels?: readonly string[]): ConfusionMatrix {
  checkLengths(gold, pred);
  const ls = labels ? [...labels] : presentLabels(gold, pred);
  const index = new Map(ls.map((l, i) => [l, i]));
  const matrix = ls.map(() => ls.map(() => 0));
  for (let k = 0; k < gold.length; k++) {
    const i = index.get(gold[k]);
    const j = index.get(pred[k]);
    if (i !== undefined && j !== undefined) matrix[i][j]++;
  }
  return { labels: ls, matrix };
}

/** tp / denom, 0 when denom is 0 (sklearn's zero_division="warn" result). */
function ratio(num: number, denom: number): number {
  return denom === 0 ? 0 : num / denom;
}

/** F1 = 2·P·R / (P + R), 0 when P + R = 0 — sklearn's formula (beta = 1), not 2TP / (2TP + FP + FN). */
export function f1From(precision: number, recall: number): number {
  const denom = precision + recall;
  return denom === 0 ? 0 : (2 * precision * recall) / denom;
}

/**
 * Accuracy, micro/macro/weighted F1, per-class precision/recall/F1/support and the confusion
 * matrix. `labels` fixes the rows reported in `per_class` and the confusion matrix (e.g. all four
 * ESCI letters, so an absent class shows as zeros); the macro and weighted averages still run over
 * the labels present in gold ∪ predicted, as sklearn's default `labels=None` does.
 */
export function classificationReport(gold: readonly string[], pred: readonly string[], labels?: readonly string[]): ClassificationReport {
  checkLengths(gold, pred);
  const present = presentLabels(gold, pred);
  const reported = labels ? [...labels, ...present.filter((l) => !labels.includes(l))] : present;
  const tp = new Map<string, number>();
  const predCount = new Map<string, number>();
  const goldCount = new Map<string, number>();
  let correct = 0;
  for (let k = 0; k < gold.length; k++) {
    const g = gold[k];
    const p = pred[k];
    goldCount.set(g, (goldCount.get(g) ?? 0) + 1);
    predCount.set(p, (predCount.get(p) ?? 0) + 1);
    if (g === p) {
      correct++;
      tp.set(g, (tp.get(g) ?? 0) + 1);
    }
  }
  const perClass: Record<string, ClassScores> = {};
  for (const l of reported) {
    const t = tp.get(l) ?? 0;
    const precision = ratio(t, predCount.get(l) ?? 0);
    const recall = ratio(t, goldCount.get(l) ?? 0);
    perClass[l] = { precision, recall, f1: f1From(precision, recall), support: goldCount.get(l) ?? 0 };
  }
  // Averages over the present labels only (sklearn labels=None).
  let tpSum = 0;
  let predSum = 0;
  let goldSum = 0;
  let macro = 0;
  let weighted = 0;
  for (const l of present) {
    tpSum += tp.get(l) ?? 0;
    predSum += predCount.get(l) ?? 0;
    goldSum += goldCount.get(l) ?? 0;
    macro += perClass[l].f1;
    weighted += perClass[l].f1 * perClass[l].support;
  }
  const microP = ratio(tpSum, predSum);
  const microR = ratio(tpSum, goldSum);
  return {
    count: gold.length,
    accuracy: ratio(correct, gold.length),
    micro_f1: f1From(microP, microR),
    macro_f1: present.length ? macro / present.length : 0,
    weighted_f1: ratio(weighted, goldSum),
    per_class: perClass,
    confusion: confusionMatrix(gold, pred, reported),
  };
}

export const SUBSTITUTE = "substitute";
export const NO_SUBSTITUTE = "no_substitute";

export interface SubstituteReport {
  count: number;
  /** micro-F1 over {substitute, no_substitute}: the KDD Cup 2022 Task 3 metric. */
  micro_f1: number;
  accuracy: number;
  /** Scores of the positive class alone, for reading the micro-F1 (which equals accuracy). */
  substitute: ClassScores;
  confusion: ConfusionMatrix;
}

/** Task 3's binary view of an ESCI label: S → substitute, E/C/I → no_substitute (esci-data's inference.py). */
export function substituteClass(l: EsciLabel): string {
  return l === "S" ? SUBSTITUTE : NO_SUBSTITUTE;
}

/**
 * KDD Cup 2022 Task 3: substitute identification scored with sklearn `f1_score(…, average="micro")`
 * over the two classes substitute / no_substitute (esci-data maps E, C, I to no_substitute). With
 * one gold and one predicted class per row, micro-F1 equals accuracy.
 */
export function substituteReport(gold: readonly EsciLabel[], pred: readonly EsciLabel[]): SubstituteReport {
  const g = gold.map(substituteClass);
  const p = pred.map(substituteClass);
  const r = classificationReport(g, p, [SUBSTITUTE, NO_SUBSTITUTE]);
  return { count: r.count, micro_f1: r.micro_f1, accuracy: r.accuracy, substitute: r.per_class[SUBSTITUTE], confusion: r.confusion };
}
