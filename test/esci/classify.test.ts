/**
 * classifyFile with a fake scorer: row format and order, skips, worded failures, resume after an
 * in-process crash, settings conflicts — and the kill -9 test: a child process scoring a file is
 * killed at random moments and restarted with resume until it finishes, and its output must equal
 * an uninterrupted run byte for byte.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { classifyFile, ResumableOutput, type ClassifyFileResult } from "../../src/esci/index.js";
import type { Pair, PairPrediction } from "../../src/models/types.js";
import { FakeScorer, fakePrediction, SAMPLE_SKIP, REPO_ROOT, SAMPLE_DIR, tmp } from "./helpers.js";

/** Input rows: mostly valid, some invalid (missing/wrong-typed product, bad label), some that fail scoring. */
function makeInput(n: number): { lines: string[]; valid: { q: string; p: string; fields: Record<string, unknown> }[] } {
  const words = ["red", "shoe", "blue", "hat", "bag", "green", "cable", "usb", "phone", "case"];
  const lines: string[] = [];
  const valid: { q: string; p: string; fields: Record<string, unknown> }[] = [];
  for (let i = 0; i < n; i++) {
    const q = `${words[i % 10]} ${words[(i * 3) % 10]}`;
    let p = `${words[(i * 7) % 10]} ${words[i % 10]} ${i % 5 === 0 ? "alternative" : ""} ${i % 11 === 0 ? "accessory" : ""} #${i}`;
    if (i % 97 === 13) p += " EXPLODE";
    const fields: Record<string, unknown> = { query_id: Math.floor(i / 8), product_id: `P${i}`, query: q, product: p };
    if (i % 53 === 7) delete fields.product;
    if (i % 61 === 9) fields.product = 42;
    if (i % 71 === 3) fields.label = "nonsense";
    lines.push(JSON.stringify(fields));
    if (fields.product === p && !("label" in fields) && !p.includes("EXPLODE")) valid.push({ q, p, fields });
  }
  return { lines, valid };
}

function expectedOutput(valid: { q: string; p: string; fields: Record<string, unknown> }[]): string {
  // The fake scorer's labels are the ESCI names, so every row also carries its letter.
  const letter: Record<string, string> = { exact: "E", substitute: "S", complement: "C", irrelevant: "I" };
  return valid
    .map((v) => {
      const p = fakePrediction(v.q, v.p);
      return JSON.stringify({ ...v.fields, ...p, esci: letter[p.label] }) + "\n";
    })
    .join("");
}

