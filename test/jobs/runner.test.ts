/**
 * classifyFile with an in-process ShardRunner (no Redis): shards finishing out of order are
 * written in input order and equal a local run's bytes; shard sizes must be whole chunks; a
 * failed shard is skipped with its rows listed under --on-error skip, and under fail stops the
 * output at that shard so --resume (same run id) continues there; the run id is saved before any
 * shard is handed out. The queue's shard format round-trips vectors bit-exact.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { classifyFile, scoreChunk, ResumableOutput, type ShardOutcome, type ShardRunner } from "../../src/esci/index.js";
import { parseQueueUrl } from "../../src/jobs/connection.js";
import { decodeVectors, encodeVectors } from "../../src/jobs/protocol.js";
import type { Pair } from "../../src/models/types.js";
import { FakeScorer, tmp as tmpDir } from "../esci/helpers.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = tmpDir("esci-shards-");
  dirs.push(d);
  return d;
}

/** Scores with the FakeScorer chunk by chunk (as a worker does), finishing shards in reverse order of arrival. */
class FakeRunner implements ShardRunner {
  readonly calls: number[] = [];
  started: (string | undefined)[] = [];
  committedAt: number[] = [];
  private held: (() => void)[] = [];
  constructor(
    readonly shardSize: number,
    readonly inflight: number,
    private readonly failAt?: number,
  ) {}
  async start(prev: string | undefined) {
    this.started.push(prev);
    return prev ?? "run-1";
  }
  async score(pairs: Pair[], first: number): Promise<ShardOutcome> {
    this.calls.push(first);
    const scorer = new FakeScorer();
    // Hold each shard until the next one arrives (or a short timer), so later shards finish first.
    for (const release of this.held.splice(0)) release();
    await new Promise<void>((r) => {
      this.held.push(r);
      setTimeout(r, 5);
    });
    if (first === this.failAt) return { preds: pairs.map(() => null), failures: [], shardFailed: "worker exploded" };
    const out: ShardOutcome = { preds: [], failures: [] };
    for (let i = 0; i < pairs.length; i += 4) {
      const r = await scoreChunk(scorer, pairs.slice(i, i + 4), {}, "fail");
      out.preds.push(...r.preds);
    }
    return out;
  }
  async committed(consumed: number) {
    this.committedAt.push(consumed);
  }
}

function input(dir: string, n: number): string {
  const p = join(dir, "in.jsonl");
  writeFileSync(p, Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, query: `q${i % 7}`, product: `product ${i} ${"x".repeat(i % 5)}` })).join("\n") + "\n");
  return p;
}

describe("classifyFile with a ShardRunner", () => {
  it("writes shards in input order, byte-identical to a local run with the same chunks", async () => {
    const dir = tmp();
    const inp = input(dir, 50);
    await classifyFile(new FakeScorer(), { input: inp, output: join(dir, "local.jsonl"), chunkSize: 4 });
    const runner = new FakeRunner(8, 3);
    const r = await classifyFile(runner, { input: inp, output: join(dir, "queued.jsonl"), chunkSize: 4 });
    assert.equal(r.written, 50);
    assert.deepEqual(runner.calls, [0, 8, 16, 24, 32, 40, 48]);
    assert.ok(readFileSync(join(dir, "queued.jsonl")).equals(readFileSync(join(dir, "local.jsonl"))));
    assert.equal(runner.committedAt[0], 0, "the run id is committed before the first shard");
    assert.equal(runner.committedAt.at(-1), 50);
  });

  it("refuses a shard size that is not a multiple of the chunk size", async () => {
    const dir = tmp();
    await assert.rejects(classifyFile(new FakeRunner(6, 2), { input: input(dir, 10), output: join(dir, "o.jsonl"), chunkSize: 4 }), /multiple of the chunk size 4/);
  });

  it("--on-error skip: a failed shard's rows are listed as skipped and the rest written", async () => {
    const dir = tmp();
    const inp = input(dir, 30);
    await classifyFile(new FakeScorer(), { input: inp, output: join(dir, "local.jsonl"), chunkSize: 4 });
    const r = await classifyFile(new FakeRunner(8, 2, 8), { input: inp, output: join(dir, "q.jsonl"), chunkSize: 4, onError: "skip" });
    assert.equal(r.written, 22);
    assert.equal(r.skipped.count, 8);
    assert.deepEqual(r.skipped.items.map((i) => i.row), [9, 10, 11, 12, 13, 14, 15, 16]);
    assert.ok(r.skipped.items.every((i) => i.kind === "scoring_failed" && i.reason === "worker exploded"));
    const local = readFileSync(join(dir, "local.jsonl"), "utf8").split("\n");
    assert.equal(readFileSync(join(dir, "q.jsonl"), "utf8"), [...local.slice(0, 8), ...local.slice(16)].join("\n"));
  });

  it("--on-error fail: JOB_FAILED naming the rows, output stopped at the shard; --resume continues there with the same run", async () => {
    const dir = tmp();
    const inp = input(dir, 30);
    const out = join(dir, "q.jsonl");
    const bad = new FakeRunner(8, 2, 16);
    await assert.rejects(classifyFile(bad, { input: inp, output: out, chunkSize: 4 }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "JOB_FAILED");
      assert.match(e.message, /in\.jsonl, rows 17–24: worker exploded/);
      return true;
    });
    assert.deepEqual(bad.calls, [0, 8, 16, 24], "the shards after the failed one still ran");
    assert.ok(!existsSync(out));
    const marker = JSON.parse(readFileSync(ResumableOutput.markerPath(out), "utf8"));
    assert.equal(marker.consumed, 16);
    const good = new FakeRunner(8, 2);
    const r = await classifyFile(good, { input: inp, output: out, chunkSize: 4, resume: true });
    assert.deepEqual(good.started, ["run-1"], "reattached to the saved run");
    assert.deepEqual(good.calls, [16, 24]);
    assert.equal(r.written, 30);
    await classifyFile(new FakeScorer(), { input: inp, output: join(dir, "local.jsonl"), chunkSize: 4 });
    assert.ok(readFileSync(out).equals(readFileSync(join(dir, "local.jsonl"))));
  });
});

describe("queue plumbing", () => {
  it("parses redis URLs and names bad ones", () => {
    assert.deepEqual(parseQueueUrl("redis://:s3cret@db.example:6380/3"), { host: "db.example", port: 6380, db: 3, username: undefined, password: "s3cret", tls: undefined, maxRetriesPerRequest: null });
    assert.equal(parseQueueUrl("rediss://h").port, 6379);
    assert.throws(() => parseQueueUrl("http://h:1"), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => parseQueueUrl("redis://h/x"), /database number/);
  });

  it("embedding shards carry float32 vectors bit-exact", () => {
    const v = [new Float32Array([1.5, -0.1, Math.PI]), new Float32Array([0, 1e-38, -7])];
    const back = decodeVectors(encodeVectors(v, 3), 2);
    assert.deepEqual(back.map((x) => [...x]), v.map((x) => [...x]));
    assert.throws(() => decodeVectors(encodeVectors(v, 3), 3), /expected 3 × 3 float32/);
  });
});
