/**
 * How far one pair scorer's predictions are from another's on the same pairs, and how long each
 * took: what `esci quantize` reports for int8 against float32, so a user can see what int8 does
 * to their own model on their own pairs before serving it (int8's drift depends on the model:
 * bench/results/int8-schemes.md).
 */
import { EsciError } from "../errors/index.js";
import type { Pair, PairPrediction, PairScorer, PredictOptions } from "./types.js";

/** One pair's two predictions. */
export interface PairComparison {
  /** Index of the pair in the compared list. */
  index: number;
  reference: PairPrediction;
  candidate: PairPrediction;
}

export interface ScorerComparison {
  pairs: number;
  /** Share of pairs on which both make the same decision (see `decision`). */
  agreement: number;
  /** Largest, mean and 99th-percentile |Δprob| over every label of every pair. */
  maxProbDiff: number;
  /** The pair with that largest |Δprob|. */
  mostMoved: PairComparison;
  meanProbDiff: number;
  p99ProbDiff: number;
  maxLogitDiff: number;
  /** Pairs whose decision differs: how many, and the first `maxChanged` of them. */
  changedCount: number;
  changed: PairComparison[];
  /** Seconds each scorer took for all the pairs, end to end (tokenization included). */
  referenceSeconds: number;
  candidateSeconds: number;
}

export interface CompareOptions extends Omit<PredictOptions, "onProgress"> {
  /** Progress over both timed runs: (pairs done, 2 × pairs). */
  onProgress?: (done: number, total: number) => void;
  /** How many changed decisions to keep (default 20). */
  maxChanged?: number;
  /** Pairs scored by each scorer before the timed run (default 32). */
  warmup?: number;
}

/**
 * What a prediction decides: its label, or for a one-logit head (a reranker's relevance score)
 * which side of 0.5 its probability is on.
 */
export function decision(p: PairPrediction, labels: readonly string[]): string | boolean {
  return labels.length === 1 ? p.probs[labels[0]] > 0.5 : p.label;
}

async function timedPredict(scorer: PairScorer, pairs: readonly Pair[], o: CompareOptions, offset: number): Promise<{ preds: PairPrediction[]; seconds: number }> {
  const opts: PredictOptions = { batchSize: o.batchSize, maxLength: o.maxLength };
  const warmup = o.warmup ?? 32;
  if (warmup > 0) await scorer.predict(pairs.slice(0, warmup), opts);
  const start = performance.now();
  const preds = await scorer.predict(pairs, { ...opts, onProgress: o.onProgress && ((done) => o.onProgress!(offset + done, 2 * pairs.length)) });
  return { preds, seconds: (performance.now() - start) / 1000 };
}

/** Scores `pairs` with both scorers (one after the other, each timed) and compares the results. */
export async function compareScorers(reference: PairScorer, candidate: PairScorer, pairs: readonly Pair[], o: CompareOptions = {}): Promise<ScorerComparison> {
  if (pairs.length === 0) throw new EsciError("INVALID_ARGUMENT", "no pairs to compare");
  const labels = reference.labels;
  if (candidate.labels.length !== labels.length || candidate.labels.some((l, i) => l !== labels[i])) {
    throw new EsciError("INVALID_ARGUMENT", `the two models have different labels: [${labels.join(", ")}] and [${candidate.labels.join(", ")}]`);
  }
  const ref = await timedPredict(reference, pairs, o, 0);
  const cand = await timedPredict(candidate, pairs, o, pairs.length);

  const diffs = new Float64Array(pairs.length * labels.length);
  let agree = 0;
  let maxLogitDiff = 0;
  let changedCount = 0;
  let maxProbDiffIndex = 0;
  let maxProbDiff = 0;
  const changed: PairComparison[] = [];
  ref.preds.forEach((r, i) => {
    const c = cand.preds[i];
    if (decision(r, labels) === decision(c, labels)) agree++;
    else if (changedCount++ < (o.maxChanged ?? 20)) changed.push({ index: i, reference: r, candidate: c });
    labels.forEach((l, j) => {
      const d = (diffs[i * labels.length + j] = Math.abs(r.probs[l] - c.probs[l]));
      if (d > maxProbDiff) [maxProbDiff, maxProbDiffIndex] = [d, i];
    });
    r.logits.forEach((v, j) => (maxLogitDiff = Math.max(maxLogitDiff, Math.abs(v - c.logits[j]))));
  });
  const sum = diffs.reduce((a, b) => a + b, 0);
  const sorted = diffs.sort();
  return {
    pairs: pairs.length,
    agreement: agree / pairs.length,
    maxProbDiff,
    mostMoved: { index: maxProbDiffIndex, reference: ref.preds[maxProbDiffIndex], candidate: cand.preds[maxProbDiffIndex] },
    meanProbDiff: sum / diffs.length,
    p99ProbDiff: sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)],
    maxLogitDiff,
    changedCount,
    changed,
    referenceSeconds: ref.seconds,
    candidateSeconds: cand.seconds,
  };
}
