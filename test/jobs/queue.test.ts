/**
 * `esci classify|predict --queue` with `esci worker` processes on a real Redis: the output equals a
 * single-machine run byte for byte, and every fault of issue 19 is provoked at a fixed point (test
 * hooks, never a timer): a worker killed mid-shard, a coordinator killed and resumed, a Redis
 * restart, a shard that always fails (fail and skip), and a worker with other weights.
 *
 * Needs ESCI_TEST_REDIS_URL (`scripts/jobs/redis.sh start` prints one; .ci/run exports it); each
 * test empties its own database number. Outside CI a missing server skips the suite; with CI=true
 * it fails. Workers run with a 2 s lock (ESCI_JOBS_LOCK_MS) so a dead worker's shard comes back
 * quickly (on a loaded machine a live worker's shard may be re-run too: the result is the same).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import pg from "pg";
import { openStore } from "../../src/search/store.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";
import { freshDb, jobKeys, jobOptions, Procs, REDIS_SH, redisProblem } from "./cluster.js";

const base = process.env.ESCI_TEST_REDIS_URL;
const inCi = process.env.CI === "true";
const problem = await redisProblem(base);
const MODEL = fixtureModel("tiny-roberta-esci");

/** `n` pairs with ids and an extra field, as a catalogue export would have them. */
function writePairs(path: string, n: number): void {
  const words = ["red", "running", "shoe", "usb", "cable", "blue", "hat", "phone", "case", "wireless", "charger", "leather"];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const q = `${words[i % 12]} ${words[(i * 5) % 12]}`;
    const p = `${words[(i * 7) % 12]} ${words[(i * 3) % 12]} ${words[i % 5]} model ${i} ${"extra words ".repeat(i % 9)}`;
    lines.push(JSON.stringify({ query_id: `q${Math.floor(i / 10)}`, product_id: `B${i}`, query: q, product: p, source: i % 2 ? "log" : "catalog" }));
  }
  writeFileSync(path, lines.join("\n") + "\n");
}

/** Shards a worker finished, from the last progress line it printed before exiting. */
function shardsScored(stderr: string): number {
  const all = [...stderr.matchAll(/shards=(\d+)/g)];
  return all.length ? Number(all[all.length - 1][1]) : 0;
}

