/**
 * Broken transfers and concurrent writers: whatever happens on the wire, nothing unverified may
 * end up under blobs/ or snapshots/, and the next run must be able to finish the job.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EsciError } from "../../src/errors/index.js";
import { modelFile, resolveModel } from "../../src/hub/index.js";
import { etagOf, sha256, startMockHub, type MockHub } from "../helpers/mock-hub.js";
import { EXPECTED_FILES, FAST_RETRY, MAIN, MAIN_FILES, REPO, fileOf, listTree, tempDir, tinyRepo } from "./fixture.js";

let hub: MockHub;
before(async () => {
  hub = await startMockHub({ repos: [tinyRepo()] });
});
after(() => hub.close());
let mark = 0;
beforeEach(() => {
  mark = hub.requests.length;
});

const WEIGHTS = fileOf(MAIN_FILES, "model.safetensors");
const WEIGHTS_BYTES = Buffer.from(WEIGHTS.content);

function opts(cacheDir: string) {
  return { cacheDir, endpoint: hub.endpoint, env: {}, retry: FAST_RETRY };
}

function weightGets() {
  return hub.requests.slice(mark).filter((r) => r.server === "cdn" && r.method === "GET");
}

/** The cache holds only finished blobs and links: no temporary files anywhere. */
async function assertNoLeftovers(cache: string): Promise<void> {
  const tree = await listTree(cache);
  assert.deepEqual(tree.filter((p) => /incomplete|\.tmp$/.test(p)), [], tree.join("\n"));
}

async function assertBlobsVerified(cache: string): Promise<void> {
  const blobs = join(cache, "models--acme--tiny-bert", "blobs");
  for (const name of await listTree(blobs)) {
    const data = await readFile(join(blobs, name));
    if (name.length === 64) assert.equal(sha256(data), name, `blob ${name} is not what its name says`);
  }
}