describe("classifyFile", () => {
  it("writes input fields + logits/probs/label in input order, in batches of --batch-size", async () => {
    const dir = tmp();
    const input = join(dir, "in.jsonl");
    const { lines, valid } = makeInput(100);
    const clean = lines.filter((_, i) => {
      const o = JSON.parse(lines[i]);
      return typeof o.product === "string" && !("label" in o) && !o.product.includes("EXPLODE");
    });
    writeFileSync(input, clean.join("\n") + "\n");
    const scorer = new FakeScorer();
    const out = join(dir, "out.jsonl");
    const r = await classifyFile(scorer, { input, output: out, chunkSize: 8 });
    assert.equal(r.written, valid.length);
    assert.equal(r.skipped.count, 0);
    assert.equal(readFileSync(out, "utf8"), expectedOutput(valid));
    assert.ok(scorer.batchSizes.slice(0, -1).every((b) => b === 8));
    assert.deepEqual(readdirSync(dir).sort(), ["in.jsonl", "out.jsonl"], "no partial or marker left behind");
  });

  it("--on-error skip: counts and lists bad rows and scoring failures; fail: names file, row, column", async () => {
    const dir = tmp();
    const input = join(dir, "in.jsonl");
    const { lines, valid } = makeInput(300);
    writeFileSync(input, lines.join("\n") + "\n");
    const out = join(dir, "out.jsonl");
    const r = await classifyFile(new FakeScorer(), { input, output: out, chunkSize: 16, onError: "skip" });
    assert.equal(readFileSync(out, "utf8"), expectedOutput(valid));
    assert.equal(r.written, valid.length);
    assert.equal(r.skipped.count, 300 - valid.length);
    assert.deepEqual(Object.keys(r.skipped.by_kind).sort(), ["missing_value", "scoring_failed", "unknown_label", "wrong_type"]);
    const rows = r.skipped.items.map((i) => i.row!);
    assert.deepEqual(rows, [...rows].sort((a, b) => a - b), "skips listed in input order");

    const out2 = join(dir, "out2.jsonl");
    await assert.rejects(classifyFile(new FakeScorer(), { input, output: out2, chunkSize: 16 }), (e: EsciError) => {
      assert.equal(e.code, "INVALID_INPUT");
      assert.match(e.message, /in\.jsonl, row 4, column "label": unknown label "nonsense"/);
      return true;
    });
    assert.equal(existsSync(out2), false, "a failed run leaves no output file");
  });

  it("resumes after a crash to the same bytes, with the same batches", async () => {
    const dir = tmp();
    const input = join(dir, "in.jsonl");
    const { lines, valid } = makeInput(400);
    writeFileSync(input, lines.join("\n") + "\n");
    const ref = join(dir, "ref.jsonl");
    const refResult = await classifyFile(new FakeScorer(), { input, output: ref, chunkSize: 16, onError: "skip" });

    class Crashing extends FakeScorer {
      override async predict(pairs: readonly Pair[]): Promise<PairPrediction[]> {
        if (this.calls >= 30) throw new Error("power cut");
        return super.predict(pairs);
      }
    }
    const out = join(dir, "out.jsonl");
    await assert.rejects(classifyFile(new Crashing(), { input, output: out, chunkSize: 16, onError: "skip", commitIntervalMs: 0 }), /power cut/);
    assert.ok(existsSync(ResumableOutput.partialPath(out)) && existsSync(ResumableOutput.markerPath(out)));
    // garbage after the last commit, as a kill in the middle of a write leaves it
    writeFileSync(ResumableOutput.partialPath(out), '{"half a li', { flag: "a" });

    const after = new FakeScorer();
    const r = await classifyFile(after, { input, output: out, chunkSize: 16, onError: "skip", resume: true });
    assert.ok(r.resumedFrom > 0);
    assert.equal(readFileSync(out, "utf8"), readFileSync(ref, "utf8"));
    assert.equal(readFileSync(out, "utf8"), expectedOutput(valid));
    assert.deepEqual(r.skipped, refResult.skipped);
    assert.equal(r.written, refResult.written);
    // Batches of 1 are the pair-by-pair retry of a batch holding an EXPLODE row.
    const full = after.batchSizes.filter((b) => b !== 1);
    assert.ok(full.slice(0, -1).every((b) => b === 16), `resumed batches line up with the original ones: ${full.join(",")}`);
  });

  it("refuses to resume with other settings, and completes a run whose final rename already happened", async () => {
    const dir = tmp();
    const input = join(dir, "in.jsonl");
    writeFileSync(input, makeInput(200).lines.join("\n"));
    const out = join(dir, "out.jsonl");
    const marker = ResumableOutput.markerPath(out);
    class Crashing extends FakeScorer {
      override async predict(pairs: readonly Pair[]): Promise<PairPrediction[]> {
        if (this.calls >= 2) throw new Error("crash");
        return super.predict(pairs);
      }
    }
    const opts = { input, output: out, onError: "skip" as const, chunkSize: 8, commitIntervalMs: 0 };
    await assert.rejects(classifyFile(new Crashing(), opts), /crash/);
    await assert.rejects(classifyFile(new FakeScorer(), { ...opts, chunkSize: 9, resume: true }), (e: EsciError) => e.code === "CONFLICT" && /cannot resume, the interrupted run differs: chunk size was 8, now 9\./.test(e.message));
    const savedMarker = readFileSync(marker, "utf8");
    await classifyFile(new FakeScorer(), { ...opts, resume: true });
    const finished = readFileSync(out, "utf8");
    // a kill between renaming OUT.partial → OUT and deleting the marker
    writeFileSync(marker, savedMarker);
    const scorer = new FakeScorer();
    const r = await classifyFile(scorer, { ...opts, resume: true });
    assert.equal(r.alreadyComplete, true);
    assert.equal(scorer.calls, 0);
    assert.equal(readFileSync(out, "utf8"), finished);
    assert.equal(existsSync(marker), false);
  });

  it("scores an ESCI dataset directory", { skip: SAMPLE_SKIP }, async () => {
    const out = join(tmp(), "sample.jsonl");
    const r = await classifyFile(new FakeScorer(), { input: SAMPLE_DIR, output: out, template: "{title} {brand}" });
    assert.equal(r.written, 16);
    const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows[0].query_id, 535);
    assert.equal(rows[0].esci_label, "S");
    assert.ok(rows.every((x) => typeof x.label === "string" && Object.keys(x.probs).length === 4 && x.logits.length === 4));
  });
});

