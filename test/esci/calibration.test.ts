/**
 * Calibration fitting (esci/calibration/fit.ts) against independent references and brute force:
 * the temperature equals torch LBFGS's and scipy's on the same logits within 1e-3 relative
 * (scripts/calibration/make_temperature_reference.py); the exact bias sweep for macro-/micro-F1
 * does at least as well as a dense grid search; the prior shift is Bayes' rule; the stored file is
 * read back and applied as softmax((logits + b) / T) with the raw logits untouched.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { calibrateModel, fitBiases, fitCalibration, fitTemperature, labelShares, meanNll, shiftPrior, type LabelledLogits } from "../../src/esci/calibration/index.js";
import { readCalibration } from "../../src/models/calibration.js";
import { softmax, toPrediction } from "../../src/models/cross-encoder.js";
import type { Pair, PairPrediction, PairScorer } from "../../src/models/types.js";
import { mulberry32 } from "../../src/models/random-checkpoint.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { readFileSync } from "node:fs";

interface RefCase {
  name: string;
  logits: number[][];
  labels: number[];
  temperature_lbfgs: number;
  temperature_scipy: number;
  nll_at_1: number;
  nll_at_t: number;
}
const REF = JSON.parse(readFileSync(join(REPO_ROOT, "test", "esci", "fixtures", "temperature-reference.json"), "utf8")) as { cases: RefCase[] };
const work = mkdtempSync(join(tmpdir(), "esci-calibration-"));
after(() => rmSync(work, { recursive: true, force: true }));

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Seeded 4-way logits with the ESCI label shares, the gold label boosted by `signal`. */
function synthetic(n: number, seed: number, signal = 1.2): Omit<LabelledLogits, "rows"> & { rows: number[][] } {
  const rand = mulberry32(seed);
  const shares = [0.652, 0.219, 0.029, 0.1];
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = rand();
    let y = 0;
    while (y < 3 && u > shares[y]) u -= shares[y++];
    labels.push(y);
    // an Exact-skewed model: a prior bonus for E on top of a noisy gold signal
    rows.push([0, 1, 2, 3].map((c) => (c === y ? signal : 0) + (c === 0 ? 0.8 : 0) + 1.5 * (rand() - 0.5)));
  }
  return { rows, labels: Int32Array.from(labels), classes: 4 };
}

describe("temperature scaling", () => {
  for (const c of REF.cases) {
    it(`${c.name}: T equals torch LBFGS and scipy within 1e-3 relative`, () => {
      const d = { rows: c.logits, labels: c.labels, classes: 4 };
      const t = fitTemperature(d);
      assert.ok(rel(t, c.temperature_lbfgs) < 1e-3, `T ${t} vs LBFGS ${c.temperature_lbfgs}`);
      assert.ok(rel(t, c.temperature_scipy) < 1e-3, `T ${t} vs scipy ${c.temperature_scipy}`);
      assert.ok(rel(meanNll(d, { temperature: t, bias: [0, 0, 0, 0] }), c.nll_at_t) < 1e-9);
      assert.ok(rel(meanNll(d, { temperature: 1, bias: [0, 0, 0, 0] }), c.nll_at_1) < 1e-9);
    });
  }

  it("separable data: T is clamped at its lower bound instead of running to 0", () => {
    const d = { rows: [[5, 0], [0, 5]], labels: [0, 1], classes: 2 };
    assert.equal(fitTemperature(d), 1e-3);
  });

  it("refuses a one-logit head and empty data", () => {
    assert.throws(() => fitTemperature({ rows: [[1]], labels: [0], classes: 1 }), /at least two labels/);
    assert.throws(() => fitTemperature({ rows: [], labels: [], classes: 4 }), /no labelled pairs/);
  });
});

describe("biases for an F1", () => {
  const d = synthetic(800, 7);
  const decide = (bias: number[]) => d.rows.map((z) => z.map((v: number, k: number) => v + bias[k]).reduce((b, v, k, a) => (v > a[b] ? k : b), 0));
  const macro = (pred: number[]) => {
    let sum = 0;
    let present = 0;
    for (let c = 0; c < 4; c++) {
      const tp = pred.filter((p, i) => p === c && d.labels[i] === c).length;
      const np = pred.filter((p) => p === c).length;
      const ng = Array.from(d.labels).filter((y) => y === c).length;
      if (np + ng === 0) continue;
      present++;
      const P = np ? tp / np : 0;
      const R = ng ? tp / ng : 0;
      sum += P + R ? (2 * P * R) / (P + R) : 0;
    }
    return sum / present;
  };
  const accuracy = (pred: number[]) => pred.filter((p, i) => p === d.labels[i]).length / pred.length;

  it("macro-F1: the exact coordinate ascent beats raw arg-max and matches a grid search", () => {
    const bias = fitBiases(d, "macro-f1");
    assert.equal(bias[0], 0);
    const got = macro(decide(bias));
    assert.ok(got > macro(decide([0, 0, 0, 0])) + 0.05, `macro-F1 ${got} vs raw ${macro(decide([0, 0, 0, 0]))}`);
    // grid over b_1..b_3 in [-3, 3] step 0.25 (b_0 = 0): the sweep must not be beaten
    let best = 0;
    for (let a = -3; a <= 3; a += 0.25) for (let b = -3; b <= 3; b += 0.25) for (let c = -3; c <= 3; c += 0.25) best = Math.max(best, macro(decide([0, a, b, c])));
    assert.ok(got >= best - 1e-9, `sweep ${got} < grid ${best}`);
  });

  it("micro-F1 (accuracy): never below raw arg-max", () => {
    const bias = fitBiases(d, "micro-f1");
    assert.ok(accuracy(decide(bias)) >= accuracy(decide([0, 0, 0, 0])));
  });

  it("fitCalibration: T by NLL, then biases; --prior only with nll", () => {
    const c = fitCalibration(d, { objective: "macro-f1" });
    assert.ok(rel(c.temperature, fitTemperature(d)) < 1e-12);
    assert.deepEqual(c.bias, fitBiases(d, "macro-f1"));
    assert.throws(() => fitCalibration(d, { objective: "macro-f1", prior: [0.25, 0.25, 0.25, 0.25] }), /use one or the other/);
  });
});

