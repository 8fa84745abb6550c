/**
 * Parity with PyTorch: 8 optimizer steps from the committed tiny checkpoints (every family)
 * over fixed batches, with weight decay, warm-up, active clipping, a partial last batch (RoBERTa)
 * and gradient accumulation (BERT), dropout 0, no shuffling. The reference (a float64 torch run of
 * the same model code, AdamW, schedule and clipping) is scripts/train/make_parity.py's output in
 * test/train/fixtures/; for DistilBERT, ELECTRA and ModernBERT, make_arch_parity.py's, which
 * trains transformers' own models. Every step's loss must match to 1e-5 relative, and every
 * weight of the exported Hugging Face checkpoint to 1e-5 absolute.
 *
 * The loss variants (esci train's --class-weights balanced|w…, --label-smoothing, --loss focal
 * --focal-gamma) run the same recipe against torch's CrossEntropyLoss(weight=…, label_smoothing=…)
 * and the generator's focal loss; "balanced" weights must also come out as the generator's.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EncodedDataset, initialModel, runTraining } from "../../src/train/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";
import { checkSteps, maxWeightError, recipeOptions, type RefStep } from "./parity-checks.js";

interface ParityFixture {
  model: string;
  /** Loss variant: the options as given, and the class weights they resolve to. */
  loss?: { loss?: "ce" | "focal"; focal_gamma?: number; label_smoothing?: number; class_weights?: "balanced" | number[] };
  class_weights?: number[] | null;
  labels: string[];
  max_length: number;
  recipe: { lr: number; weight_decay: number; warmup_ratio: number; max_grad_norm: number; steps: number; batch_size: number; grad_accum: number; warmup_steps: number };
  examples: Array<{ query: string; product: string; label: number; input_ids: number[]; token_type_ids: number[] }>;
  steps: RefStep[];
}

const FIXTURES = join(REPO_ROOT, "test", "train", "fixtures");
const work = mkdtempSync(join(tmpdir(), "esci-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

// RoBERTa and BERT against scripts/train/make_parity.py (also with each loss variant); DistilBERT,
// ELECTRA, ModernBERT (mean-pooled, and with every bias) and DeBERTa-v2/v3 against transformers'
// own models (make_arch_parity.py).
const RUNS: Array<[model: string, variant?: string]> = [
  ["tiny-roberta-esci"],
  ["tiny-bert-3label"],
  ["tiny-roberta-esci", "balanced"],
  ["tiny-roberta-esci", "weighted-smoothing"],
  ["tiny-roberta-esci", "focal"],
  ["tiny-roberta-esci", "focal-balanced"],
  ["tiny-bert-3label", "focal-weighted"],
  ["tiny-bert-3label", "smoothing"],
  ["arch-distilbert-sinusoidal-3label"],
  ["arch-electra-project-esci"],
  ["arch-modernbert-mean-3label"],
  ["arch-modernbert-biases-esci"],
  ["arch-debertav3-esci"],
  ["arch-debertav2-conv-3label"],
];

for (const [name, variant] of RUNS) {
  const stem = `parity-${name}${variant ? `-${variant}` : ""}`;
  describe(`training parity with PyTorch: ${name}${variant ? ` (${variant})` : ""}`, () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES, `${stem}.json`), "utf8")) as ParityFixture;
    const output = join(work, stem);

    it("the tokenizer encodes the examples as the reference did", async () => {
      const tok = await loadTokenizer(fixtureModel(name));
      for (const e of fx.examples) assert.deepEqual(tok.encodePair(e.query, e.product, fx.max_length).inputIds, e.input_ids);
    });

    it("8 steps: loss, lr and grad norm per step; final weights", async (t) => {
      const model = await initialModel(fixtureModel(name), { labels: fx.labels, seed: 0 });
      const tok = await loadTokenizer(fixtureModel(name));
      const train = EncodedDataset.fromEncodings(
        fx.examples.map((e) => ({ inputIds: e.input_ids, tokenTypeIds: e.token_type_ids })),
        fx.examples.map((e) => e.label),
      );
      const r = fx.recipe;
      const options = recipeOptions(fixtureModel(name), output, r, {
        gradAccum: r.grad_accum,
        loss: fx.loss?.loss,
        focalGamma: fx.loss?.focal_gamma,
        labelSmoothing: fx.loss?.label_smoothing,
        classWeights: fx.loss?.class_weights,
      });
      let weights: number[] = [];
      const summary = await runTraining({ options, model, train, padId: tok.padTokenId, onStart: (_plan, _at, loss) => (weights = loss.weights) });
      model.source.close();
      assert.equal(summary.plan.totalSteps, r.steps);
      assert.equal(summary.plan.warmupSteps, r.warmup_steps);
      const wantWeights = fx.class_weights ?? fx.labels.map(() => 1);
      wantWeights.forEach((w, c) => assert.ok(Math.abs(weights[c] - w) < 1e-12, `class weight ${c}: ${weights[c]} vs ${w}`));

      // 16.4: the weights are float32 whatever the base stored (arch-distilbert-… is float16)
      assert.equal(JSON.parse(readFileSync(join(output, "config.json"), "utf8")).dtype, "float32");

      const maxLossErr = checkSteps(output, fx.steps, r.lr);
      const worst = maxWeightError(output, join(FIXTURES, `${stem}.safetensors`));
      t.diagnostic(`max weight error ${worst.err.toExponential(2)} at ${worst.tensor}; max loss error ${maxLossErr.toExponential(2)} relative`);
      assert.ok(worst.err < 1e-5, `max weight error ${worst.err.toExponential(2)} at ${worst.tensor}`);
    });
  });
}
