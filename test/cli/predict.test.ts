/**
 * `esci predict` as a user runs it: the compiled CLI in a child process, on JSONL and CSV,
 * by local directory and by hub id (downloaded from a loopback mock hub into a temp HF cache),
 * with the output contract of issue 2: input fields + logits + probs + label, input order.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { startMockHub, type MockHub } from "../helpers/mock-hub.js";
import { fixtureModel, REPO_ROOT, tempDir } from "../helpers/paths.js";

const CLI = join(REPO_ROOT, "dist/src/cli/main.js");
let work: string;
let env: NodeJS.ProcessEnv;

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

const PAIRS = [
  { query: "wireless headphones", product: "Sony WH-1000XM4 Wireless Headphones", sku: "a1" },
  { query: "16 oz water bottle", product: "", sku: "a2" },
  { query: "", product: "Hydro Flask 16 oz", sku: "a3" },
  { query: "Café Crème 咖啡 ☕", product: "Nespresso\tcapsules   x10", sku: "a4" },
];

before(() => {
  work = tempDir("esci-cli-");
  env = { ...process.env, ESCI_CACHE: join(work, "esci-cache"), HF_HOME: join(work, "hf"), HF_HUB_OFFLINE: "" };
  writeFileSync(join(work, "pairs.jsonl"), PAIRS.map((p) => JSON.stringify(p)).join("\n") + "\n");
  writeFileSync(join(work, "pairs.csv"), "query,product,sku\n" + PAIRS.map((p) => `"${p.query}","${p.product}",${p.sku}`).join("\n") + "\n");
  writeFileSync(join(work, "texts.jsonl"), '{"text":"stainless steel bottle","id":7}\n{"text":"","id":8}\n');
});

describe("esci predict", { timeout: 600_000 }, () => {
  it("JSONL in → input fields + logits + probs + label out, input order, equal to the library", async () => {
    const out = join(work, "out.jsonl");
    const r = await run(["predict", "--model", fixtureModel("tiny-roberta-esci"), "--input", join(work, "pairs.jsonl"), "--output", out, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = readJsonl(out);
    assert.deepEqual(rows.map((x) => x.sku), ["a1", "a2", "a3", "a4"]);
    const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"));
    const expected = await ce.predict(PAIRS.map((p) => [p.query, p.product] as const));
    await ce.dispose();
    rows.forEach((row, i) => {
      assert.equal(row.query, PAIRS[i].query);
      assert.equal(row.product, PAIRS[i].product);
      assert.deepEqual(Object.keys(row.probs as object), ["exact", "substitute", "complement", "irrelevant"]);
      (row.logits as number[]).forEach((l, j) => assert.ok(Math.abs(l - expected[i].logits[j]) < 1e-5));
      assert.equal(row.label, expected[i].label);
    });
  });

  it("CSV in, one-logit model: probs is the sigmoid of the logit; --labels renames", async () => {
    const out = join(work, "out-1logit.jsonl");
    const r = await run(["predict", "--model", fixtureModel("tiny-bert-1logit"), "--input", join(work, "pairs.csv"), "--output", out, "--labels", "relevant", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    for (const row of readJsonl(out)) {
      const [logit] = row.logits as number[];
      const p = (row.probs as Record<string, number>).relevant;
      assert.ok(Math.abs(p - 1 / (1 + Math.exp(-logit))) < 1e-12);
      assert.equal(row.label, "relevant");
    }
  });

  it("--task embed reads text and writes embedding", async () => {
    const out = join(work, "emb.jsonl");
    const r = await run(["predict", "--task", "embed", "--model", fixtureModel("tiny-st-roberta"), "--input", join(work, "texts.jsonl"), "--output", out, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = readJsonl(out);
    assert.deepEqual(rows.map((x) => x.id), [7, 8]);
    const v = rows[0].embedding as number[];
    assert.equal(v.length, 32);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, "the fixture's Normalize module makes unit vectors");
  });

  it("bad input: a missing column names file, row and column, and no output file appears", async () => {
    writeFileSync(join(work, "bad.jsonl"), '{"query":"q","product":"p"}\n{"query":"q"}\n');
    const out = join(work, "bad-out.jsonl");
    const r = await run(["predict", "--model", fixtureModel("tiny-roberta-esci"), "--input", join(work, "bad.jsonl"), "--output", out, "--quiet"]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /bad\.jsonl, row 2, column "product": missing value/);
    assert.throws(() => statSync(out));
  });

  it("an unknown model directory and a wrong --labels count are worded errors with their exit codes", async () => {
    const a = await run(["predict", "--model", "./no/such/model", "--input", join(work, "pairs.jsonl"), "--output", join(work, "x.jsonl")]);
    assert.equal(a.code, 4);
    assert.match(a.stderr, /no\/such\/model/);
    const b = await run(["predict", "--model", fixtureModel("tiny-roberta-esci"), "--labels", "a,b", "--input", join(work, "pairs.jsonl"), "--output", join(work, "x.jsonl")]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--labels names 2 labels but .* has 4 outputs/);
  });

  describe("by hub id", () => {
    let hub: MockHub;
    before(async () => {
      const dir = fixtureModel("tiny-roberta-esci");
      const files = readdirSync(dir).map((f) => ({ path: f, content: readFileSync(join(dir, f)), lfs: f.endsWith(".safetensors") }));
      hub = await startMockHub({ repos: [{ id: "esci-test/tiny-ce", commits: { ["c".repeat(40)]: files }, refs: { main: "c".repeat(40) } }] });
    });
    after(() => hub.close());

    it("downloads into the HF cache on first use, then runs offline from that cache", async () => {
      const out = join(work, "hub-out.jsonl");
      const first = await run(["predict", "--model", "esci-test/tiny-ce", "--input", join(work, "pairs.jsonl"), "--output", out, "--quiet"], { HF_ENDPOINT: hub.endpoint });
      assert.equal(first.code, 0, first.stderr);
      const snapshot = join(work, "hf", "hub", "models--esci-test--tiny-ce", "snapshots", "c".repeat(40));
      assert.ok(statSync(join(snapshot, "model.safetensors")).size > 0);
      const offline = join(work, "hub-offline.jsonl");
      const second = await run(["predict", "--model", "esci-test/tiny-ce", "--input", join(work, "pairs.jsonl"), "--output", offline, "--quiet"], { HF_HUB_OFFLINE: "1" });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(readFileSync(offline, "utf8"), readFileSync(out, "utf8"));
    });

    it("offline with nothing cached: an error naming the repo and how to fix it", async () => {
      const r = await run(["predict", "--model", "esci-test/other", "--input", join(work, "pairs.jsonl"), "--output", join(work, "y.jsonl")], { HF_HUB_OFFLINE: "1" });
      assert.equal(r.code, 6);
      assert.match(r.stderr, /esci-test\/other/);
      assert.match(r.stderr, /HF_HUB_OFFLINE/);
    });
  });
});