describe("interrupted transfers", () => {
  test("a socket reset mid-body is retried with a Range request and the file completes", async () => {
    const cache = await tempDir();
    hub.failNext("model.safetensors", "reset");
    const res = await resolveModel(REPO, opts(cache));
    assert.deepEqual(await readFile(modelFile(res, "model.safetensors")), WEIGHTS_BYTES);
    const gets = weightGets();
    assert.equal(gets.length, 2);
    assert.equal(gets[0]!.headers.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(gets[1]!.headers.range))?.[1]);
    assert.ok(resumedAt > 0 && resumedAt < WEIGHTS_BYTES.length, `resumed at ${resumedAt}`);
    await assertNoLeftovers(cache);
    await assertBlobsVerified(cache);
  });

  test("a short chunked body (no length to trip over) is caught by the size check and retried", async () => {
    const cache = await tempDir();
    hub.failNext("tokenizer.json", "short");
    const res = await resolveModel(REPO, opts(cache));
    assert.equal(await readFile(modelFile(res, "tokenizer.json"), "utf8"), fileOf(MAIN_FILES, "tokenizer.json").content);
    const gets = hub.requests.slice(mark).filter((r) => r.method === "GET" && r.path.endsWith("/tokenizer.json"));
    assert.equal(gets.length, 2);
    assert.match(String(gets[1]!.headers.range), /^bytes=\d+-$/);
  });

  test("HTTP 500 and a stalled body are retried too", async () => {
    const cache = await tempDir();
    hub.failNext("model.safetensors", "error500", "stall");
    // The stall is caught by the no-data timeout; 2 s (not less) so that on a busy machine the
    // mock hub's prompt answers to the other files are never taken for stalls.
    const res = await resolveModel(REPO, { ...opts(cache), timeoutMs: 2000 });
    assert.deepEqual(await readFile(modelFile(res, "model.safetensors")), WEIGHTS_BYTES);
    assert.equal(weightGets().length, 3);
    await assertNoLeftovers(cache);
  });

  test("when every try breaks: NETWORK naming the file, no blob, no link, no ref; the next run succeeds", async () => {
    const cache = await tempDir();
    hub.failNext("model.safetensors", "reset", "reset", "reset");
    let caught: unknown;
    await assert.rejects(resolveModel(REPO, opts(cache)), (e) => ((caught = e), true));
    assert.ok(caught instanceof EsciError);
    assert.equal(caught.code, "NETWORK");
    assert.match(caught.message, /model\.safetensors of acme\/tiny-bert failed after 3 attempt/);
    assert.equal(weightGets().length, 3);

    const root = join(cache, "models--acme--tiny-bert");
    const tree = await listTree(root);
    assert.ok(!tree.includes(`blobs/${etagOf(WEIGHTS)}`), "unverified blob left behind");
    assert.ok(!tree.includes(`snapshots/${MAIN}/model.safetensors`), "link to a missing blob");
    assert.ok(!tree.includes("refs/main"), "refs/main must not point at an incomplete snapshot");
    await assertNoLeftovers(cache);
    // Offline, the incomplete snapshot is not even found.
    await assert.rejects(resolveModel(REPO, { cacheDir: cache, offline: true, env: {} }), { code: "OFFLINE" });

    const res = await resolveModel(REPO, opts(cache));
    assert.deepEqual(res.downloaded, ["model.safetensors"]); // the other files were kept
    assert.deepEqual(await readFile(modelFile(res, "model.safetensors")), WEIGHTS_BYTES);
  });

  test("bytes that do not hash to the LFS sha256 are rejected as CORRUPT_FILE and discarded", async () => {
    const cache = await tempDir();
    hub.failNext("model.safetensors", "corrupt");
    let caught: unknown;
    await assert.rejects(resolveModel(REPO, opts(cache)), (e) => ((caught = e), true));
    assert.ok(caught instanceof EsciError);
    assert.equal(caught.code, "CORRUPT_FILE");
    assert.match(caught.message, /model\.safetensors/);
    assert.equal(caught.details?.expected, etagOf(WEIGHTS));
    const tree = await listTree(join(cache, "models--acme--tiny-bert"));
    assert.ok(!tree.some((p) => p.includes(etagOf(WEIGHTS)) || p.endsWith("model.safetensors")), tree.join("\n"));
    await assertNoLeftovers(cache);
  });
});

describe("concurrent resolves", () => {
  test("in one process: all succeed, each blob is transferred once, the cache stays consistent", async () => {
    const cache = await tempDir();
    const results = await Promise.all([1, 2, 3, 4].map(() => resolveModel(REPO, opts(cache))));
    for (const r of results) assert.equal(r.dir, results[0]!.dir);
    assert.equal(weightGets().length, 1);
    for (const f of EXPECTED_FILES) {
      assert.deepEqual(await readFile(modelFile(results[0]!, f)), Buffer.from(fileOf(MAIN_FILES, f).content), f);
    }
    await assertNoLeftovers(cache);
    await assertBlobsVerified(cache);
  });

  test("in separate processes: both succeed and leave one consistent snapshot", async () => {
    const cache = await tempDir();
    const hubModule = fileURLToPath(new URL("../../src/hub/index.js", import.meta.url));
    const script =
      `const { resolveModel } = await import(${JSON.stringify(hubModule)});` +
      `const r = await resolveModel(${JSON.stringify(REPO)}, { cacheDir: process.argv[1], endpoint: process.argv[2], env: {} });` +
      `console.log(JSON.stringify(r));`;
    const run = promisify(execFile);
    const outs = await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, ["--input-type=module", "-e", script, cache, hub.endpoint])),
    );
    const dirs = outs.map((o) => (JSON.parse(o.stdout) as { dir: string }).dir);
    assert.deepEqual(new Set(dirs), new Set([join(cache, "models--acme--tiny-bert", "snapshots", MAIN)]));
    for (const f of EXPECTED_FILES) {
      assert.deepEqual(await readFile(join(dirs[0]!, f)), Buffer.from(fileOf(MAIN_FILES, f).content), f);
    }
    await assertNoLeftovers(cache);
    await assertBlobsVerified(cache);
  });
});