describe("prior shift (Menon et al.)", () => {
  it("p'(y|x) ∝ p(y|x)·π'_y/π_y", () => {
    const c = { temperature: 1.7, bias: [0, 0.3, -0.2, 0.1] };
    const from = [0.652, 0.219, 0.029, 0.1];
    const to = [0.25, 0.25, 0.25, 0.25];
    const shifted = shiftPrior(c, from, to);
    const z = [1.1, -0.4, 0.3, 0.9];
    const p = toPrediction(z, ["E", "S", "C", "I"], c).probs;
    const q = toPrediction(z, ["E", "S", "C", "I"], shifted).probs;
    const bayes = ["E", "S", "C", "I"].map((l, k) => (p[l] * to[k]) / from[k]);
    const norm = bayes.reduce((a, b) => a + b, 0);
    ["E", "S", "C", "I"].forEach((l, k) => assert.ok(Math.abs(q[l] - bayes[k] / norm) < 1e-12));
    assert.throws(() => shiftPrior(c, [0.5, 0.5, 0, 0], to), /label id 2 has no pairs/);
  });

  it("labelShares counts the gold labels", () => {
    assert.deepEqual(labelShares({ rows: [[0], [0], [0], [0]], labels: [0, 1, 1, 3], classes: 4 }), [0.25, 0.5, 0, 0.25]);
  });
});

describe("the stored calibration", () => {
  it("applies softmax((logits + b) / T), keeps the raw logits, says calibrated", () => {
    const c = { temperature: 2, bias: [0, 1, 0, -1] };
    const p = toPrediction([2, 1, 0, 3], ["exact", "substitute", "complement", "irrelevant"], c);
    assert.deepEqual(p.logits, [2, 1, 0, 3]);
    const want = softmax([1, 1, 0, 1]);
    assert.ok(Math.abs(p.probs.exact - want[0]) < 1e-15 && Math.abs(p.probs.complement - want[2]) < 1e-15);
    assert.equal(p.calibrated, true);
    assert.equal(toPrediction([2, 1, 0, 3], ["e", "s", "c", "i"]).calibrated, undefined);
  });

  it("a malformed file is CORRUPT_FILE naming the field", () => {
    const dir = mkdtempSync(join(work, "bad-"));
    writeFileSync(join(dir, "esci_calibration.json"), JSON.stringify({ temperature: 1.5, bias: [0, 1] }));
    assert.throws(() => readCalibration(dir, 4), (e: Error & { code?: string }) => e.code === "CORRUPT_FILE" && /"bias" must list 4 numbers/.test(e.message));
    writeFileSync(join(dir, "esci_calibration.json"), JSON.stringify({ temperature: -1, bias: [0, 0, 0, 0] }));
    assert.throws(() => readCalibration(dir, 4), /"temperature" must be a number > 0/);
    assert.equal(readCalibration(work, 4), undefined);
  });
});

describe("calibrateModel with a fake scorer", () => {
  it("writes esci_calibration.json with exactly the issue's fields (and prior with --prior)", async () => {
    const d = synthetic(300, 3);
    const labels = ["exact", "substitute", "complement", "irrelevant"];
    const letters = ["E", "S", "C", "I"];
    const file = join(work, "pairs.jsonl");
    writeFileSync(file, d.rows.map((_, i) => JSON.stringify({ query: `q${i}`, product: `p${i}`, label: letters[d.labels[i]] })).join("\n") + "\n");
    // the fake's logits for pair i are the synthetic row i (its index is in the query)
    const scorer: PairScorer = {
      labels,
      predict: async (pairs: readonly Pair[], o) => {
        assert.equal(o?.calibration, false);
        return pairs.map(([q]): PairPrediction => toPrediction(d.rows[Number(q.slice(1))], labels));
      },
    };
    const dir = mkdtempSync(join(work, "model-"));
    const r = await calibrateModel(scorer, { data: file, modelDir: dir, objective: "nll" });
    const stored = JSON.parse(readFileSync(r.file, "utf8"));
    assert.deepEqual(Object.keys(stored), ["temperature", "bias", "objective", "fitted_on", "before", "after"]);
    assert.deepEqual(Object.keys(stored.fitted_on), ["file", "rows", "sha256"]);
    assert.equal(stored.fitted_on.rows, 300);
    assert.match(stored.fitted_on.sha256, /^[0-9a-f]{64}$/);
    assert.ok(rel(stored.temperature, fitTemperature(d)) < 1e-12);
    assert.ok(stored.after.nll < stored.before.nll);
    assert.deepEqual(readCalibration(dir, 4), { temperature: stored.temperature, bias: stored.bias });

    const withPrior = await calibrateModel(scorer, { data: file, modelDir: dir, objective: "nll", prior: [1, 1, 1, 1] });
    assert.deepEqual(withPrior.calibration.prior, [0.25, 0.25, 0.25, 0.25]);
    assert.ok(withPrior.calibration.after.recall.complement >= stored.after.recall.complement);
  });
});
