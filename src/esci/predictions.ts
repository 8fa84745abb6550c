/**
 * The prediction row format shared by `esci predict`, `esci classify` and `esci evaluate`.
 *
 * Written rows are JSONL: the input row's fields, then `logits` (id order), `probs`
 * ({label: p}), `label` (arg-max, the checkpoint's id2label name), `esci` (its ESCI letter, when
 * it is an ESCI class) and, when the model's stored calibration made probs and label,
 * `calibrated: true`. Input fields named `label` or `esci` (a gold label in a pair file) are kept
 * as `gold_label` / `gold_esci` so a prediction never overwrites them silently. Read rows need
 * `query_id`, `product_id` and at least one of `probs`, `label`, `score`; from those,
 * `rankingScore` derives the Task 1 score: `score` if given, else the expected gain
 * Σ P(label)·gain(label), else the gain of the predicted label.
 */
import type { PairPrediction } from "../models/types.js";
import type { InputIssue } from "./issues.js";
import { expectedGain } from "./gains.js";
import { ESCI_GAINS, parseEsciLabel, type EsciLabel } from "./labels.js";
import { checkId, checkNumber, isAbsent, toJsonValue, type Checked } from "./values.js";

/** One output row: input fields (label → gold_label, esci → gold_esci) + logits, probs, label, esci. */
export function predictionRow(fields: Readonly<Record<string, unknown>>, p: PairPrediction): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === "logits" || k === "probs" || k === "calibrated") continue;
    o[k === "label" || k === "esci" ? `gold_${k}` : k] = toJsonValue(v);
  }
  o.logits = p.logits;
  o.probs = p.probs;
  o.label = p.label;
  const esci = parseEsciLabel(p.label);
  if (esci) o.esci = esci;
  if (p.calibrated) o.calibrated = true;
  return o;
}

/** predictionRow as one JSONL line, newline included. */
export function formatPredictionLine(fields: Readonly<Record<string, unknown>>, p: PairPrediction): string {
  return JSON.stringify(predictionRow(fields, p)) + "\n";
}

/** A prediction read back for evaluation, with the ESCI view of its label and probabilities. */
export interface ParsedPrediction {
  query_id: string;
  product_id: string;
  /** Probabilities keyed by ESCI letter (summed if two spellings of a label appear). */
  probs?: Partial<Record<EsciLabel, number>>;
  /** Predicted ESCI label: `label` if given, else arg-max of probs. */
  label?: EsciLabel;
  score?: number;
}

export type ScoreSource = "score" | "expected_gain" | "label_gain";

/** Task 1 ranking score of a prediction and where it came from; undefined when it has none. */
export function rankingScore(p: Pick<ParsedPrediction, "score" | "probs" | "label">): { score: number; source: ScoreSource } | undefined {
  if (p.score !== undefined) return { score: p.score, source: "score" };
  if (p.probs) return { score: expectedGain(p.probs as Record<EsciLabel, number>), source: "expected_gain" };
  if (p.label !== undefined) return { score: ESCI_GAINS[p.label], source: "label_gain" };
  return undefined;
}

/** Validate one prediction row read from `file` at `row`. */
export function parsePredictionRow(file: string, row: number, v: Record<string, unknown>): Checked<ParsedPrediction> {
  const qid = checkId(v.query_id, { file, row, column: "query_id" });
  if (!qid.ok) return qid;
  const pid = checkId(v.product_id, { file, row, column: "product_id" });
  if (!pid.ok) return pid;
  const out: ParsedPrediction = { query_id: qid.value, product_id: pid.value };
  const bad = (column: string, kind: InputIssue["kind"], reason: string): Checked<ParsedPrediction> => ({ ok: false, issue: { kind, file, row, column, reason } });

  let probsRaw = v.probs;
  if (typeof probsRaw === "string" && probsRaw.trim().startsWith("{")) {
    try {
      probsRaw = JSON.parse(probsRaw); // a CSV cell holding JSON
    } catch {
      return bad("probs", "wrong_type", "not a JSON object");
    }
  }
  if (!isAbsent(probsRaw)) {
    if (typeof probsRaw !== "object" || Array.isArray(probsRaw) || probsRaw === null) {
      return bad("probs", "wrong_type", `expected an object {label: probability}, got ${Array.isArray(probsRaw) ? "array" : typeof probsRaw}`);
    }
    const probs: Partial<Record<EsciLabel, number>> = {};
    let best: EsciLabel | undefined;
    let bestP = -Infinity;
    for (const [k, p] of Object.entries(probsRaw)) {
      const l = parseEsciLabel(k);
      if (l === undefined) return bad("probs", "unknown_label", `unknown label "${k}" in probs (expected E, S, C, I or full names)`);
      if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1) return bad("probs", "wrong_type", `probability of "${k}" must be a number in [0, 1], got ${JSON.stringify(p)}`);
      probs[l] = (probs[l] ?? 0) + p;
      if (p > bestP) {
        bestP = p;
        best = l;
      }
    }
    if (best === undefined) return bad("probs", "missing_value", "empty probs object");
    out.probs = probs;
    out.label = best;
  }
  if (!isAbsent(v.label)) {
    const l = parseEsciLabel(v.label);
    if (l === undefined) return bad("label", "unknown_label", `unknown label ${JSON.stringify(v.label)} (expected E, S, C, I or exact, substitute, complement, irrelevant)`);
    out.label = l;
  }
  if (!isAbsent(v.score)) {
    const s = checkNumber(v.score, { file, row, column: "score" });
    if (!s.ok) return s;
    out.score = s.value;
  }
  if (out.probs === undefined && out.label === undefined && out.score === undefined) {
    return bad("probs", "missing_column", 'a prediction needs one of "probs", "label" or "score"');
  }
  return { ok: true, value: out };
}
