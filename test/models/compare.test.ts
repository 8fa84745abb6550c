/**
 * compareScorers on stub scorers whose predictions are written out by hand, so every statistic
 * of the comparison can be checked against a value worked out here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toPrediction } from "../../src/models/cross-encoder.js";
import { compareScorers, decision } from "../../src/models/compare.js";
import type { Pair, PairPrediction, PairScorer } from "../../src/models/types.js";

/** A scorer that returns `logits[query]` for each pair and records the calls it got. */
function stub(labels: string[], logits: Record<string, number[]>): PairScorer & { calls: number[] } {
  const calls: number[] = [];
  return {
    labels,
    calls,
    async predict(pairs: readonly Pair[], options = {}): Promise<PairPrediction[]> {
      calls.push(pairs.length);
      const out = pairs.map(([q]) => toPrediction(logits[q], labels));
      options.onProgress?.(pairs.length, pairs.length);
      return out;
    },
  };
}

const LABELS = ["exact", "substitute", "complement", "irrelevant"];
const PAIRS: Pair[] = [
  ["a", "x"],
  ["b", "x"],
  ["c", "x"],
  ["d", "x"],
];

describe("compareScorers", () => {
  it("counts kept decisions, measures |Δprob| and lists the pairs that changed", async () => {
    const ref: Record<string, number[]> = { a: [2, 0, 0, 0], b: [0, 1, 0, 0], c: [0, 0, 0.1, 0], d: [0, 0, 0, 3] };
    // b: same logits; c: the arg-max moves from complement to exact; a and d: same label, other probabilities.
    const cand: Record<string, number[]> = { a: [2.5, 0, 0, 0], b: [0, 1, 0, 0], c: [0.2, 0, 0.1, 0], d: [0, 0, 0, 2] };
    const [reference, candidate] = [stub(LABELS, ref), stub(LABELS, cand)];
    const c = await compareScorers(reference, candidate, PAIRS, { warmup: 2 });

    const probDiffs = PAIRS.map(([q]) => {
      const [r, k] = [toPrediction(ref[q], LABELS), toPrediction(cand[q], LABELS)];
      return LABELS.map((l) => Math.abs(r.probs[l] - k.probs[l]));
    });
    const all = probDiffs.flat();
    const max = Math.max(...all);

    assert.equal(c.pairs, 4);
    assert.equal(c.agreement, 3 / 4);
    assert.equal(c.changedCount, 1);
    assert.deepEqual(
      c.changed.map((d) => [d.index, d.reference.label, d.candidate.label]),
      [[2, "complement", "exact"]],
    );
    assert.equal(c.maxProbDiff, max);
    assert.equal(c.mostMoved.index, probDiffs.findIndex((row) => row.includes(max)));
    assert.equal(c.mostMoved.index, 3, "d's logit 3 → 2 moves a probability most");
    assert.ok(Math.abs(c.meanProbDiff - all.reduce((a, b) => a + b, 0) / all.length) < 1e-12);
    assert.equal(c.p99ProbDiff, max, "16 values: the 99th percentile is the largest");
    assert.equal(c.maxLogitDiff, 1);
    assert.ok(c.referenceSeconds >= 0 && c.candidateSeconds >= 0);
    // each scorer: a 2-pair warm-up, then all the pairs in one timed call
    assert.deepEqual(reference.calls, [2, 4]);
    assert.deepEqual(candidate.calls, [2, 4]);
  });

  it("a one-logit head decides by the side of 0.5, not by its (only) label", async () => {
    const reference = stub(["relevant"], { a: [0.1], b: [-2], c: [3], d: [0] });
    const candidate = stub(["relevant"], { a: [-0.1], b: [-2.5], c: [3], d: [0.01] });
    const c = await compareScorers(reference, candidate, PAIRS);
    // a crosses 0.5 (0.525 → 0.475); d moves from exactly 0.5 (not > 0.5) to above it
    assert.equal(c.changedCount, 2);
    assert.deepEqual(
      c.changed.map((d) => d.index),
      [0, 3],
    );
    assert.equal(decision(c.changed[0].reference, ["relevant"]), true);
    assert.equal(decision(c.changed[0].candidate, ["relevant"]), false);
  });

  it("keeps at most maxChanged changed pairs but counts them all, and reports progress over both runs", async () => {
    const reference = stub(["yes", "no"], { a: [1, 0], b: [1, 0], c: [1, 0], d: [1, 0] });
    const candidate = stub(["yes", "no"], { a: [0, 1], b: [0, 1], c: [0, 1], d: [0, 1] });
    const progress: Array<[number, number]> = [];
    const c = await compareScorers(reference, candidate, PAIRS, { maxChanged: 2, warmup: 0, onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(c.agreement, 0);
    assert.equal(c.changedCount, 4);
    assert.equal(c.changed.length, 2);
    assert.deepEqual(progress, [
      [4, 8],
      [8, 8],
    ]);
  });

  it("refuses no pairs, and models whose labels differ", async () => {
    const a = stub(LABELS, {});
    await assert.rejects(compareScorers(a, a, []), /no pairs/);
    const b = stub(["exact", "substitute", "irrelevant", "complement"], {});
    await assert.rejects(compareScorers(a, b, PAIRS), (e: Error & { code?: string }) => e.code === "INVALID_ARGUMENT" && /different labels/.test(e.message));
  });
});
