/**
 * Parity with PyTorch: 8 optimizer steps from the committed tiny checkpoints (every family)
 * over fixed batches, with weight decay, warm-up, active clipping, a partial last batch (RoBERTa)
 * and gradient accumulation (BERT), dropout 0, no shuffling. The reference (a float64 torch run of
 * the same model code, AdamW, schedule and clipping) is scripts/train/make_parity.py's output in
 * test/train/fixtures/; for DistilBERT, ELECTRA and ModernBERT, make_arch_parity.py's, which
 * trains transformers' own models. Every step's loss must match to 1e-5 relative, and every
 * weight of the exported Hugging Face checkpoint to 1e-5 absolute.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EncodedDataset, initialModel, resolveOptions, runTraining, TrainLog } from "../../src/train/index.js";
import { openCheckpoint } from "../../src/safetensors/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";

interface ParityFixture {
  model: string;
  labels: string[];
  max_length: number;
  recipe: { lr: number; weight_decay: number; warmup_ratio: number; max_grad_norm: number; steps: number; batch_size: number; grad_accum: number; warmup_steps: number };
  examples: Array<{ query: string; product: string; label: number; input_ids: number[]; token_type_ids: number[] }>;
  steps: Array<{ step: number; loss: number; lr: number; grad_norm: number }>;
}

const FIXTURES = join(REPO_ROOT, "test", "train", "fixtures");
const work = mkdtempSync(join(tmpdir(), "esci-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

// RoBERTa and BERT against scripts/train/make_parity.py; DistilBERT, ELECTRA and ModernBERT
// (mean-pooled, and with every bias) against transformers' own models (make_arch_parity.py).
const PARITY = ["tiny-roberta-esci", "tiny-bert-3label", "arch-distilbert-sinusoidal-3label", "arch-electra-project-esci", "arch-modernbert-mean-3label", "arch-modernbert-biases-esci", "arch-debertav3-esci", "arch-debertav2-conv-3label"];

for (const name of PARITY) {
  describe(`training parity with PyTorch: ${name}`, () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES, `parity-${name}.json`), "utf8")) as ParityFixture;
    const output = join(work, name);

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
      const options = resolveOptions({
        base: fixtureModel(name),
        data: "(fixture)",
        output,
        epochs: 1,
        lr: r.lr,
        batchSize: r.batch_size,
        gradAccum: r.grad_accum,
        warmupRatio: r.warmup_ratio,
        weightDecay: r.weight_decay,
        maxGradNorm: r.max_grad_norm,
        dropout: 0,
        shuffle: false,
        evalEvery: 0,
        seed: 0,
      });
      const summary = await runTraining({ options, model, train, padId: tok.padTokenId });
      model.source.close();
      assert.equal(summary.plan.totalSteps, r.steps);
      assert.equal(summary.plan.warmupSteps, r.warmup_steps);

      // 16.4: the weights are float32 whatever the base stored (arch-distilbert-… is float16)
      assert.equal(JSON.parse(readFileSync(join(output, "config.json"), "utf8")).dtype, "float32");

      const log = TrainLog.read(join(output, "log.jsonl"));
      assert.equal(log.length, fx.steps.length);
      let maxLossErr = 0;
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
      fx.steps.forEach((ref, k) => {
        const got = log[k];
        assert.equal(got.step, ref.step);
        maxLossErr = Math.max(maxLossErr, rel(got.loss as number, ref.loss));
        assert.ok(rel(got.loss as number, ref.loss) < 1e-5, `step ${ref.step}: loss ${got.loss} vs ${ref.loss}`);
        assert.ok(Math.abs((got.lr as number) - ref.lr) <= 1e-12 * r.lr, `step ${ref.step}: lr ${got.lr} vs ${ref.lr}`);
        assert.ok(rel(got.grad_norm as number, ref.grad_norm) < 1e-4, `step ${ref.step}: grad norm ${got.grad_norm} vs ${ref.grad_norm}`);
      });

      const want = openCheckpoint(join(FIXTURES, `parity-${name}.safetensors`));
      const got = openCheckpoint(output);
      try {
        assert.deepEqual(got.tensorNames().sort(), want.tensorNames().sort());
        let worst = { err: 0, tensor: "" };
        for (const t of want.tensorNames()) {
          assert.deepEqual(got.info(t).shape, want.info(t).shape, t);
          const a = got.readFloat32(t);
          const b = want.readTyped(t) as Float64Array;
          for (let i = 0; i < b.length; i++) {
            const err = Math.abs(a[i] - b[i]);
            if (err > worst.err) worst = { err, tensor: `${t}[${i}]` };
          }
        }
        t.diagnostic(`max weight error ${worst.err.toExponential(2)} at ${worst.tensor}; max loss error ${maxLossErr.toExponential(2)} relative`);
        assert.ok(worst.err < 1e-5, `max weight error ${worst.err.toExponential(2)} at ${worst.tensor}`);
      } finally {
        want.close();
        got.close();
      }
    });
  });
}
