/**
 * Metric tests: hand-computed cases (with the arithmetic in comments) and reference values
 * computed once with scikit-learn 1.2 (scripts/esci/make_metric_fixtures.py →
 * test/esci/fixtures/sklearn-*.json).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  calibration,
  classificationReport,
  compareRun,
  confusionMatrix,
  ESCI_GAINS,
  meanNdcg,
  queryNdcg,
  substituteReport,
  type EsciLabel,
} from "../../src/esci/index.js";
import { FIXTURES } from "./helpers.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

describe("classification metrics, hand-computed", () => {
  // gold: E E E S S C I I ; pred: E E S S E C I E
  const gold = ["E", "E", "E", "S", "S", "C", "I", "I"];
  const pred = ["E", "E", "S", "S", "E", "C", "I", "E"];
  const r = classificationReport(gold, pred, ["E", "S", "C", "I"]);

  it("accuracy and micro-F1 = 5/8", () => {
    close(r.accuracy, 5 / 8);
    close(r.micro_f1, 5 / 8);
  });

  it("per class: E P=2/4 R=2/3; S P=1/2 R=1/2; C 1/1; I P=1 R=1/2", () => {
    close(r.per_class.E.precision, 0.5);
    close(r.per_class.E.recall, 2 / 3);
    close(r.per_class.E.f1, (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3));
    close(r.per_class.S.f1, 0.5);
    close(r.per_class.C.f1, 1);
    close(r.per_class.I.precision, 1);
    close(r.per_class.I.recall, 0.5);
    close(r.per_class.I.f1, 2 / 3);
    assert.deepEqual(
      ["E", "S", "C", "I"].map((l) => r.per_class[l].support),
      [3, 2, 1, 2],
    );
  });

  it("macro = mean of the four F1, weighted by support", () => {
    const f = ["E", "S", "C", "I"].map((l) => r.per_class[l].f1);
    close(r.macro_f1, (f[0] + f[1] + f[2] + f[3]) / 4);
    close(r.weighted_f1, (3 * f[0] + 2 * f[1] + 1 * f[2] + 2 * f[3]) / 8);
  });

  it("confusion: rows gold, columns predicted", () => {
    assert.deepEqual(r.confusion.labels, ["E", "S", "C", "I"]);
    assert.deepEqual(r.confusion.matrix, [
      [2, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 0],
      [1, 0, 0, 1],
    ]);
  });

  it("a reported class absent from gold and predictions shows zeros but is not averaged", () => {
    const x = classificationReport(["E", "I"], ["E", "I"], ["E", "S", "C", "I"]);
    assert.deepEqual(x.per_class.S, { precision: 0, recall: 0, f1: 0, support: 0 });
    close(x.macro_f1, 1);
  });

  it("empty input gives zeros, mismatched lengths throw", () => {
    const x = classificationReport([], []);
    assert.equal(x.accuracy, 0);
    assert.throws(() => classificationReport(["E"], []), /differ in length/);
    assert.throws(() => confusionMatrix(["E"], []), /differ in length/);
  });

  it("Task 3: S vs not-S micro-F1 equals accuracy of the binary view", () => {
    // gold  E S S C I ; pred S S E C S → binary gold n s s n n, pred s s n n s → 2 of 5 right… plus C,n
    const t3 = substituteReport(["E", "S", "S", "C", "I"] as EsciLabel[], ["S", "S", "E", "C", "S"] as EsciLabel[]);
    // correct: S/S, C/C(n=n) → 2; E→S wrong, S→E wrong, I→S wrong → accuracy 2/5
    close(t3.micro_f1, 2 / 5);
    close(t3.accuracy, 2 / 5);
    close(t3.substitute.precision, 1 / 3);
    close(t3.substitute.recall, 1 / 2);
    assert.deepEqual(t3.confusion.matrix, [
      [1, 1],
      [2, 1],
    ]);
  });
});

interface SkCase {
  name: string;
  gold: string[];
  pred: string[];
  labels: string[];
  accuracy: number;
  micro_f1: number;
  macro_f1: number;
  weighted_f1: number;
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  confusion: number[][];
  esci_gold?: EsciLabel[];
  esci_pred?: EsciLabel[];
}

describe("classification metrics vs scikit-learn 1.2 (committed fixtures)", () => {
  const fx = JSON.parse(readFileSync(join(FIXTURES, "sklearn-classification.json"), "utf8")) as { cases: SkCase[] };
  for (const c of fx.cases) {
    it(c.name, () => {
      const r = classificationReport(c.gold, c.pred);
      close(r.accuracy, c.accuracy, 1e-12, "accuracy");
      close(r.micro_f1, c.micro_f1, 1e-12, "micro");
      close(r.macro_f1, c.macro_f1, 1e-12, "macro");
      close(r.weighted_f1, c.weighted_f1, 1e-12, "weighted");
      assert.deepEqual(r.confusion.labels, c.labels);
      assert.deepEqual(r.confusion.matrix, c.confusion);
      for (const l of c.labels) {
        close(r.per_class[l].precision, c.per_class[l].precision, 1e-12, `${l} precision`);
        close(r.per_class[l].recall, c.per_class[l].recall, 1e-12, `${l} recall`);
        close(r.per_class[l].f1, c.per_class[l].f1, 1e-12, `${l} f1`);
        assert.equal(r.per_class[l].support, c.per_class[l].support);
      }
      if (c.esci_gold && c.esci_pred) close(substituteReport(c.esci_gold, c.esci_pred).micro_f1, c.micro_f1, 1e-12, "task3");
    });
  }
});

describe("nDCG (trec_eval -c -J semantics), hand-computed", () => {
  const g = ESCI_GAINS;
  it("perfect order scores 1; reversed order by hand", () => {
    const items = [
      { id: "a", gain: g.E, score: 3 },
      { id: "b", gain: g.S, score: 2 },
      { id: "c", gain: g.I, score: 1 },
    ];
    assert.equal(queryNdcg(items), 1);
    // run: c(I) b(S) a(E): DCG = 0/1 + 0.1/log2(3) + 1/log2(4) = 0.0630930 + 0.5
    // ideal: 1 + 0.1/log2(3) = 1.0630930
    const rev = items.map((x) => ({ ...x, score: -x.score }));
    close(queryNdcg(rev)!, (0.1 / Math.log2(3) + 0.5) / (1 + 0.1 / Math.log2(3)));
  });

  it("ties are broken by product_id descending, as trec_eval's comp_sim_docno", () => {
    // equal scores: order is B, A (descending id), so the E product "A" lands at rank 2
    const items = [
      { id: "A", gain: g.E, score: 1 },
      { id: "B", gain: g.C, score: 1 },
    ];
    // DCG = 0.01 + 1/log2(3); ideal = 1 + 0.01/log2(3)
    close(queryNdcg(items)!, (0.01 + 1 / Math.log2(3)) / (1 + 0.01 / Math.log2(3)));
    const swapped = [
      { id: "B", gain: g.E, score: 1 },
      { id: "A", gain: g.C, score: 1 },
    ];
    assert.equal(queryNdcg(swapped), 1);
    assert.equal(compareRun({ id: "x", score: 1 }, { id: "y", score: 1 }), 1);
  });

  it("a judged product missing from the run still counts in the ideal DCG", () => {
    const items = [
      { id: "a", gain: g.S, score: 1 },
      { id: "b", gain: g.E }, // not retrieved
    ];
    // DCG = 0.1; ideal = 1 + 0.1/log2(3)
    close(queryNdcg(items)!, 0.1 / (1 + 0.1 / Math.log2(3)));
  });

  it("a query whose products are all I scores 0 and is counted (trec_eval -c), or excluded on request", () => {
    const good = [{ id: "a", gain: g.E, score: 1 }];
    const allI = [
      { id: "a", gain: 0, score: 1 },
      { id: "b", gain: 0, score: 2 },
    ];
    assert.equal(queryNdcg(allI), undefined);
    const r = meanNdcg([good, allI]);
    assert.equal(r.ndcg, 0.5);
    assert.equal(r.queries, 2);
    assert.equal(r.zero_ideal_queries, 1);
    assert.deepEqual(r.per_query, [1, 0]);
    const x = meanNdcg([good, allI], { zeroIdeal: "exclude" });
    assert.equal(x.ndcg, 1);
    assert.equal(x.queries, 1);
  });

  it("gain is linear (as given), discount log2(rank + 1)", () => {
    // run: S, C, E → DCG = 0.1 + 0.01/log2(3) + 1/2 ; ideal = 1 + 0.1/log2(3) + 0.01/2
    const items = [
      { id: "s", gain: g.S, score: 3 },
      { id: "c", gain: g.C, score: 2 },
      { id: "e", gain: g.E, score: 1 },
    ];
    close(queryNdcg(items)!, (0.1 + 0.01 / Math.log2(3) + 0.5) / (1 + 0.1 / Math.log2(3) + 0.005));
  });

  it("no queries gives 0", () => {
    assert.deepEqual(meanNdcg([]), { ndcg: 0, queries: 0, zero_ideal_queries: 0, per_query: [] });
  });
});

describe("nDCG vs scikit-learn ndcg_score (no ties, all judged retrieved)", () => {
  const fx = JSON.parse(readFileSync(join(FIXTURES, "sklearn-ndcg.json"), "utf8")) as {
    cases: { name: string; queries: { labels: EsciLabel[]; scores: number[]; ndcg: number }[]; mean: number }[];
  };
  for (const c of fx.cases) {
    it(c.name, () => {
      const qs = c.queries.map((q) => q.labels.map((l, i) => ({ id: `p${i}`, gain: ESCI_GAINS[l], score: q.scores[i] })));
      const r = meanNdcg(qs);
      c.queries.forEach((q, i) => close(r.per_query[i]!, q.ndcg, 1e-12, `query ${i}`));
      close(r.ndcg, c.mean, 1e-12);
    });
  }
});

describe("expected calibration error", () => {
  it("hand-computed with 2 bins", () => {
    // bin (0, .5]: conf .2 (wrong), .4 (right) → acc .5, conf .3, gap .2, weight 2/5
    // bin (.5, 1]: conf .6 (right), .8 (right), 1.0 (wrong) → acc 2/3, conf .8, gap 2/15, weight 3/5
    const r = calibration([0.2, 0.4, 0.6, 0.8, 1.0], [false, true, true, true, false], 2);
    close(r.ece, (2 / 5) * 0.2 + (3 / 5) * (2 / 15), 1e-12);
    close(r.mce, 0.2, 1e-12);
    assert.equal(r.bins.length, 2);
    assert.deepEqual(
      r.bins.map((b) => b.count),
      [2, 3],
    );
  });

  it("bins are right-closed, 0 falls in the first", () => {
    const r = calibration([0, 0.5, 0.5000001], [true, true, true], 2);
    assert.deepEqual(
      r.bins.map((b) => b.count),
      [2, 1],
    );
  });

  it("perfect calibration has ECE 0; empty input gives 0", () => {
    assert.equal(calibration([1, 1], [true, true], 10).ece, 0);
    assert.equal(calibration([], [], 10).ece, 0);
    assert.throws(() => calibration([0.5], [], 10), /differ in length/);
  });
});
