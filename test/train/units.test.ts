/**
 * The trainer's small pure parts: the learning-rate schedule (transformers'
 * get_linear_schedule_with_warmup), clip_grad_norm_, one AdamW step in closed form, HF's
 * weight-decay split, the step plan, seeded epoch orders, held-out queries, batch padding.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mulberry32 } from "../../src/models/random-checkpoint.js";
import { keepFloatLiterals } from "../../src/train/export.js";
import {
  AdamW,
  clipGradNorm,
  globalNorm,
  gradNorm,
  ParamMemory,
  decays,
  EncodedDataset,
  epochOrder,
  holdOutGroups,
  linearScheduleLr,
  makeBatch,
  planTraining,
  resolveOptions,
  TORCH_ADAMW,
  warmupSteps,
} from "../../src/train/index.js";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe("exported config.json keeps float literals (transformers 5's strict configs)", () => {
  it("integer-valued floats of the base stay floats, at any depth; ints and other numbers unchanged", () => {
    const base = `{"initializer_cutoff_factor": 2.0, "num_hidden_layers": 3, "rope_parameters": {"full_attention": {"rope_theta": 160000.0}}, "norm_eps": 1e-05, "mlp_dropout": 0.0, "ids": [1, 2]}`;
    const out = keepFloatLiterals(JSON.stringify(JSON.parse(base), null, 2), base);
    assert.match(out, /"initializer_cutoff_factor": 2\.0,/);
    assert.match(out, /"rope_theta": 160000\.0\n/);
    assert.match(out, /"mlp_dropout": 0\.0,/);
    assert.match(out, /"num_hidden_layers": 3,/);
    assert.deepEqual(JSON.parse(out), JSON.parse(base));
  });
});

describe("learning-rate schedule", () => {
  it("linear warm-up from 0 (update k uses step k), then linear decay to 0", () => {
    const lrs = Array.from({ length: 8 }, (_, k) => linearScheduleLr(k, 1, 2, 8));
    [0, 0.5, 1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6].forEach((want, k) => close(lrs[k], want));
    close(linearScheduleLr(0, 5e-5, 0, 10), 5e-5);
    close(linearScheduleLr(10, 5e-5, 1, 10), 0);
  });
  it("warm-up steps are ceil(total · ratio), as HF's get_warmup_steps", () => {
    assert.equal(warmupSteps(8, 0.1), 1);
    assert.equal(warmupSteps(100, 0.1), 10);
    assert.equal(warmupSteps(43_000, 0.1), 4300);
    assert.equal(warmupSteps(5, 0), 0);
  });
});

describe("clip_grad_norm_", () => {
  it("returns the norm before clipping and scales only when max_norm / (norm + 1e-6) < 1", () => {
    const g = [Float32Array.of(3), Float32Array.of(4)];
    assert.equal(clipGradNorm(g, 10), 5);
    assert.deepEqual([g[0][0], g[1][0]], [3, 4]);
    assert.equal(clipGradNorm(g, 0), 5);
    assert.equal(clipGradNorm(g, 1), 5);
    close(g[0][0], Math.fround(3 / (5 + 1e-6)), 1e-7);
    close(g[1][0], Math.fround(4 / (5 + 1e-6)), 1e-7);
  });
});

describe("AdamW (torch semantics)", () => {
  for (const wasm of [true, false]) {
    it(`first steps match the closed form, decoupled decay only where it applies (${wasm ? "SIMD kernel" : "scalar loop"})`, () => {
      const lr = 0.1;
      const wd = 0.5;
      const store = new ParamMemory([2, 1], { wasm });
      assert.equal(store.kernel(0) !== undefined, wasm);
      store.values[0].set([1, -2]);
      store.values[1].set([3]);
      const adam = new AdamW(store, [true, false], { ...TORCH_ADAMW, weightDecay: wd });
      store.grads[0].set([0.5, -1e-3]);
      store.grads[1].set([2]);
      adam.update(lr);
      const p = store.values;
      // step 1: m̂ = g, v̂ = g², update = lr · g / (|g| + ε) after p ← p(1 − lr·wd)
      close(p[0][0], 1 * (1 - lr * wd) - (lr * 0.5) / (0.5 + 1e-8), 1e-6);
      close(p[0][1], -2 * (1 - lr * wd) + (lr * 1e-3) / (1e-3 + 1e-8), 1e-6);
      close(p[1][0], 3 - (lr * 2) / (2 + 1e-8), 1e-6);
      // step 2 with the same gradient, halved by a clipping coefficient folded into the pass
      const before = p[1][0];
      store.grads[1].set([4]);
      adam.update(lr, 0.5);
      const m = 0.1 * 2 * 0.9 + 0.1 * 2;
      const v = 0.001 * 4 * 0.999 + 0.001 * 4;
      close(p[1][0], before - ((lr / (1 - 0.9 ** 2)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8), 1e-6);
      assert.equal(adam.state.step, 2);
      close(store.expAvg[1][0], m, 1e-6);
      close(store.expAvgSq[1][0], v, 1e-7);
    });
  }

  it("the SIMD kernel and the scalar loop agree on random tensors (with odd lengths)", () => {
    const sizes = [1, 3, 4, 1001, 4096 + 7];
    const stores = [new ParamMemory(sizes), new ParamMemory(sizes, { wasm: false })];
    const rand = mulberry32(5);
    sizes.forEach((n, k) => {
      const v = Float32Array.from({ length: n }, () => rand() - 0.5);
      const g = Float32Array.from({ length: n }, () => (rand() - 0.5) * 1e-2);
      for (const s of stores) {
        s.values[k].set(v);
        s.grads[k].set(g);
      }
    });
    const decay = sizes.map((_, k) => k % 2 === 0);
    const opts = { ...TORCH_ADAMW, weightDecay: 0.01 };
    const [a, b] = stores.map((s) => new AdamW(s, decay, opts));
    close(gradNorm(stores[0]), gradNorm(stores[1]), 1e-14);
    close(gradNorm(stores[0]), globalNorm(stores[1].grads), 1e-14);
    for (let t = 0; t < 3; t++) {
      a.update(1e-3, 0.7);
      b.update(1e-3, 0.7);
    }
    let worst = 0;
    sizes.forEach((_, k) => stores[0].values[k].forEach((x, i) => (worst = Math.max(worst, Math.abs(x - stores[1].values[k][i])))));
    assert.ok(worst < 1e-7, `max difference ${worst}`);
  });

  it("no weight decay for biases and LayerNorm parameters (HF Trainer's groups)", () => {
    assert.equal(decays("roberta.encoder.layer.0.attention.self.query.weight"), true);
    assert.equal(decays("roberta.embeddings.word_embeddings.weight"), true);
    assert.equal(decays("classifier.out_proj.weight"), true);
    assert.equal(decays("roberta.encoder.layer.0.attention.self.query.bias"), false);
    assert.equal(decays("roberta.encoder.layer.0.output.LayerNorm.weight"), false);
    assert.equal(decays("bert.embeddings.LayerNorm.gamma"), false);
  });
});

describe("step plan and data order", () => {
  const opts = (o: object) => resolveOptions({ base: "b", data: "d", output: "o", ...o });
  it("epochs of ceil(N / batch) micro-batches, grouped by grad-accum into updates", () => {
    const p = planTraining(10, opts({ batchSize: 3, gradAccum: 2, epochs: 3, warmupRatio: 0.1, evalEvery: 0.5 }), true);
    assert.deepEqual(p, { examples: 10, batchesPerEpoch: 4, stepsPerEpoch: 2, totalSteps: 6, warmupSteps: 1, evalInterval: 1 });
    assert.equal(planTraining(10, opts({ batchSize: 3, maxSteps: 5 }), false).totalSteps, 5);
    assert.equal(planTraining(1000, opts({ batchSize: 32 }), true).evalInterval, 3); // round(0.1 · 32)
    assert.equal(planTraining(1000, opts({ batchSize: 32 }), false).evalInterval, 0);
  });
  it("each epoch is a seeded permutation; no-shuffle keeps the order", () => {
    const a = epochOrder(50, 42, 0, true);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(a, epochOrder(50, 42, 0, true));
    assert.notDeepEqual(a, epochOrder(50, 42, 1, true));
    assert.notDeepEqual(a, epochOrder(50, 43, 0, true));
    assert.deepEqual([...epochOrder(5, 42, 3, false)], [0, 1, 2, 3, 4]);
  });
  it("validation holds out whole queries", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ group: `q${i % 40}`, i }));
    const { train, validation } = holdOutGroups(rows, 0.1, 42);
    const held = new Set(validation.map((r) => r.group));
    assert.equal(held.size, 4);
    assert.equal(validation.length, 20);
    assert.ok(train.every((r) => !held.has(r.group)));
    assert.equal(train.length + validation.length, rows.length);
  });
  it("batches are padded to their longest row", () => {
    const ds = EncodedDataset.fromEncodings(
      [
        { inputIds: [0, 5, 2], tokenTypeIds: [0, 0, 0] },
        { inputIds: [0, 6, 7, 8, 2], tokenTypeIds: [0, 0, 1, 1, 1] },
      ],
      [3, 1],
    );
    assert.equal(ds.length(1), 5);
    const b = makeBatch(ds, [1, 0], 1);
    assert.deepEqual(b.dims, [2, 5]);
    assert.deepEqual([...b.input_ids].map(Number), [0, 6, 7, 8, 2, 0, 5, 2, 1, 1]);
    assert.deepEqual([...b.attention_mask].map(Number), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual([...b.token_type_ids].map(Number), [0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual([...b.labels].map(Number), [1, 3]);
    assert.equal(b.tokens, 8);
  });
});
