/**
 * resolveModel against the loopback mock hub: a full snapshot download, the exact cache layout
 * Python's huggingface_hub reads, cache reuse, revisions (branch, tag, commit sha), allow patterns.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_ALLOW_PATTERNS, downloadProgressTo, filterByPatterns, modelFile, resolveModel, type DownloadProgress } from "../../src/hub/index.js";
import { etagOf, startMockHub, type MockHub } from "../helpers/mock-hub.js";
import { DEV, DEV_FILES, EXPECTED_FILES, FAST_RETRY, MAIN, MAIN_FILES, REPO, fileOf, listTree, tempDir, tinyRepo } from "./fixture.js";

let hub: MockHub;
before(async () => {
  hub = await startMockHub({ repos: [tinyRepo({ token: "hf_secret" })] });
});
after(() => hub.close());

function opts(cacheDir: string) {
  return { cacheDir, endpoint: hub.endpoint, token: "hf_secret", env: {}, retry: FAST_RETRY };
}

describe("resolveModel: download into the Hugging Face cache", () => {
  test("downloads the files a BERT checkpoint needs, nested and LFS ones included, and nothing else", async () => {
    const cache = await tempDir();
    const progress: DownloadProgress[] = [];
    const res = await resolveModel(REPO, { ...opts(cache), onProgress: (p) => progress.push(p) });

    const root = join(cache, "models--acme--tiny-bert");
    assert.equal(res.source, "hub");
    assert.equal(res.repoId, REPO);
    assert.equal(res.revision, "main");
    assert.equal(res.commit, MAIN);
    assert.equal(res.dir, join(root, "snapshots", MAIN));
    assert.deepEqual([...res.downloaded].sort(), [...EXPECTED_FILES].sort());
    for (const f of EXPECTED_FILES) {
      assert.deepEqual(await readFile(modelFile(res, f)), Buffer.from(fileOf(MAIN_FILES, f).content), f);
    }
    // pytorch_model.bin, onnx/ and README.md are listed by the hub but never fetched.
    const fetched = hub.bodyRequests().map((r) => r.path);
    assert.ok(!fetched.some((p) => /pytorch_model|onnx|README/.test(p)), fetched.join(", "));
    assert.equal(modelFile(res, "pytorch_model.bin", { required: false }), undefined);

    // The LFS file came from the other origin, without our token; the hub got the token.
    const cdnGets = hub.requests.filter((r) => r.server === "cdn");
    assert.equal(cdnGets.length, 1);
    assert.equal(cdnGets[0]!.headers.authorization, undefined);
    assert.ok(hub.requests.filter((r) => r.server === "hub").every((r) => r.headers.authorization === "Bearer hf_secret"));

    // Progress ends at the full size of the weights.
    const size = Buffer.from(fileOf(MAIN_FILES, "model.safetensors").content).length;
    const last = progress.filter((p) => p.file === "model.safetensors").at(-1);
    assert.deepEqual(last, { file: "model.safetensors", loaded: size, total: size });
  });

  test("writes the layout Python tools read: blobs/<etag>, relative snapshot symlinks, refs/main", async () => {
    const cache = await tempDir();
    await resolveModel(REPO, opts(cache));
    const root = join(cache, "models--acme--tiny-bert");

    const expectedBlobs = EXPECTED_FILES.map((f) => `blobs/${etagOf(fileOf(MAIN_FILES, f))}`);
    const expectedLinks = EXPECTED_FILES.map((f) => `snapshots/${MAIN}/${f}`);
    assert.deepEqual(await listTree(root), [...expectedBlobs, ...expectedLinks, "refs/main"].sort());
    assert.equal(await readFile(join(root, "refs", "main"), "utf8"), MAIN); // no trailing newline, as huggingface_hub

    for (const f of EXPECTED_FILES) {
      const link = join(root, "snapshots", MAIN, f);
      assert.ok((await lstat(link)).isSymbolicLink(), `${f} is a symlink`);
      const up = "../".repeat(f.split("/").length + 1);
      assert.equal(await readlink(link), `${up}blobs/${etagOf(fileOf(MAIN_FILES, f))}`);
    }
    // LFS blobs are named by sha256, plain files by git blob sha1.
    assert.match(etagOf(fileOf(MAIN_FILES, "model.safetensors")), /^[0-9a-f]{64}$/);
    assert.match(etagOf(fileOf(MAIN_FILES, "config.json")), /^[0-9a-f]{40}$/);
  });

  test("huggingface_hub itself finds the files (when Python has it installed)", async (t) => {
    const probe = spawnSync("python3", ["-c", "import huggingface_hub"], { encoding: "utf8" });
    if (probe.status !== 0) return t.skip("python3 with huggingface_hub is not installed");
    const cache = await tempDir();
    const res = await resolveModel(REPO, opts(cache));
    const script =
      "import sys; from huggingface_hub import try_to_load_from_cache as f; " +
      "print(f(sys.argv[1], sys.argv[2], cache_dir=sys.argv[3]))";
    const py = spawnSync("python3", ["-c", script, REPO, "1_Pooling/config.json", cache], {
      encoding: "utf8",
      env: { ...process.env, HF_HUB_OFFLINE: "1" },
    });
    assert.equal(py.stdout.trim(), join(res.dir, "1_Pooling", "config.json"));
  });

  test("a second resolve reuses the cache: one listing request, no file requests", async () => {
    const cache = await tempDir();
    const first = await resolveModel(REPO, opts(cache));
    const before = hub.requests.length;
    const second = await resolveModel(REPO, opts(cache));
    const made = hub.requests.slice(before);
    assert.equal(second.source, "cache");
    assert.equal(second.dir, first.dir);
    assert.deepEqual(second.downloaded, []);
    assert.deepEqual(
      made.map((r) => `${r.method} ${r.path}`),
      [`GET /api/models/${REPO}/revision/main`],
    );
  });

  test("a file whose blob is cached under another commit is linked, not downloaded again", async () => {
    const cache = await tempDir();
    await resolveModel(REPO, opts(cache));
    const before = hub.requests.length;
    const dev = await resolveModel(REPO, { ...opts(cache), revision: "dev" });
    const bodies = hub.requests.slice(before).filter((r) => r.method === "GET" && !r.path.startsWith("/api/"));
    assert.deepEqual(dev.downloaded, ["config.json"]); // the only file that differs between main and dev
    assert.deepEqual(bodies.map((r) => r.path), [`/${REPO}/resolve/${DEV}/config.json`]);
    assert.equal(dev.source, "hub");
  });
});

describe("resolveModel: revisions", () => {
  test("a branch name resolves through the hub and is recorded in refs/<branch>", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, { ...opts(cache), revision: "dev" });
    assert.equal(res.commit, DEV);
    assert.equal(res.dir, join(cache, "models--acme--tiny-bert", "snapshots", DEV));
    assert.equal(await readFile(modelFile(res, "config.json"), "utf8"), fileOf(DEV_FILES, "config.json").content);
    assert.equal(await readFile(join(cache, "models--acme--tiny-bert", "refs", "dev"), "utf8"), DEV);
  });

  test("a full commit sha names the snapshot directly and writes no ref", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, { ...opts(cache), revision: MAIN });
    assert.equal(res.commit, MAIN);
    assert.equal(res.revision, MAIN);
    assert.equal(await readFile(modelFile(res, "config.json"), "utf8"), fileOf(MAIN_FILES, "config.json").content);
    assert.deepEqual(await listTree(join(cache, "models--acme--tiny-bert", "refs")), []);
    // Files were fetched by commit, so a branch moving mid-download cannot mix two commits.
    assert.ok(hub.requests.some((r) => r.path === `/${REPO}/resolve/${MAIN}/config.json`));
  });

  test("files are always fetched at the listed commit, not at the moving branch name", async () => {
    const cache = await tempDir();
    const before = hub.requests.length;
    await resolveModel(REPO, { ...opts(cache), revision: "v1.0" });
    const resolves = hub.requests.slice(before).filter((r) => r.path.includes("/resolve/"));
    assert.ok(resolves.length > 0);
    assert.ok(resolves.every((r) => r.path.startsWith(`/${REPO}/resolve/${MAIN}/`)));
    assert.equal(await readFile(join(cache, "models--acme--tiny-bert", "refs", "v1.0"), "utf8"), MAIN);
  });
});

describe("resolveModel: what to fetch", () => {
  test("allowPatterns use fnmatch semantics, as huggingface_hub's allow_patterns", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, { ...opts(cache), allowPatterns: ["onnx/", "*.md"] });
    assert.deepEqual(res.downloaded, ["onnx/model.onnx", "README.md"]);
    assert.deepEqual(await readFile(modelFile(res, "onnx/model.onnx")), Buffer.from(fileOf(MAIN_FILES, "onnx/model.onnx").content));
  });

  test("the default patterns keep weights, configs and tokenizers, including sentence-transformers modules", () => {
    const listing = [
      "config.json", "model.safetensors", "2_Dense/model.safetensors", "2_Dense/config.json", "1_Pooling/config.json",
      "model-00001-of-00002.safetensors", "model.safetensors.index.json", "merges.txt", "vocab.json",
      "pytorch_model.bin", "onnx/model.onnx", "openvino/openvino_model.xml", "tf_model.h5", "README.md",
    ];
    assert.deepEqual(filterByPatterns(listing, DEFAULT_ALLOW_PATTERNS), [
      "config.json", "model.safetensors", "2_Dense/model.safetensors", "2_Dense/config.json", "1_Pooling/config.json",
      "model-00001-of-00002.safetensors", "model.safetensors.index.json", "merges.txt", "vocab.json",
    ]);
  });

  test("an LFS redirect to a path on the hub itself (not another host) works too", async () => {
    const local = await startMockHub({ repos: [tinyRepo()], lfsHost: "same" });
    try {
      const cache = await tempDir();
      const res = await resolveModel(REPO, { cacheDir: cache, endpoint: local.endpoint, env: {}, retry: FAST_RETRY });
      const weights = fileOf(MAIN_FILES, "model.safetensors");
      assert.deepEqual(await readFile(modelFile(res, "model.safetensors")), Buffer.from(weights.content));
      assert.ok(local.requests.some((r) => r.path === `/lfs-store/${etagOf(weights)}`));
    } finally {
      await local.close();
    }
  });

  test("downloadProgressTo sums per-file bytes into one bar without printing", async () => {
    const cache = await tempDir();
    const updates: Array<[number, number | undefined]> = [];
    await resolveModel(REPO, { ...opts(cache), concurrency: 1, onProgress: downloadProgressTo({ update: (d, t) => updates.push([d, t]) }) });
    const totalBytes = EXPECTED_FILES.reduce((n, f) => n + Buffer.from(fileOf(MAIN_FILES, f).content).length, 0);
    assert.deepEqual(updates.at(-1), [totalBytes, totalBytes]);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i]![0] >= updates[i - 1]![0], "monotonic without retries");
  });
});
