/**
 * Scores that rank products, computed in one place for every caller: the search pipeline's
 * rerank, the HTTP rerank routes, `/v1/classify`'s score and the evaluation of prediction files.
 *
 * - Expected gain Σ P(label)·gain(label) (Task 1 gains E 1, S 0.1, C 0.01, I 0 unless others are
 *   given; labels.ts): the ranking that maximises expected nDCG for a calibrated model.
 * - A rerank score for any cross-encoder: the expected gain of an ESCI classifier, the sigmoid
 *   probability of a one-logit reranker (as TEI and sentence-transformers report it).
 * - Its "raw" counterpart (TEI's `raw_scores`): a one-logit reranker's logit; for an ESCI
 *   classifier the log-odds of Exact, z_E − log Σ_{j≠E} exp(z_j): the value whose sigmoid is
 *   P(Exact), which is exactly what raw means for a one-logit reranker, and unlike the bare E logit
 *   it does not move when a model shifts all its logits together. The expected gain itself has no
 *   pre-softmax counterpart.
 */
import { EsciError } from "../errors/index.js";
import type { PairPrediction } from "../models/types.js";
import { ESCI_GAINS, parseEsciLabel, type EsciLabel } from "./labels.js";

export type EsciGains = Readonly<Record<EsciLabel, number>>;

/** Gains with the Task 1 defaults filled in; a gain that is not a finite number is INVALID_ARGUMENT. */
export function resolveGains(gains: Partial<EsciGains> = {}): EsciGains {
  const g = { ...ESCI_GAINS, ...gains };
  for (const [l, v] of Object.entries(g)) {
    if (!Number.isFinite(v)) throw new EsciError("INVALID_ARGUMENT", `\`gains\`: the gain of ${l} must be a finite number, got ${v}`, { option: "gains", label: l, value: v });
  }
  return g;
}

/**
 * Σ P(label)·gain(label) over probabilities keyed by any label spelling (a model's id2label names
 * or ESCI letters), in the map's order; `gains` default to ESCI_GAINS (pass resolveGains' result
 * for others). A key that is not an ESCI label is INVALID_INPUT.
 */
export function expectedGain(probs: Readonly<Record<string, number>>, gains: Partial<EsciGains> = ESCI_GAINS): number {
  let g = 0;
  for (const [name, p] of Object.entries(probs)) {
    const l = parseEsciLabel(name);
    if (l === undefined) throw new EsciError("INVALID_INPUT", `probability key "${name}" is not an ESCI label`, { label: name });
    g += p * (gains[l] ?? ESCI_GAINS[l]);
  }
  return g;
}

/** log P(class i) − log P(not class i) from logits: z_i − log Σ_{j≠i} exp(z_j), computed stably. */
export function logOdds(logits: readonly number[], i: number): number {
  let m = -Infinity;
  for (let j = 0; j < logits.length; j++) if (j !== i) m = Math.max(m, logits[j]);
  let s = 0;
  for (let j = 0; j < logits.length; j++) if (j !== i) s += Math.exp(logits[j] - m);
  return logits[i] - (m + Math.log(s));
}

/** How a cross-encoder's predictions become one rerank score. */
export type RerankMode = "expected-gain" | "sigmoid" | "none";

export interface RerankScoring {
  readonly mode: RerankMode;
  /** The rerank score: expected gain (ESCI labels) or sigmoid probability (one logit). */
  score(p: PairPrediction): number;
  /** The raw score: the logit of a one-logit model, the log-odds of Exact of an ESCI classifier. */
  raw(p: PairPrediction): number;
}

/**
 * The rerank scoring of a model with these labels (in id order). For labels that are neither
 * ESCI labels nor one logit, `mode` is "none" and score/raw throw UNSUPPORTED.
 */
export function rerankScoring(labels: readonly string[]): RerankScoring {
  if (labels.length === 1) return { mode: "sigmoid", score: (p) => p.probs[labels[0]], raw: (p) => p.logits[0] };
  const letters = labels.map((l) => parseEsciLabel(l));
  if (letters.some((l) => l === undefined)) {
    const fail = (): never => {
      throw new EsciError("UNSUPPORTED", `labels ${labels.join(", ")} are neither ESCI labels nor one relevance logit, so they cannot rank`, { option: "labels", labels: [...labels] });
    };
    return { mode: "none", score: fail, raw: fail };
  }
  const exact = letters.indexOf("E");
  return {
    mode: "expected-gain",
    score: (p) => expectedGain(p.probs),
    // Without an Exact label, P(Exact) is 0: log-odds −∞.
    raw: (p) => (exact < 0 ? -Infinity : logOdds(p.logits, exact)),
  };
}
