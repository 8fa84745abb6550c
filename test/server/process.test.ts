/**
 * The server as a process and over real sockets on loopback: a client that disconnects has its
 * queued pairs dropped; `esci serve` refuses to start (non-zero exit, a clear message) when the
 * model directory is missing or corrupt; SIGTERM drains in-flight requests and exits 0; kill -9
 * under load, then a restart serves the same store again. Also the short version of the load
 * test (scripts/server/load.mjs): no 5xx.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, truncateSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import { openStore } from "../../src/search/store.js";
import { isolateEsciCache, REPO_ROOT, tempDir } from "../helpers/paths.js";
import { DEMO_CATALOG, EMBED_MODEL, ESCI_MODEL, testServer } from "./helpers.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");
const ENV = { ...process.env, HF_HUB_OFFLINE: "1" };

function post(url: string, body: unknown): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    req.on("error", (e) => resolve({ status: 0, body: e.message }));
    req.end(data);
  });
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve(s));
    })
      .on("error", reject)
      .end();
  });
}

/** The sum of a metric's samples in Prometheus text. */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(" ").pop());
  return sum;
}

/** `esci serve …` on a free port; resolves with its URL once it says it is ready. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--quiet", ...args], { cwd: REPO_ROOT, env: ENV, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m && err.includes("ready:")) resolve({ child, url: m[1], stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`esci serve exited with ${code} before ready:\n${err}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));

before(() => isolateEsciCache());

describe("over sockets", () => {
  it("a client that disconnects has its queued pairs dropped", { timeout: 600_000 }, async () => {
    const s = await testServer({ queue: { maxBatch: 1, maxWaitMs: 0 } });
    const url = await s.app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const texts = Array.from({ length: 800 }, (_, i) => `product number ${i} with a longer title`);
      const data = JSON.stringify({ query: "product", texts });
      const req = request(`${url}/rerank`, { method: "POST", headers: { "content-type": "application/json" } });
      req.on("error", () => {});
      req.end(data);
      // Wait until the request's pairs are queued (however long that takes on a busy machine;
      // the test's timeout bounds it), then hang up.
      while (s.models.scorer.engine.batchQueue!.depth === 0) await new Promise((r) => setTimeout(r, 2));
      req.destroy();
      await new Promise((r) => setTimeout(r, 100));
      await s.models.scorer.engine.batchQueue!.whenIdle();
      const m = s.metrics.render();
      const cancelled = Number(/^esci_queue_rejected_rows_total\{[^}]*reason="cancelled"\} (\d+)$/m.exec(m)?.[1] ?? 0);
      const ran = Number(/^esci_batch_size_sum\{[^}]*\} (\d+)$/m.exec(m)?.[1] ?? 0);
      assert.ok(cancelled > 0, `rows dropped: ${cancelled}`);
      assert.equal(ran + cancelled, 800, `${ran} rows ran + ${cancelled} dropped`);
    } finally {
      await s.close();
    }
  });
});

describe("esci serve (process)", () => {
  const dir = tempDir("esci-serve-");

  it("refuses to start when the model directory is missing: non-zero exit, the path in the message", () => {
    const missing = join(dir, "no-such-model");
    const r = spawnSync(process.execPath, [CLI, "serve", "--model", missing, "--port", "0", "--quiet"], { cwd: REPO_ROOT, env: ENV, encoding: "utf8", timeout: 300_000 });
    assert.equal(r.status, ERROR_TABLE.NOT_FOUND.exitCode, r.stderr);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.doesNotMatch(r.stderr, /ready:/);
  });

  it("refuses to start when the model is corrupt (a truncated safetensors file)", () => {
    const corrupt = join(dir, "corrupt-model");
    cpSync(ESCI_MODEL, corrupt, { recursive: true });
    truncateSync(join(corrupt, "model.safetensors"), 100);
    const r = spawnSync(process.execPath, [CLI, "serve", "--model", corrupt, "--port", "0", "--quiet"], { cwd: REPO_ROOT, env: ENV, encoding: "utf8", timeout: 300_000 });
    assert.equal(r.status, ERROR_TABLE.CORRUPT_FILE.exitCode, r.stderr);
    assert.match(r.stderr, /model\.safetensors/);
    assert.doesNotMatch(r.stderr, /ready:/);
  });

  it("SIGTERM drains in-flight requests (all answered 200) and exits 0", async () => {
    const { child, url, stderr } = await serve(["--model", ESCI_MODEL, "--threads", "1"]);
    const texts = Array.from({ length: 1000 }, (_, i) => `item ${i}`);
    const inflight = Array.from({ length: 6 }, () => post(`${url}/rerank`, { query: "item", texts }));
    // SIGTERM once every request is in the queue (rows waiting + rows run = 6000): a request still
    // on the wire at that moment would be refused, which is shutdown working, not draining.
    for (;;) {
      const m = await get(`${url}/metrics`);
      const accepted = metric(m, "esci_queue_depth") + metric(m, "esci_batch_size_sum");
      if (accepted >= 6000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGTERM");
    const answers = await Promise.all(inflight);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(6).fill(200),
      answers.map((a) => a.body.slice(0, 200)).join("\n"),
    );
    assert.equal(await exited(child), 0, stderr());
    assert.match(stderr(), /SIGTERM: draining/);
    assert.equal((await post(`${url}/rerank`, { query: "q", texts: ["t"] })).status, 0, "the port is closed");
  });

  describe("kill -9 under load", () => {
    const storeSpec = `sqlite:${join(dir, "demo.db")}`;
    before(() => {
      const r = spawnSync(process.execPath, [CLI, "index", "--catalog", DEMO_CATALOG, "--store", storeSpec, "--embed-model", EMBED_MODEL, "--quiet"], { cwd: REPO_ROOT, env: ENV, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    });

    it("restarts and serves the same store", async () => {
      const args = ["--model", ESCI_MODEL, "--store", storeSpec];
      const first = await serve(args);
      const query = { query: "car stereo bluetooth", k: 5 };
      const before = JSON.parse((await post(`${first.url}/v1/search`, query)).body);
      assert.equal(before.hits.length, 5);
      // Load: clients searching and reranking in a loop, killed mid-flight.
      let stop = false;
      const statuses: number[] = [];
      const clients = Array.from({ length: 6 }, async (_, i) => {
        while (!stop) {
          const r = await post(`${first.url}/v1/search`, { query: `car stereo ${i}`, k: 10 });
          statuses.push(r.status);
          if (r.status === 0) return;
        }
      });
      // Kill once the load is being served (not after a fixed delay, which a busy machine can
      // outlast before the first answer).
      while (!statuses.includes(200)) {
        assert.ok(!statuses.includes(0), "the server stopped answering before the kill");
        await new Promise((r) => setTimeout(r, 10));
      }
      first.child.kill("SIGKILL");
      assert.equal(await exited(first.child), null);
      stop = true;
      await Promise.all(clients);
      assert.ok(statuses.filter((s) => s === 200).length > 0, "the load was served before the kill");
      assert.ok(statuses.every((s) => s === 200 || s === 0), `only 200s, then refused connections: ${[...new Set(statuses)]}`);

      const second = await serve(args);
      try {
        const again = JSON.parse((await post(`${second.url}/v1/search`, query)).body);
        assert.deepEqual(again.hits, before.hits, "same answers from the same store");
        const info = JSON.parse(await get(`${second.url}/v1/info`));
        assert.equal(info.store.products, 58);
        assert.equal(info.store.embedded, 58);
      } finally {
        second.child.kill("SIGTERM");
        assert.equal(await exited(second.child), 0);
      }
      const store = await openStore(storeSpec, { mustExist: true });
      assert.equal((await store.info()).products, 58);
      await store.close();
    });
  });

  it("load test, short version (scripts/server/load.mjs): no 5xx, latencies reported", () => {
    const r = spawnSync(process.execPath, ["scripts/server/load.mjs", "--model", ESCI_MODEL, "--seconds", "2", "--clients", "4", "--no-offline", "--json"], {
      cwd: REPO_ROOT,
      env: ENV,
      encoding: "utf8",
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.errors_5xx, 0);
    assert.ok(out.statuses["200"] > 0);
    assert.ok(out.latency_ms.p50 > 0 && out.latency_ms.p99 >= out.latency_ms.p50);
    assert.ok(out.mean_batch_rows >= 1);
  });
});