/** Wait for a condition; the suite's timeout bounds it, and no assertion depends on how long it takes. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 50));
}

if (problem) {
  describe("job queue (BullMQ on Redis)", () => {
    if (inCi) it("needs Redis in CI", () => assert.fail(`CI=true but Redis is unavailable: ${problem}`));
    else it(`skipped: ${problem}`, { skip: `Redis unavailable: ${problem}` }, () => {});
  });
} else {
  describe("job queue (BullMQ on Redis)", { timeout: 900_000 }, () => {
    const procs = new Procs();
    const dir = mkdtempSync(join(tmpdir(), "esci-jobs-"));
    const input = join(dir, "pairs.jsonl");
    const ref = join(dir, "ref.jsonl");
    const N = 3000; // 3 shards of 1024 (the last one short)

    before(() => {
      writePairs(input, N);
      const r = procs.run(["classify", "--model", MODEL, "--input", input, "--output", ref, "--quiet"]);
      assert.equal(r.status, 0, r.stderr);
    });
    after(async () => {
      await procs.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const classify = (url: string, out: string, extra: string[] = [], env: Record<string, string> = {}) =>
      procs.start(["classify", "--model", MODEL, "--input", input, "--output", out, "--queue", url, ...extra], env);

    it("two workers write exactly the single-machine file (classify and predict), and leave no job behind", async () => {
      const url = await freshDb(base!, 1);
      const workers = [procs.worker(url), procs.worker(url)];
      const out = join(dir, "two-workers.jsonl");
      const r = await classify(url, out).exit;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(readFileSync(out).equals(readFileSync(ref)), "byte-identical to the single-machine run");
      assert.match(r.stderr, /wrote 3,000 rows/);

      const predicted = join(dir, "predict.jsonl");
      const p = await procs.start(["predict", "--model", MODEL, "--input", input, "--output", predicted, "--queue", url, "--shard-size", "2048"]).exit;
      assert.equal(p.code, 0, p.stderr);
      assert.ok(readFileSync(predicted).equals(readFileSync(ref)), "predict --queue with 2,048-pair shards: the same bytes");

      const done = await Promise.all(workers.map((w) => procs.stop(w)));
      const shards = done.map((d) => shardsScored(d.stderr));
      assert.equal(shards[0] + shards[1], 3 + 2, `each shard scored once (${shards.join(" + ")})`);
      assert.deepEqual(await jobKeys(url), [], "finished runs remove their jobs");
    });

    it("--shard-dir: texts and results go through a shared directory, Redis carries only file names; same bytes", async () => {
      const url = await freshDb(base!, 8);
      const shared = mkdtempSync(join(dir, "shared-"));
      const worker = procs.worker(url);
      const out = join(dir, "shard-dir.jsonl");
      const r = await classify(url, out, ["--shard-dir", shared]).exit;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(readFileSync(out).equals(readFileSync(ref)));
      assert.deepEqual(readdirSync(shared), [], "shard files are deleted once their rows are written");
      await procs.stop(worker);
    });

    it("a worker killed (-9) mid-shard: its shard is retried via stalled-job detection, no row lost or doubled", async () => {
      const url = await freshDb(base!, 2);
      const out = join(dir, "worker-killed.jsonl");
      // 2,048-pair shards of two chunks: the hook kills the worker after the first chunk of its first shard.
      const run = classify(url, out, ["--shard-size", "2048"]);
      const doomed = procs.worker(url, { ESCI_TEST_KILL_AFTER_ROWS: "1024" });
      const d = await doomed.exit;
      assert.equal(d.signal, "SIGKILL");
      const rescuer = procs.worker(url);
      const r = await run.exit;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stalled/, "the coordinator reports the stalled attempt");
      assert.ok(readFileSync(out).equals(readFileSync(ref)), "byte-identical after the retry");
      await procs.stop(rescuer);
    });

    it("a coordinator killed (-9) reattaches with --resume and takes the results already made", async () => {
      const url = await freshDb(base!, 3);
      const worker = procs.worker(url);
      const out = join(dir, "coordinator-killed.jsonl");
      const first = await classify(url, out, [], { ESCI_TEST_KILL_AFTER_SHARDS: "2" }).exit;
      assert.equal(first.signal, "SIGKILL");
      assert.ok(existsSync(`${out}.progress.json`) && !existsSync(out), "killed before finishing");
      const second = await classify(url, out, ["--resume"]).exit;
      assert.equal(second.code, 0, second.stderr);
      assert.ok(readFileSync(out).equals(readFileSync(ref)), "byte-identical after resuming");
      const w = await procs.stop(worker);
      assert.equal(shardsScored(w.stderr), 3, "no shard was scored twice: the resumed coordinator found the first one's jobs");
      assert.deepEqual(await jobKeys(url), []);
    });

    it("a Redis restart (AOF on) mid-run: work continues and the output is complete", async (t) => {
      if (spawnSync("bash", ["-c", "command -v redis-server"]).status !== 0) return t.skip("no redis-server binary to restart");
      const env = { ...process.env, ESCI_REDIS_DIR: join(dir, "own-redis") };
      const url = spawnSync("bash", [REDIS_SH, "start"], { env, encoding: "utf8" }).stdout.trim();
      try {
        const out = join(dir, "redis-restart.jsonl");
        const worker = procs.worker(url, { ESCI_TEST_CHUNK_DELAY_MS: "400" });
        const run = classify(url, out, ["--in-flight", "2"]);
        // Restart once the first shard's rows are committed to the output.
        await until(() => existsSync(`${out}.progress.json`) && JSON.parse(readFileSync(`${out}.progress.json`, "utf8")).consumed >= 1024);
        assert.equal(spawnSync("bash", [REDIS_SH, "restart"], { env }).status, 0);
        const r = await run.exit;
        assert.equal(r.code, 0, r.stderr);
        assert.ok(readFileSync(out).equals(readFileSync(ref)), "byte-identical across the restart");
        await procs.stop(worker);
      } finally {
        spawnSync("bash", [REDIS_SH, "stop"], { env });
      }
    });

    it("a shard that always fails: named with its rows, the rest finish; non-zero unless --on-error skip; --resume retries it", async () => {
      const url = await freshDb(base!, 4);
      const bad = procs.worker(url, { ESCI_TEST_FAIL_SHARD: "1024" });
      const out = join(dir, "failing.jsonl");
      const failed = await classify(url, out, ["--attempts", "2"]).exit;
      assert.equal(failed.code, ERROR_TABLE.JOB_FAILED.exitCode, failed.stderr);
      assert.match(failed.stderr, /rows 1025–2048: .*ESCI_TEST_FAIL_SHARD=1024 makes this shard fail/);
      assert.ok(!existsSync(out), "no output file that looks complete");
      await procs.stop(bad);

      // Fixed workers: --resume retries only the failed shard and finishes the same file.
      const good = procs.worker(url);
      const resumed = await classify(url, out, ["--attempts", "2", "--resume"]).exit;
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.ok(readFileSync(out).equals(readFileSync(ref)));
      await procs.stop(good);

      const url2 = await freshDb(base!, 5);
      const bad2 = procs.worker(url2, { ESCI_TEST_FAIL_SHARD: "1024" });
      const skipped = join(dir, "skipped.jsonl");
      const s = await classify(url2, skipped, ["--attempts", "2", "--on-error", "skip"]).exit;
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /skipped 1,024 rows/);
      const refLines = readFileSync(ref, "utf8").split("\n");
      assert.equal(readFileSync(skipped, "utf8"), [...refLines.slice(0, 1024), ...refLines.slice(2048)].join("\n"), "every row but the failed shard's, in order");
      await procs.stop(bad2);
    });

    it("a worker whose weights differ from the job's refuses it, and the coordinator says why", async () => {
      const url = await freshDb(base!, 6);
      // The same relative path holds another checkpoint on the worker's "machine" (its cwd).
      const mine = mkdtempSync(join(dir, "coord-"));
      const theirs = mkdtempSync(join(dir, "worker-"));
      cpSync(MODEL, join(mine, "model"), { recursive: true });
      cpSync(MODEL, join(theirs, "model"), { recursive: true });
      const st = join(theirs, "model", "model.safetensors");
      const bytes = readFileSync(st);
      bytes[bytes.length - 1] ^= 1; // one weight's lowest bits: a different checkpoint
      writeFileSync(st, bytes);
      const worker = procs.worker(url, {}, theirs);
      const out = join(dir, "refused.jsonl");
      const r = await procs.start(["classify", "--model", "model", "--input", input, "--output", out, "--queue", url, "--attempts", "1"], {}, mine).exit;
      assert.equal(r.code, ERROR_TABLE.JOB_FAILED.exitCode, r.stderr);
      assert.match(r.stderr, /refuses the shard: its weights of model have sha256 [0-9a-f]{16}…, the job's have [0-9a-f]{16}…/);
      await procs.stop(worker);
    });
  });
}

if (!problem) {
  describe("esci index --queue", { timeout: 300_000 }, () => {
    const procs = new Procs();
    const dir = mkdtempSync(join(tmpdir(), "esci-jobs-index-"));
    const EMBED = fixtureModel("tiny-st-roberta");
    const pgUrl = process.env.ESCI_TEST_POSTGRES_URL;
    const schema = `esci_jobs_${process.pid}`;
    after(async () => {
      await procs.cleanup();
      if (pgUrl) {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it(`embeds on workers into ${pgUrl ? "PostgreSQL" : "SQLite (no ESCI_TEST_POSTGRES_URL)"}, resumes after a coordinator kill -9, and stores the vectors one machine computes`, async () => {
      const url = await freshDb(base!, 7);
      const local = `sqlite:${join(dir, "local.db")}`;
      const r0 = procs.run(["index", "--catalog", "demo/catalog.jsonl", "--store", local, "--embed-model", EMBED, "--quiet"]);
      assert.equal(r0.status, 0, r0.stderr);

      const remote = pgUrl ? `${pgUrl}${pgUrl.includes("?") ? "&" : "?"}schema=${schema}` : `sqlite:${join(dir, "remote.db")}`;
      const worker = procs.worker(url);
      const args = ["index", "--catalog", "demo/catalog.jsonl", "--store", remote, "--embed-model", EMBED, "--queue", url, "--shard-size", "8", "--in-flight", "2"];
      // Batches of 16 rows = 2 shards; the probe is result 1, so result 4 is mid-way through the second batch.
      const killed = await procs.start(args, { ESCI_TEST_KILL_AFTER_SHARDS: "4" }).exit;
      assert.equal(killed.signal, "SIGKILL");
      const resumed = procs.run(args);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /indexed 42 rows \(resumed after row 16\)/);
      await procs.stop(worker);

      const [a, b] = [await openStore(local), await openStore(remote)];
      try {
        assert.equal((await b.info()).embedded, 58);
        assert.equal((await b.embedding())?.model, (await a.embedding())?.model, "vectors recorded under the same model id");
        const ids = await readIds();
        for (const id of ids) {
          const [va, vb] = [await a.vectorOf(id), await b.vectorOf(id)];
          assert.ok(va && vb && va.length === vb.length, id);
          for (let i = 0; i < va.length; i++) assert.ok(Math.abs(va[i] - vb[i]) <= 1e-6, `${id}[${i}]: ${va[i]} vs ${vb[i]}`);
        }
        assert.equal(ids.length, 58);
      } finally {
        await a.close();
        await b.close();
      }
      // Only the killed coordinator's orphans may remain, each set to expire.
      for (const opts of await jobOptions(url)) assert.equal((opts.removeOnComplete as { age?: number } | undefined)?.age, 3600);
    });
  });
}

async function readIds(): Promise<string[]> {
  return readFileSync(join(REPO_ROOT, "demo", "catalog.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => String((JSON.parse(l) as { id: unknown }).id));
}
