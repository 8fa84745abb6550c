/**
 * `esci quantize` as a user runs it (the compiled CLI in a child process): what it reports must
 * be what float32 and int8 CrossEncoders give on the same pairs, its exit status must say whether
 * int8 stays within the thresholds, and the int8 graph it built must be the cached one that
 * `--quantize int8` loads afterwards.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { writeDataset } from "../esci/helpers.js";
import { fixtureModel, fixtureReference, REPO_ROOT, tempDir } from "../helpers/paths.js";

const CLI = join(REPO_ROOT, "dist/src/cli/main.js");
let work: string;
let cache: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ESCI_CACHE: cache } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every query × product combination of a fixture's reference cases, as a JSONL file. */
function pairsFile(model: string): { path: string; pairs: Array<readonly [string, string]> } {
  const cases = fixtureReference<{ cases: Array<{ query: string; product: string }> }>(model).cases;
  const pairs = cases.flatMap((q) => cases.map((p) => [q.query, p.product] as const));
  const path = join(work, `${model}.jsonl`);
  writeFileSync(path, pairs.map(([query, product]) => JSON.stringify({ query, product })).join("\n") + "\n");
  return { path, pairs };
}

before(() => {
  work = tempDir("esci-quantize-");
  cache = join(work, "esci-cache");
});

describe("esci quantize", { timeout: 600_000 }, () => {
  it("reports what the float32 and int8 models predict on the pairs, and leaves the int8 graph cached", async () => {
    const model = fixtureModel("tiny-bert-1logit");
    const { path, pairs } = pairsFile("tiny-bert-1logit");
    const r = await run(["quantize", "--model", model, "--input", path, "--limit", "300", "--json", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.pairs, 300);
    assert.equal(report.withinThresholds, true);
    assert.deepEqual(report.thresholds, { minAgreement: 0.99, maxProbDiff: 0.02 });

    process.env.ESCI_CACHE = cache;
    let built = false;
    const fp32 = await CrossEncoder.load(model);
    const int8 = await CrossEncoder.load(model, { quantize: "int8", onBuildProgress: () => (built = true) });
    try {
      assert.equal(built, false, "the int8 graph esci quantize built is the one --quantize int8 loads");
      const first = pairs.slice(0, 300);
      const [a, b] = [await fp32.predict(first), await int8.predict(first)];
      const diffs = a.map((p, i) => Math.abs(p.probs.LABEL_0 - b[i].probs.LABEL_0));
      const kept = a.filter((p, i) => p.probs.LABEL_0 > 0.5 === b[i].probs.LABEL_0 > 0.5).length;
      assert.equal(report.agreement, kept / 300);
      assert.equal(report.maxProbDiff, Math.max(...diffs));
      assert.equal(report.mostMoved.index, diffs.indexOf(Math.max(...diffs)));
      assert.deepEqual([report.mostMoved.query, report.mostMoved.product], [...first[report.mostMoved.index]]);
      assert.ok(report.maxProbDiff > 0, "int8 moved no probability at all: was the graph quantized?");
      assert.ok(report.referenceSeconds > 0 && report.candidateSeconds > 0);
    } finally {
      await fp32.dispose();
      await int8.dispose();
    }
  });

  it("exits 1 and names what is beyond the thresholds; lists the pairs whose decision changed", async () => {
    const { path } = pairsFile("tiny-bert-3label");
    // tiny-bert-3label keeps 97.6% of its arg-maxes under int8 (test/models/int8.test.ts)
    const r = await run(["quantize", "--model", fixtureModel("tiny-bert-3label"), "--input", path, "--quiet"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /decisions kept\s+9\d\.\d\d%\s+\(at least 99\.00%\)\s+BEYOND THRESHOLD/);
    assert.match(r.stdout, /decisions that changed \(\d+/);
    assert.match(r.stdout, /float32 LABEL_\d 0\.\d{3} → int8 LABEL_\d 0\.\d{3}/);
    // looser thresholds pass the same model
    const loose = await run(["quantize", "--model", fixtureModel("tiny-bert-3label"), "--input", path, "--min-agreement", "0.9", "--max-prob-diff", "0.2", "--quiet"]);
    assert.equal(loose.code, 0, loose.stdout);
    assert.doesNotMatch(loose.stdout, /BEYOND THRESHOLD/);
  });

  it("reads an ESCI dataset directory like the other commands", async () => {
    const titles = ["Hydro Flask 32 oz Wide Mouth", "Stainless Steel Water Bottle 2-Pack", "Bottle Brush Cleaner", "Yoga Mat", "Kids Cup"];
    const dir = writeDataset(
      join(work, "esci"),
      titles.map((_, i) => ({ query: "insulated water bottle", query_id: 1, product_id: `P${i}`, esci_label: "E", product_locale: "us" })),
      titles.map((product_title, i) => ({ product_id: `P${i}`, product_title, product_locale: "us" })),
    );
    const r = await run(["quantize", "--model", fixtureModel("tiny-roberta-esci"), "--input", dir, "--limit", "4", "--json", "--quiet"]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.pairs, 4);
    assert.equal(report.mostMoved.query, "insulated water bottle");
    assert.ok(titles.slice(0, 4).includes(report.mostMoved.product));
  });

  it("refuses --quantize (it compares int8 with float32 itself) and bad thresholds", async () => {
    const { path } = pairsFile("tiny-bert-1logit");
    const q = await run(["quantize", "--model", fixtureModel("tiny-bert-1logit"), "--input", path, "--quantize", "int8"]);
    assert.equal(q.code, 2);
    assert.match(q.stderr, /drop --quantize/);
    const t = await run(["quantize", "--model", fixtureModel("tiny-bert-1logit"), "--input", path, "--min-agreement", "99"]);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--min-agreement must be ≤ 1/);
  });
});
