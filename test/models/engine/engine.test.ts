/**
 * The batching engine with a fake model (fake-model.ts): offline calls are packed exactly as
 * planBatches plans them and report progress; queued calls share batches; the two packings take
 * turns on the model (one batch at a time); a caller that went away stops an offline call; a
 * failed batch fails only its call; close() drains.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EsciError } from "../../../src/errors/index.js";
import { BatchEngine, DEFAULT_BATCH, planBatches } from "../../../src/models/engine/index.js";
import { fakeModel, ids, row, type FakeModel } from "./fake-model.js";

function fake(): FakeModel & { engine: BatchEngine } {
  const m = fakeModel();
  return Object.assign(m, { engine: new BatchEngine(m.run) });
}

describe("BatchEngine", () => {
  it("offline: packs each call's rows as planBatches does, in its order; answers in input order with progress", async () => {
    const f = fake();
    const lens = [30, 3, 12, 3, 31, 12, 4, 11, 29, 5, 3, 13, 64, 2];
    const rows = lens.map((len, i) => row(i, len));
    const progress: [number, number][] = [];
    const batch = { maxBatch: 4, tokenBudget: 96 };
    const out = await f.engine.run(rows, { batch, onProgress: (d, t) => progress.push([d, t]) });
    assert.deepEqual(ids(out), lens.map((_, i) => i));
    assert.deepEqual(
      out.map((o) => o[1]),
      lens,
    );
    assert.deepEqual(f.batches, planBatches(lens, batch));
    let done = 0;
    assert.deepEqual(
      progress,
      f.batches.map((b) => [(done += b.length), lens.length]),
    );
    // The default packing is DEFAULT_BATCH's.
    const g = fake();
    const many = Array.from({ length: 100 }, (_, i) => row(i, 5 + (i % 17)));
    await g.engine.run(many);
    assert.deepEqual(
      g.batches,
      planBatches(
        many.map((r) => r.inputIds.length),
        DEFAULT_BATCH,
      ),
    );
  });

  it("queued: after startQueue, rows of concurrent calls share a batch", async () => {
    const f = fake();
    const queue = f.engine.startQueue({ maxWaitMs: 600_000, maxBatch: 4 });
    assert.equal(f.engine.batchQueue, queue);
    const [a, b] = await Promise.all([f.engine.run([row(1, 5), row(2, 6)]), f.engine.run([row(3, 5), row(4, 7)])]);
    assert.deepEqual(ids(a), [1, 2]);
    assert.deepEqual(ids(b), [3, 4]);
    assert.equal(f.batches.length, 1);
    assert.throws(() => f.engine.startQueue(), /already started/);
  });

  it("one batch at a time: an offline call and queued calls on one model take turns", async () => {
    const f = fake();
    f.hold();
    const offline = f.engine.run([row(1, 3), row(2, 3), row(3, 3)], { batch: { maxBatch: 1, tokenBudget: 512 } });
    await new Promise((r) => setImmediate(r));
    f.engine.startQueue({ maxWaitMs: 0 });
    const queued = f.engine.run([row(9, 3)]);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.batches, [[1]], "the queued batch waits for the running one");
    f.release();
    assert.deepEqual(ids(await offline), [1, 2, 3]);
    assert.deepEqual(ids(await queued), [9]);
    assert.equal(f.maxRunning, 1);
    assert.equal(f.batches.length, 4);
  });

  it("offline: a caller that went away gets CANCELLED and its later batches never run", async () => {
    const f = fake();
    f.hold();
    const ac = new AbortController();
    const call = f.engine.run([row(1, 3), row(2, 3), row(3, 3)], { batch: { maxBatch: 1, tokenBudget: 512 }, signal: ac.signal });
    await new Promise((r) => setImmediate(r));
    ac.abort();
    f.release();
    await assert.rejects(call, (e: EsciError) => e.code === "CANCELLED");
    assert.deepEqual(f.batches, [[1]]);
    await assert.rejects(f.engine.run([row(4, 3)], { signal: AbortSignal.abort() }), (e: EsciError) => e.code === "CANCELLED");
  });

  it("a failing batch rejects its call; the next call runs", async () => {
    const m = fakeModel((b) => b.includes(1));
    const engine = new BatchEngine(m.run);
    await assert.rejects(engine.run([row(1, 3)]), /model failed/);
    assert.deepEqual(ids(await engine.run([row(2, 3)])), [2]);
  });

  it("close() finishes queued work, then refuses more", async () => {
    const f = fake();
    f.engine.startQueue({ maxWaitMs: 0, maxBatch: 1 });
    const pending = [f.engine.run([row(1, 3)]), f.engine.run([row(2, 3)])];
    await f.engine.close();
    assert.deepEqual((await Promise.all(pending)).map(ids), [[1], [2]]);
    await assert.rejects(f.engine.run([row(3, 3)]), (e: EsciError) => e.code === "UNAVAILABLE");
  });

  it("no rows: no batch", async () => {
    const f = fake();
    assert.deepEqual(await f.engine.run([]), []);
    assert.deepEqual(f.batches, []);
  });
});
