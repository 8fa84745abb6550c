/**
 * The one expected-gain function and the rerank scores derived from predictions: values worked
 * out by hand, any label spelling, custom gains, and the raw score (log-odds of Exact) checked
 * against P(Exact) through the sigmoid.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { expectedGain, logOdds, rerankScoring, resolveGains } from "../../src/esci/gains.js";
import { sigmoid, toPrediction } from "../../src/models/cross-encoder.js";

describe("expected gain", () => {
  it("Σ P·gain with the Task 1 gains, keyed by any spelling of the labels", () => {
    assert.equal(expectedGain({ exact: 0.5, substitute: 0.5 }), 0.55);
    assert.equal(expectedGain({ E: 0.25, S: 0.25, C: 0.25, I: 0.25 }), 0.25 * 1 + 0.25 * 0.1 + 0.25 * 0.01);
    assert.equal(expectedGain({ Complement: 1 }), 0.01);
    assert.throws(
      () => expectedGain({ exact: 0.5, maybe: 0.5 }),
      (e: EsciError) => e.code === "INVALID_INPUT" && /"maybe" is not an ESCI label/.test(e.message),
    );
  });

  it("custom gains replace the defaults they name; resolveGains fills in and validates", () => {
    const g = resolveGains({ S: 0.5 });
    assert.deepEqual(g, { E: 1, S: 0.5, C: 0.01, I: 0 });
    assert.equal(expectedGain({ exact: 0.5, substitute: 0.5 }, g), 0.75);
    assert.equal(expectedGain({ exact: 0.5, substitute: 0.5 }, { S: 0.5 }), 0.75);
    assert.throws(
      () => resolveGains({ C: Number.NaN }),
      (e: EsciError) => e.code === "INVALID_ARGUMENT" && e.details?.option === "gains" && /gain of C must be a finite number/.test(e.message),
    );
  });
});

describe("rerank scoring", () => {
  const labels = ["exact", "substitute", "complement", "irrelevant"];

  it("ESCI labels: score = expected gain, raw = log-odds of Exact (sigmoid(raw) = P(Exact))", () => {
    const r = rerankScoring(labels);
    assert.equal(r.mode, "expected-gain");
    for (const logits of [
      [2, 0.5, -1, 0],
      [-3, 4, 1, 1],
      [0, 0, 0, 0],
      [30, -30, 10, 5],
    ]) {
      const p = toPrediction(logits, labels);
      assert.equal(r.score(p), expectedGain(p.probs));
      assert.ok(Math.abs(sigmoid(r.raw(p)) - p.probs.exact) < 1e-12, `logits ${logits}`);
    }
    // The labels' order does not matter: Exact is found by name.
    const shuffled = ["I", "E", "S", "C"];
    const p = toPrediction([0, 2, 1, -1], shuffled);
    assert.ok(Math.abs(sigmoid(rerankScoring(shuffled).raw(p)) - p.probs.E) < 1e-12);
  });

  it("logOdds is z_i − log Σ_{j≠i} exp(z_j), stable for large logits", () => {
    assert.ok(Math.abs(logOdds([1, 2, 3], 0) - (1 - Math.log(Math.exp(2) + Math.exp(3)))) < 1e-12);
    assert.equal(logOdds([1000, 0], 0), 1000);
    assert.equal(logOdds([0, 1000, 1000], 0), -(1000 + Math.log(2)));
  });

  it("one logit: score = its sigmoid probability, raw = the logit", () => {
    const r = rerankScoring(["relevance"]);
    const p = toPrediction([1.5], ["relevance"]);
    assert.equal(r.mode, "sigmoid");
    assert.equal(r.score(p), sigmoid(1.5));
    assert.equal(r.raw(p), 1.5);
  });

  it("other labels cannot rank: mode none, UNSUPPORTED naming the option, not a flag", () => {
    const r = rerankScoring(["LABEL_0", "LABEL_1", "LABEL_2"]);
    assert.equal(r.mode, "none");
    const p = toPrediction([0, 1, 2], ["LABEL_0", "LABEL_1", "LABEL_2"]);
    for (const f of [() => r.score(p), () => r.raw(p)]) {
      assert.throws(f, (e: EsciError) => e.code === "UNSUPPORTED" && e.details?.option === "labels" && /cannot rank/.test(e.message) && !/--/.test(e.message));
    }
  });
});