function runWorker(
  input: string,
  output: string,
  resume: boolean,
  interval: number,
  killAfterRows?: number,
): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> } {
  const worker = join(REPO_ROOT, "dist", "test", "esci", "classify-worker.js");
  const env = { ...process.env, ...(killAfterRows === undefined ? {} : { ESCI_TEST_KILL_AFTER_ROWS: String(killAfterRows) }) };
  const child = spawn(process.execPath, [worker, input, output, resume ? "resume" : "fresh", String(interval)], { stdio: ["ignore", "pipe", "pipe"], env });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((res) =>
    child.on("exit", (code, signal) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      res({ code, signal, stdout });
    }),
  );
  return { child, done };
}

describe("kill -9 and resume", () => {
  // Interval 0 commits after every chunk; 60 s commits only when the run finishes, so every kill
  // leaves written rows that were never committed. The kill points (ESCI_TEST_KILL_AFTER_ROWS, a
  // test-only hook of classify-worker.ts) are row counts, including ones inside a chunk of 16.
  const KILL_AT = [1, 200, 777, 1500, 2333, 2990];
  for (const interval of [0, 60_000]) {
    it(`ends with the same bytes as an uninterrupted run (commit interval ${interval} ms, killed at rows ${KILL_AT.join(", ")})`, async () => {
      const dir = tmp();
      const input = join(dir, "in.jsonl");
      const { lines } = makeInput(3000);
      writeFileSync(input, lines.join("\n") + "\n");
      const ref = join(dir, "ref.jsonl");
      const refDone = await runWorker(input, ref, false, interval).done;
      assert.equal(refDone.code, 0);
      const refResult = JSON.parse(refDone.stdout) as ClassifyFileResult;

      const out = join(dir, "out.jsonl");
      for (const [attempt, at] of KILL_AT.entries()) {
        const r = await runWorker(input, out, attempt > 0, interval, at).done;
        assert.equal(r.signal, "SIGKILL", `attempt ${attempt} (kill at row ${at}) ended with code ${r.code}, not the kill`);
      }
      const last = await runWorker(input, out, true, interval).done;
      assert.equal(last.code, 0);
      const final = JSON.parse(last.stdout) as ClassifyFileResult;
      assert.ok(readFileSync(out).equals(readFileSync(ref)), "output identical to the uninterrupted run");
      assert.deepEqual(final.skipped, refResult.skipped);
      assert.equal(final.written, refResult.written);
      assert.deepEqual(readdirSync(dir).sort(), ["in.jsonl", "out.jsonl", "ref.jsonl"]);
    });
  }
});

describe("esci classify (CLI, tiny fixture model)", () => {
  const model = join(REPO_ROOT, "test", "fixtures", "models", "tiny-roberta-esci");
  const cli = join(REPO_ROOT, "dist", "src", "cli", "main.js");
  const env = { ...process.env, ESCI_CACHE: tmp("esci-cache-") };
  const run = (args: string[]) => spawnSync(process.execPath, [cli, "classify", "--model", model, "--quiet", ...args], { encoding: "utf8", env });

  it("one pair prints the label and every probability; a file gets one row per pair", { skip: existsSync(model) ? false : "no fixture model" }, () => {
    const one = run(["--query", "red shoe", "--product", "red running shoe", "--json"]);
    assert.equal(one.status, 0, one.stderr);
    const pred = JSON.parse(one.stdout);
    assert.deepEqual(Object.keys(pred.probs), ["exact", "substitute", "complement", "irrelevant"]);
    const text = run(["--query", "red shoe", "--product", "red running shoe"]);
    assert.match(text.stdout, /^label: \w+ \(ESCI [ESCI]\)\n  exact +0\.\d{4}\n/);

    const dir = tmp();
    const input = join(dir, "in.csv");
    writeFileSync(input, 'query,product,label\nred shoe,"red shoe, size 9",E\nusb cable,garden hose,I\n');
    const out = join(dir, "out.jsonl");
    const r = run(["--input", input, "--output", out, "--batch-size", "1", "--max-length", "32"]);
    assert.equal(r.status, 0, r.stderr);
    const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => [x.query, x.product, x.gold_label]), [["red shoe", "red shoe, size 9", "E"], ["usb cable", "garden hose", "I"]]);
    assert.ok(rows.every((x) => x.logits.length === 4 && typeof x.label === "string"));
    for (const x of rows) assert.ok(Math.abs(Object.values(x.probs as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-9);

    const bad = run(["--input", input, "--output", out, "--on-error", "maybe"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--on-error must be "fail" or "skip"/);
  });
});
