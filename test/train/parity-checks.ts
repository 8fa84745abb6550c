/**
 * The checks the PyTorch parity tests share: a run's log.jsonl against the reference's per-step
 * loss (1e-5 relative), lr and grad norm; and every tensor of an exported checkpoint against a
 * float64 (or, for the loss variants, float32) reference file (same names and shapes), reporting the largest absolute difference.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openCheckpoint } from "../../src/safetensors/index.js";
import { resolveOptions, TrainLog, type TrainOptions } from "../../src/train/index.js";

/** The training recipe a PyTorch reference fixture was made with. */
export interface ParityRecipe {
  lr: number;
  batch_size: number;
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
}

/**
 * esci train options that run `r` as the reference loop does: one epoch over the fixture's
 * examples in order, no dropout, no validation, seed 0; `extra` adds the test's own options.
 */
export function recipeOptions(base: string, output: string, r: ParityRecipe, extra: Partial<TrainOptions> = {}): TrainOptions {
  return resolveOptions({
    base,
    data: "(fixture)",
    output,
    epochs: 1,
    lr: r.lr,
    batchSize: r.batch_size,
    warmupRatio: r.warmup_ratio,
    weightDecay: r.weight_decay,
    maxGradNorm: r.max_grad_norm,
    dropout: 0,
    shuffle: false,
    evalEvery: 0,
    seed: 0,
    ...extra,
  });
}

export interface RefStep {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
}

/** Asserts each step of `output`/log.jsonl against `ref`; returns the largest relative loss error. */
export function checkSteps(output: string, ref: readonly RefStep[], peakLr: number): number {
  const log = TrainLog.read(join(output, "log.jsonl"));
  assert.equal(log.length, ref.length);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  let maxLossErr = 0;
  ref.forEach((want, k) => {
    const got = log[k];
    assert.equal(got.step, want.step);
    maxLossErr = Math.max(maxLossErr, rel(got.loss as number, want.loss));
    assert.ok(rel(got.loss as number, want.loss) < 1e-5, `step ${want.step}: loss ${got.loss} vs ${want.loss}`);
    assert.ok(Math.abs((got.lr as number) - want.lr) <= 1e-12 * peakLr, `step ${want.step}: lr ${got.lr} vs ${want.lr}`);
    assert.ok(rel(got.grad_norm as number, want.grad_norm) < 1e-4, `step ${want.step}: grad norm ${got.grad_norm} vs ${want.grad_norm}`);
  });
  return maxLossErr;
}

export function maxWeightError(gotDir: string, wantFile: string): { err: number; tensor: string } {
  const want = openCheckpoint(wantFile);
  const got = openCheckpoint(gotDir);
  try {
    assert.deepEqual(got.tensorNames().sort(), want.tensorNames().sort());
    let worst = { err: 0, tensor: "" };
    for (const t of want.tensorNames()) {
      assert.deepEqual(got.info(t).shape, want.info(t).shape, t);
      const a = got.readFloat32(t);
      const b = want.readTyped(t) as Float64Array | Float32Array; // float64, or float32 for the loss variants
      for (let i = 0; i < b.length; i++) {
        const err = Math.abs(a[i] - b[i]);
        if (err > worst.err) worst = { err, tensor: `${t}[${i}]` };
      }
    }
    return worst;
  } finally {
    want.close();
    got.close();
  }
}
