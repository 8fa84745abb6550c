/**
 * Issue 18 end to end on the tiny fixture model (a copy, so the fixture stays clean): `esci
 * calibrate` writes esci_calibration.json (the fields) and a before/after report with two
 * reliability diagrams; `esci predict` then applies it (calibrated: true, probs =
 * softmax((logits + b)/T), raw logits unchanged) unless --no-calibration; `esci evaluate` reports
 * the raw, calibrated and balanced-prior decision rules; the server applies it per request unless
 * the request says "calibration": false.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { softmax } from "../../src/models/cross-encoder.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";
import { demoStore, json, testServer } from "../server/helpers.js";

const CLI = join(REPO_ROOT, "dist/src/cli/main.js");
const work = mkdtempSync(join(tmpdir(), "esci-calibrate-cli-"));
const model = join(work, "model");
const data = join(work, "pairs.jsonl");
const env = { ...process.env, ESCI_CACHE: join(work, "esci-cache"), HF_HOME: join(work, "hf") };
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const readJsonl = (p: string) => readFileSync(p, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const TYPES = ["wireless mouse", "water bottle", "phone case", "desk lamp", "yoga mat", "backpack"];
const TITLES = ["Logitech M185 wireless mouse", "Hydro Flask 16 oz bottle", "Spigen phone case, black", "LED desk lamp", "Yoga mat 6 mm", "Osprey daypack", "USB-C cable", "AA batteries"];

before(() => {
  cpSync(fixtureModel("tiny-roberta-esci"), model, { recursive: true });
  const rows = [];
  for (let i = 0; i < 48; i++) {
    rows.push({ query_id: `q${i % TYPES.length}`, product_id: `p${i}`, query: TYPES[i % TYPES.length], product: TITLES[(i * 5) % TITLES.length], label: "ESCI"[(i * 7) % 11 < 6 ? 0 : (i * 3) % 4] });
  }
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
});

describe("esci calibrate → predict / evaluate / serve", { timeout: 600_000 }, () => {
  it("calibrate (nll) writes the issue's fields and a before/after report", async () => {
    const r = await run(["calibrate", "--model", model, "--data", data, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^T = /);
    for (const row of ["ECE", "NLL", "accuracy", "micro-F1", "macro-F1", "recall exact", "recall complement"]) assert.match(r.stdout, new RegExp(`\\n${row} +\\d\\.\\d{4} +\\d\\.\\d{4}\\n`));
    const c = JSON.parse(readFileSync(join(model, "esci_calibration.json"), "utf8"));
    assert.deepEqual(Object.keys(c), ["temperature", "bias", "objective", "fitted_on", "before", "after"]);
    assert.equal(c.objective, "nll");
    assert.deepEqual(c.bias, [0, 0, 0, 0]);
    assert.equal(c.fitted_on.rows, 48);
    assert.equal(c.fitted_on.file, data);
    assert.ok(c.after.nll <= c.before.nll);
    const html = readFileSync(join(model, "calibration_report.html"), "utf8");
    assert.equal(html.match(/<svg/g)?.length, 2, "two reliability diagrams, before and after");
    assert.match(html, /Before: softmax\(logits\).*After: softmax\(\(logits \+ bias\) \/ T\)/s);
  });

  it("predict applies it (calibrated: true, logits raw); --no-calibration does not", async () => {
    const { temperature: T, bias } = JSON.parse(readFileSync(join(model, "esci_calibration.json"), "utf8"));
    const out = join(work, "pred.jsonl");
    const raw = join(work, "raw.jsonl");
    assert.equal((await run(["predict", "--model", model, "--input", data, "--output", out, "--quiet"])).code, 0);
    assert.equal((await run(["predict", "--model", model, "--input", data, "--output", raw, "--quiet", "--no-calibration"])).code, 0);
    const [a, b] = [readJsonl(out), readJsonl(raw)];
    a.forEach((row, i) => {
      assert.equal(row.calibrated, true);
      assert.equal(b[i].calibrated, undefined);
      assert.deepEqual(row.logits, b[i].logits);
      const want = softmax(row.logits.map((z: number, k: number) => (z + bias[k]) / T));
      const got = Object.values(row.probs) as number[];
      want.forEach((p, k) => assert.ok(Math.abs(got[k] - p) < 1e-9, `row ${i} label ${k}`));
      (Object.values(b[i].probs) as number[]).forEach((p, k) => assert.ok(Math.abs(p - softmax(row.logits)[k]) < 1e-9));
    });
  });

  it("evaluate reports raw, calibrated and balanced-prior decision rules", async () => {
    const report = join(work, "report");
    const r = await run(["evaluate", "--model", model, "--data", data, "--report", report, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(readFileSync(join(report, "metrics.json"), "utf8"));
    assert.deepEqual(Object.keys(m.decision_rules.rules), ["raw", "calibrated", "balanced_prior"]);
    assert.ok(Math.abs(m.decision_rules.rules.calibrated.micro_f1 - m.task2.micro_f1) < 1e-12);
    assert.ok(Math.abs(m.decision_rules.rules.calibrated.ndcg - m.task1.ndcg) < 1e-12);
    assert.equal(typeof m.decision_rules.calibration.temperature, "number");
    assert.match(r.stdout, /calibrated, balanced prior/);
  });

  it("calibrate (macro-f1) stores biases; a hub id is refused with a worded error", async () => {
    const r = await run(["calibrate", "--model", model, "--data", data, "--objective", "macro-f1", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(readFileSync(join(model, "esci_calibration.json"), "utf8"));
    assert.equal(c.objective, "macro-f1");
    assert.ok(c.after.macro_f1 >= c.before.macro_f1);
    const bad = await run(["calibrate", "--model", "org/not-a-dir", "--data", data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /give a local checkpoint directory/);
    assert.ok(!existsSync(join(work, "org")));
  });

  it("the server applies it unless the request says calibration: false", async () => {
    const s = await testServer({ model });
    try {
      const body = { query: "wireless mouse", products: ["Logitech M185 wireless mouse", "USB-C cable"] };
      const on = (await s.app.inject(json("/v1/classify", body))).json();
      const off = (await s.app.inject(json("/v1/classify", { ...body, calibration: false }))).json();
      assert.equal(on.calibrated, true);
      assert.equal(off.calibrated, false);
      assert.deepEqual(on.results[0].logits, off.results[0].logits);
      assert.notDeepEqual(on.results[0].probs, off.results[0].probs);
      const { temperature: T, bias } = JSON.parse(readFileSync(join(model, "esci_calibration.json"), "utf8"));
      const want = softmax(on.results[0].logits.map((z: number, k: number) => (z + bias[k]) / T));
      (Object.values(on.results[0].probs) as number[]).forEach((p, k) => assert.ok(Math.abs(p - want[k]) < 1e-9));
    } finally {
      await s.close();
    }
  });

  it("the server's search hits say calibrated: true (and carry it through the answer schema) unless calibration: false", async () => {
    const store = await demoStore();
    const s = await testServer({ model, store, embed: true });
    try {
      const on = await s.app.inject(json("/v1/search", { query: "car stereo", k: 3 }));
      assert.equal(on.statusCode, 200, on.body);
      const hits = on.json().hits as { calibrated?: boolean }[];
      assert.equal(hits.length, 3);
      for (const h of hits) assert.equal(h.calibrated, true);
      const off = (await s.app.inject(json("/v1/search", { query: "car stereo", k: 3, calibration: false }))).json();
      for (const h of off.hits) assert.equal(h.calibrated, undefined);
    } finally {
      await s.close();
      await store.close();
    }
  });
});
