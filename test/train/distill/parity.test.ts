/**
 * Distillation parity with PyTorch: 8 optimizer steps of MSE distillation, and of KL at τ = 2 plus
 * 0.5 · cross-entropy on gold labels, from the committed tiny RoBERTa classifier, against
 * transformers' RobertaForSequenceClassification (float64, dropout 0) trained by a plain PyTorch
 * loop on the same batches with the same teacher logits (scripts/train/make_distill_parity.py →
 * test/train/fixtures/distill-parity*.json/.safetensors). Weight decay, warm-up, active clipping
 * and a partial last batch are all in play. Every step's loss must match to 1e-5 relative and
 * every exported weight to 1e-5 absolute.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EncodedDataset, initialModel, runTraining } from "../../../src/train/index.js";
import { distillObjective, type LossSettings } from "../../../src/train/distill/index.js";
import { fixtureModel, REPO_ROOT } from "../../helpers/paths.js";
import { checkSteps, maxWeightError, recipeOptions, type RefStep } from "../parity-checks.js";

interface DistillParityFixture {
  labels: string[];
  recipe: { lr: number; weight_decay: number; warmup_ratio: number; max_grad_norm: number; steps: number; batch_size: number; warmup_steps: number };
  examples: Array<{ input_ids: number[]; label: number; teacher_logits: number[] }>;
  // the generator's field names: `loss` is mse or kl
  cases: Record<string, Omit<LossSettings, "distillLoss"> & { loss: LossSettings["distillLoss"]; steps: RefStep[] }>;
}

const FIXTURES = join(REPO_ROOT, "test", "train", "fixtures");
const fx = JSON.parse(readFileSync(join(FIXTURES, "distill-parity.json"), "utf8")) as DistillParityFixture;
const work = mkdtempSync(join(tmpdir(), "esci-distill-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("distillation parity with PyTorch (tiny-roberta-esci, 8 steps)", () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}${c.alpha ? ` + ${c.alpha} · cross-entropy` : ""}: loss, lr and grad norm per step; final weights`, async (t) => {
      const base = fixtureModel("tiny-roberta-esci");
      const model = await initialModel(base, { seed: 0 });
      const C = fx.labels.length;
      assert.deepEqual(model.labels, fx.labels);
      const train = EncodedDataset.fromEncodings(
        fx.examples.map((e) => ({ inputIds: e.input_ids, tokenTypeIds: e.input_ids.map(() => 0) })),
        fx.examples.map((e) => e.label),
      );
      const teacher = Float32Array.from(fx.examples.flatMap((e) => e.teacher_logits));
      const r = fx.recipe;
      const output = join(work, name);
      const options = recipeOptions(base, output, r);
      const settings = { distillLoss: c.loss, temperature: c.temperature, alpha: c.alpha };
      const objective = distillObjective(settings, C, { train: teacher, validationHasGold: false }, { distill: settings });
      const summary = await runTraining({ options, model, train, padId: 1, objective });
      model.source.close();
      assert.equal(summary.plan.totalSteps, r.steps);
      assert.equal(summary.plan.warmupSteps, r.warmup_steps);

      const maxLossErr = checkSteps(output, c.steps, r.lr);
      const worst = maxWeightError(output, join(FIXTURES, `distill-parity-${name}.safetensors`));
      t.diagnostic(`max weight error ${worst.err.toExponential(2)} at ${worst.tensor}; max loss error ${maxLossErr.toExponential(2)} relative`);
      assert.ok(worst.err < 1e-5, `max weight error ${worst.err.toExponential(2)} at ${worst.tensor}`);
    });
  }
});
