/**
 * The loss options: "balanced" weights are sklearn's n / (C · count), explicit weights must match
 * the head, impossible combinations fail early with the option named, and the CLI flags parse into
 * the same options. (The losses' values and gradients are checked against PyTorch in
 * parity.test.ts and by finite differences in test/autodiff/rules.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFlags } from "../../src/cli/args.js";
import { LOSS_FLAGS, parseLossFlags } from "../../src/cli/loss-flags.js";
import { EsciError } from "../../src/errors/index.js";
import { resolveLoss, resolveOptions } from "../../src/train/index.js";

const HEAD = ["exact", "substitute", "complement", "irrelevant"];
const base = { base: "m", data: "d", output: "o" };

describe("class weights", () => {
  it("balanced: n / (C · count_c), mean weight 1 over the rows", () => {
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 2, 3];
    const spec = resolveLoss(resolveOptions({ ...base, classWeights: "balanced" }), labels, HEAD);
    assert.deepEqual(spec.weights, [10 / 24, 10 / 8, 10 / 4, 10 / 4]);
    const mean = labels.reduce((s, y) => s + spec.weights[y], 0) / labels.length;
    assert.ok(Math.abs(mean - 1) < 1e-12);
  });

  it("balanced with a label absent from the training data is an error naming it", () => {
    assert.throws(() => resolveLoss(resolveOptions({ ...base, classWeights: "balanced" }), [0, 1, 3], HEAD), /no training pairs labelled complement/);
  });

  it("explicit weights are per head label; a wrong count names the head's labels", () => {
    assert.deepEqual(resolveLoss(resolveOptions({ ...base, classWeights: [1, 2, 10, 3] }), [0], HEAD).weights, [1, 2, 10, 3]);
    assert.throws(() => resolveLoss(resolveOptions({ ...base, classWeights: [1, 2] }), [0], HEAD), /gives 2 weights but the head has 4 labels \(exact, substitute/);
  });

  it("no weights: all 1", () => {
    assert.deepEqual(resolveLoss(resolveOptions(base), [0, 1], HEAD).weights, [1, 1, 1, 1]);
  });
});

describe("loss options", () => {
  it("defaults: cross-entropy, no smoothing, γ = 2 for focal", () => {
    const o = resolveOptions(base);
    assert.equal(o.loss, "ce");
    assert.equal(o.labelSmoothing, 0);
    assert.equal(o.focalGamma, 2);
  });

  it("rejects impossible values with the option named", () => {
    assert.throws(() => resolveOptions({ ...base, labelSmoothing: 1 }), (e: unknown) => {
      assert.ok(e instanceof EsciError && /^`labelSmoothing` must be in \[0, 1\), got 1$/.test(e.message), String(e));
      assert.deepEqual(e.details, { option: "labelSmoothing" });
      return true;
    });
    assert.throws(() => resolveOptions({ ...base, loss: "focal", focalGamma: -1 }), /`focalGamma` must be ≥ 0/);
    assert.throws(() => resolveOptions({ ...base, loss: "focal", labelSmoothing: 0.1 }), /focal loss has none/);
    assert.throws(() => resolveOptions({ ...base, classWeights: [0, 0, 0, 0] }), /not all 0/);
  });

  it("CLI flags parse into the options", () => {
    const p = parseFlags(["--loss", "focal", "--focal-gamma", "1.5", "--class-weights", "1, 2,10,3"], LOSS_FLAGS);
    assert.deepEqual(parseLossFlags(p), { loss: "focal", focalGamma: 1.5, classWeights: [1, 2, 10, 3], labelSmoothing: undefined });
    assert.deepEqual(parseLossFlags(parseFlags(["--class-weights", "balanced", "--label-smoothing", "0.1"], LOSS_FLAGS)).classWeights, "balanced");
    assert.throws(() => parseLossFlags(parseFlags(["--class-weights", "1,x"], LOSS_FLAGS)), /--class-weights must be "balanced" or comma-separated numbers/);
    assert.throws(() => parseLossFlags(parseFlags(["--focal-gamma", "2"], LOSS_FLAGS)), /--focal-gamma applies to --loss focal/);
    assert.throws(() => parseLossFlags(parseFlags(["--loss", "hinge"], LOSS_FLAGS)), /--loss must be one of ce, focal/);
  });
});
