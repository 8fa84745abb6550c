/**
 * `quantize: "int8"` (src/onnx/quantize.ts: per-column symmetric int8 weights, dynamic per-tensor
 * uint8 activations) against fp32 on the committed fixture cross-encoders, on every (query,
 * product) combination of their reference cases (35 × 35 pairs per model): how often the arg-max
 * label stays the same and how far any probability moves. For a one-logit head the "arg-max" is
 * the sigmoid's side of 0.5, a reranker's yes/no decision.
 *
 * Issue 3's target is ≥ 99% equal arg-max and max |Δprob| ≤ 0.02. The DistilRoBERTa-sized
 * benchmark model meets it (bench/run.mjs reports it), and so does tiny-bert-1logit. The other two
 * fixtures were made deliberately sensitive (make_fixtures.py: Q/K weights with std 0.25, random
 * LayerNorm gains and biases, so that wiring bugs show), and int8 rounding moves them further:
 * tiny-bert-3label's float32 decision margin is below 0.01 on 2% of its pairs, and even int8
 * weights alone (one scale per column) with float activations move a probability by 0.020.
 * bench/results/int8-schemes.md (node bench/int8-schemes.mjs) lists every scheme tried — per-row
 * activations, SmoothQuant, ONNX Runtime's block-wise MatMulNBits, activations in two int8
 * passes, mixed precision. No scheme that multiplies 8-bit activations meets the target on both
 * models; int8 weights in blocks of 16 with float32 activations do, but they run at float32 speed.
 * The bounds below for the two models are the measured values with a margin — they catch
 * regressions; they are not the target, which is not met on these two.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { decision } from "../../src/models/compare.js";
import { fixtureModel, fixtureReference, isolateEsciCache } from "../helpers/paths.js";

interface ClassifierCase {
  query: string;
  product: string;
}

const TARGET = { agreement: 0.99, maxProbDiff: 0.02 };
/** Per model: the target where it is met, else the measured value with a margin (see above). */
const BOUNDS: Record<string, { agreement: number; maxProbDiff: number }> = {
  "tiny-roberta-esci": { agreement: TARGET.agreement, maxProbDiff: 0.05 }, // measured 100%, 0.030 (0.034–0.039 before BUILDER_VERSION 4)
  "tiny-bert-3label": { agreement: 0.96, maxProbDiff: 0.07 }, // measured 97.1–97.7%, 0.037–0.050 (97.5%, 0.048 with BUILDER_VERSION 4)
  "tiny-bert-1logit": TARGET, // measured 100%, 0.010–0.013
};

function allCombinations(cases: ClassifierCase[]): Array<readonly [string, string]> {
  return cases.flatMap((q) => cases.map((p) => [q.query, p.product] as const));
}

before(() => isolateEsciCache());

describe("int8 quantization keeps the fixture models' predictions", () => {
  for (const [name, bound] of Object.entries(BOUNDS)) {
    it(`${name}: arg-max equal on ≥ ${100 * bound.agreement}% of pairs, max |Δprob| ≤ ${bound.maxProbDiff}`, async (t) => {
      const pairs = allCombinations(fixtureReference<{ cases: ClassifierCase[] }>(name).cases);
      const fp32 = await CrossEncoder.load(fixtureModel(name), { threads: 1 });
      const int8 = await CrossEncoder.load(fixtureModel(name), { threads: 1, quantize: "int8" });
      try {
        const [a, b] = [await fp32.predict(pairs), await int8.predict(pairs)];
        assert.equal(b.length, pairs.length);
        let agree = 0;
        let maxDiff = 0;
        let worst = 0;
        a.forEach((p, i) => {
          if (decision(p, fp32.labels) === decision(b[i], int8.labels)) agree++;
          for (const label of fp32.labels) {
            const d = Math.abs(p.probs[label] - b[i].probs[label]);
            if (d > maxDiff) [maxDiff, worst] = [d, i];
          }
        });
        const agreement = agree / pairs.length;
        t.diagnostic(`${name}: arg-max equal on ${(100 * agreement).toFixed(2)}% of ${pairs.length} pairs, max |Δprob| ${maxDiff.toFixed(4)}`);
        assert.ok(agreement >= bound.agreement, `${name}: arg-max equal on ${(100 * agreement).toFixed(2)}% of ${pairs.length} pairs`);
        assert.ok(
          maxDiff <= bound.maxProbDiff,
          `${name}: max |Δprob| ${maxDiff.toFixed(4)} on ${JSON.stringify(pairs[worst])} (fp32 ${JSON.stringify(a[worst].probs)}, int8 ${JSON.stringify(b[worst].probs)})`,
        );
      } finally {
        await fp32.dispose();
        await int8.dispose();
      }
    });
  }

  it("int8 really quantizes: the int8 graph differs from fp32 on some pair", async () => {
    const pairs = allCombinations(fixtureReference<{ cases: ClassifierCase[] }>("tiny-roberta-esci").cases).slice(0, 50);
    const fp32 = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"), { threads: 1 });
    const int8 = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"), { threads: 1, quantize: "int8" });
    try {
      const [a, b] = [await fp32.logits(pairs), await int8.logits(pairs)];
      const maxDiff = Math.max(...a.flatMap((row, i) => Array.from(row, (v, j) => Math.abs(v - b[i][j]))));
      assert.ok(maxDiff > 1e-6, `int8 logits equal fp32's to ${maxDiff}: was the graph quantized?`);
    } finally {
      await fp32.dispose();
      await int8.dispose();
    }
  });
});
