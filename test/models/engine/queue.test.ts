/**
 * The batching queue with a fake model whose output row is [first token id, row length], so each
 * answer shows which input it came from: packing across submits, the token budget, oldest-first,
 * the idle wait, back-pressure, cancelled work dropped before it runs, errors, and drain on close.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EsciError } from "../../../src/errors/index.js";
import { BatchQueue, type BatchStats, type QueueOptions } from "../../../src/models/engine/queue.js";
import { fakeModel, ids, row, type FakeModel } from "./fake-model.js";

interface Fake extends FakeModel {
  queue: BatchQueue;
  stats: BatchStats[];
  rejected: { reason: string; rows: number }[];
}

function fake(options: Partial<QueueOptions>, fail?: (ids: number[]) => boolean): Fake {
  const m = fakeModel(fail);
  const stats: BatchStats[] = [];
  const rejected: { reason: string; rows: number }[] = [];
  const queue = new BatchQueue(m.run, options, { onBatch: (s) => stats.push(s), onRejected: (reason, rows) => rejected.push({ reason, rows }) });
  return Object.assign(m, { queue, stats, rejected });
}

describe("BatchQueue", () => {
  it("packs rows of concurrent submits into one batch and answers each caller its own rows, in order", async () => {
    // The batch starts when it is full (6 rows), not when a wait runs out: no timing involved.
    const f = fake({ maxWaitMs: 600_000, maxBatch: 6 });
    const [a, b, c] = await Promise.all([
      f.queue.submit([row(1, 5), row(2, 9)]),
      f.queue.submit([row(3, 7)]),
      f.queue.submit([row(4, 5), row(5, 6), row(6, 8)]),
    ]);
    assert.deepEqual(ids(a), [1, 2]);
    assert.deepEqual(ids(b), [3]);
    assert.deepEqual(ids(c), [4, 5, 6]);
    assert.equal(f.batches.length, 1, `one model call, got ${JSON.stringify(f.batches)}`);
    assert.equal(f.stats[0].rows, 6);
    assert.equal(f.stats[0].tokens, 5 + 9 + 7 + 5 + 6 + 8);
    assert.equal(f.stats[0].paddedTokens, 6 * 9);
  });

  it("keeps every batch within the token budget and maxBatch, runs each row once, oldest row first", async () => {
    const f = fake({ maxWaitMs: 0, tokenBudget: 64, maxBatch: 5 });
    f.hold();
    const first = f.queue.submit([row(0, 4)]); // starts at once and holds the model
    await new Promise((r) => setImmediate(r));
    const lens = [30, 3, 12, 3, 31, 12, 4, 11, 29, 5, 3, 13];
    const jobs = lens.map((len, i) => f.queue.submit([row(i + 1, len)]));
    f.release();
    await Promise.all([first, ...jobs]);
    const all = f.batches.flat().sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: lens.length + 1 }, (_, i) => i));
    for (const [i, b] of f.batches.entries()) {
      const longest = Math.max(...b.map((id) => (id === 0 ? 4 : lens[id - 1])));
      assert.ok(b.length <= 5, `batch ${i} has ${b.length} rows`);
      assert.ok(b.length * longest <= 64, `batch ${i} pads to ${b.length * longest} tokens`);
    }
    // After the held batch, the oldest waiting row (id 1, 30 tokens) leads the next batch, and
    // packs with the rows nearest its length rather than with the short ones.
    assert.ok(f.batches[1].includes(1));
    assert.deepEqual(new Set(f.batches[1]), new Set([1, 9]));
  });

  it("within a length, the oldest rows go first (else a common length's oldest rows would wait forever)", async () => {
    const f = fake({ maxWaitMs: 0, maxBatch: 3 });
    f.hold();
    const first = f.queue.submit([row(0, 1)]);
    await new Promise((r) => setImmediate(r));
    const jobs = [f.queue.submit([row(1, 10)]), ...[2, 3, 4, 5, 6, 7, 8, 9].map((id) => f.queue.submit([row(id, 9)]))];
    f.release();
    await Promise.all([first, ...jobs]);
    assert.deepEqual(f.batches.slice(1), [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it("groups rows by length: less padding than first-come batches", async () => {
    const f = fake({ maxWaitMs: 0, tokenBudget: 10_000, maxBatch: 4 });
    f.hold();
    const first = f.queue.submit([row(0, 1)]);
    await new Promise((r) => setImmediate(r));
    const lens = [50, 5, 50, 5, 50, 5, 50, 5];
    const jobs = lens.map((len, i) => f.queue.submit([row(i + 1, len)]));
    f.release();
    await Promise.all([first, ...jobs]);
    const s = f.stats.slice(1);
    assert.deepEqual(
      s.map((x) => x.paddedTokens),
      [200, 20],
    );
  });

  it("while busy, a batch takes no row much shorter than its longest (it would be mostly padding)", async () => {
    const run = async (extra: number) => {
      const f = fake({ maxWaitMs: 0, maxBatch: 4 });
      f.hold();
      const first = f.queue.submit([row(0, 1)]);
      await new Promise((r) => setImmediate(r));
      const lens = [50, 10, 10, 45, ...Array(extra).fill(60)];
      const jobs = lens.map((len, i) => f.queue.submit([row(i + 1, len)]));
      f.release();
      await Promise.all([first, ...jobs]);
      return f.batches[1];
    };
    // 4 waiting rows (not busy): the oldest (50) takes its nearest rows, short ones included.
    assert.deepEqual(new Set(await run(0)), new Set([1, 4, 2, 3]));
    // 10 waiting rows (> 2 batches): rows under 0.8 × 50 stay for a batch of their own length.
    assert.deepEqual(new Set(await run(6)), new Set([1, 4]));
  });

  // Order, not milliseconds: a wait of 60 s that the test never sits through shows that a lone
  // row waits and that a full batch does not; a 1 ms wait shows that a lone row does run alone.
  it("an idle model waits for a fuller batch; a full batch starts at once", { timeout: 600_000 }, async () => {
    const f = fake({ maxWaitMs: 60_000, maxBatch: 4 });
    const lone = f.queue.submit([row(1, 3)]);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.batches, [], "a lone row waits for company");
    await Promise.all([lone, f.queue.submit([row(2, 3), row(3, 3), row(4, 3)])]);
    assert.deepEqual(f.batches, [[1, 2, 3, 4]], "the batch started once full, without its wait running out");
  });

  it("a lone row runs alone once maxWaitMs has passed", { timeout: 600_000 }, async () => {
    const f = fake({ maxWaitMs: 1, maxBatch: 4 });
    await f.queue.submit([row(1, 3)]);
    assert.deepEqual(f.batches, [[1]]);
  });

  it("answers OVERLOADED with a retry-after when more rows would wait than maxQueuedRows", async () => {
    const f = fake({ maxWaitMs: 0, maxQueuedRows: 4 });
    f.hold();
    const running = f.queue.submit([row(1, 3)]);
    await new Promise((r) => setImmediate(r));
    const waiting = f.queue.submit([row(2, 3), row(3, 3), row(4, 3)]);
    assert.equal(f.queue.depth, 3);
    await assert.rejects(f.queue.submit([row(5, 3), row(6, 3)]), (e: EsciError) => {
      assert.equal(e.code, "OVERLOADED");
      assert.match(e.message, /queue is full \(3 of 4 pairs waiting, 2 more asked\)/);
      assert.ok((e.details?.retry_after_s as number) >= 1);
      return true;
    });
    assert.deepEqual(f.rejected, [{ reason: "overloaded", rows: 2 }]);
    f.release();
    await Promise.all([running, waiting]);
  });

  it("drops the waiting rows of a caller that went away; rows already running finish for nobody", async () => {
    const f = fake({ maxWaitMs: 0, maxBatch: 2 });
    f.hold();
    const ac = new AbortController();
    const gone = f.queue.submit([row(1, 3), row(2, 3), row(3, 3), row(4, 3)], ac.signal);
    const stays = f.queue.submit([row(5, 3)]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.batches, [[1, 2]]); // running
    ac.abort();
    await assert.rejects(gone, (e: EsciError) => e.code === "CANCELLED");
    assert.equal(f.queue.depth, 1);
    f.release();
    assert.deepEqual(ids(await stays), [5]);
    assert.deepEqual(f.batches, [[1, 2], [5]], "rows 3 and 4 never ran");
    assert.deepEqual(f.rejected, [{ reason: "cancelled", rows: 2 }]);
    await assert.rejects(f.queue.submit([row(6, 3)], AbortSignal.abort()), (e: EsciError) => e.code === "CANCELLED");
  });

  it("a failing batch rejects its callers (and drops their other rows); the queue goes on", async () => {
    const f = fake({ maxWaitMs: 0, maxBatch: 1 }, (b) => b.includes(2));
    const bad = f.queue.submit([row(2, 3), row(3, 3)]);
    const good = f.queue.submit([row(7, 3)]);
    await assert.rejects(bad, /model failed/);
    assert.deepEqual(ids(await good), [7]);
    assert.ok(!f.batches.flat().includes(3), "the failed job's second row was dropped");
  });

  it("close() refuses new work with UNAVAILABLE and resolves once the waiting work is done", async () => {
    const f = fake({ maxWaitMs: 0, maxBatch: 1 });
    const pending = [f.queue.submit([row(1, 3)]), f.queue.submit([row(2, 3)]), f.queue.submit([row(3, 3)])];
    await f.queue.close();
    assert.equal(f.batches.length, 3);
    assert.deepEqual((await Promise.all(pending)).map(ids), [[1], [2], [3]]);
    await assert.rejects(f.queue.submit([row(4, 3)]), (e: EsciError) => e.code === "UNAVAILABLE");
  });

  it("an empty submit resolves at once; bad options are worded errors", async () => {
    const f = fake({});
    assert.deepEqual(await f.queue.submit([]), []);
    assert.throws(() => new BatchQueue(async () => [], { tokenBudget: 0 }), /tokenBudget must be a positive integer/);
  });
});
