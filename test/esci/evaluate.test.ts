/**
 * Evaluation: the (query_id, product_id) join, worded errors and counted skips for every kind of
 * mismatch, metrics cross-checked against the metric functions, the report files (atomic,
 * self-contained HTML), evaluateScorer with the fake scorer, and the CLI wiring of
 * `esci evaluate --predictions … --gold …` (no model needed).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  classificationReport,
  classifyFile,
  ESCI_GAINS,
  evaluateFiles,
  evaluateScorer,
  meanNdcg,
  renderReportHtml,
  renderSummary,
  substituteReport,
  writeReport,
  type EsciLabel,
  type Metrics,
} from "../../src/esci/index.js";
import { FakeScorer, SAMPLE_SKIP, REPO_ROOT, SAMPLE_DIR, tmp, writeDataset, type ExampleRow, type ProductRow, rng } from "./helpers.js";

const L: EsciLabel[] = ["E", "S", "C", "I"];

/** 12 queries × 6 products, gold labels cycling, predictions with probs correlated with gold. */
function makeCase() {
  const gold: { query_id: number; product_id: string; esci_label: EsciLabel }[] = [];
  const preds: { query_id: number; product_id: string; probs: Record<string, number> }[] = [];
  const rnd = rng(99);
  for (let q = 0; q < 12; q++) {
    for (let k = 0; k < 6; k++) {
      const label = q === 11 ? "I" : L[(q + k * 3) % 4 === 2 && k % 2 ? 2 : (q * 7 + k) % 4];
      const pid = `B0${q}${k}`;
      gold.push({ query_id: 100 + q, product_id: pid, esci_label: label });
      const raw = L.map((l) => (l === label ? 0.6 : 0) + rnd());
      const s = raw.reduce((a, b) => a + b, 0);
      preds.push({ query_id: 100 + q, product_id: pid, probs: { exact: raw[0] / s, substitute: raw[1] / s, complement: raw[2] / s, irrelevant: raw[3] / s } });
    }
  }
  return { gold, preds };
}

function jsonl(path: string, rows: unknown[]): string {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

function argmax(p: Record<string, number>): EsciLabel {
  const names = ["exact", "substitute", "complement", "irrelevant"];
  let b = 0;
  names.forEach((n, i) => p[n] > p[names[b]] && (b = i));
  return L[b];
}

describe("evaluateFiles", () => {
  it("computes the three tasks exactly as the metric functions do on the joined rows", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    // predictions in another order than gold: the join must not depend on order
    const m = await evaluateFiles({ predictions: jsonl(join(dir, "p.jsonl"), [...preds].reverse()), gold: jsonl(join(dir, "g.jsonl"), gold) });
    const g = gold.map((x) => x.esci_label);
    const p = preds.map((x) => argmax(x.probs));
    const ref2 = classificationReport(g, p, L);
    assert.deepEqual(m.task2, ref2);
    assert.deepEqual(m.task3, substituteReport(g, p));
    const byQ = new Map<number, { id: string; gain: number; score: number }[]>();
    gold.forEach((x, i) => {
      const pr = preds[i].probs;
      const score = pr.exact * 1 + pr.substitute * 0.1 + pr.complement * 0.01;
      if (!byQ.has(x.query_id)) byQ.set(x.query_id, []);
      byQ.get(x.query_id)!.push({ id: x.product_id, gain: ESCI_GAINS[x.esci_label], score });
    });
    const ref1 = meanNdcg(byQ.values());
    assert.ok(Math.abs(m.task1!.ndcg - ref1.ndcg) < 1e-12);
    assert.equal(m.task1!.queries, 12);
    assert.equal(m.task1!.zero_ideal_queries, 1);
    assert.deepEqual(m.task1!.score_source, { expected_gain: 72 });
    assert.equal(m.counts.matched, 72);
    assert.equal(m.calibration!.count, 72);
    assert.equal(m.skipped.count, 0);
    const dist = m.score_distribution!;
    assert.equal(Object.values(dist.per_class).flat().reduce((a, b) => a + b, 0), 72);
  });

  it("label-only predictions: Tasks 1–3 from the label (gain of the label), no calibration; score-only: Task 1 only", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const g = jsonl(join(dir, "g.jsonl"), gold);
    const m = await evaluateFiles({ predictions: jsonl(join(dir, "l.jsonl"), preds.map((x) => ({ query_id: x.query_id, product_id: x.product_id, label: argmax(x.probs) }))), gold: g });
    assert.ok(m.task1 && m.task2 && m.task3);
    assert.equal(m.calibration, undefined);
    assert.deepEqual(m.task1.score_source, { label_gain: 72 });
    const s = await evaluateFiles({ predictions: jsonl(join(dir, "s.jsonl"), preds.map((x, i) => ({ query_id: String(x.query_id), product_id: x.product_id, score: -i }))), gold: g });
    assert.ok(s.task1);
    assert.equal(s.task2, undefined);
    assert.equal(s.task3, undefined);
  });

  it("--task restricts the metrics; CSV gold works", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const csv = join(dir, "g.csv");
    writeFileSync(csv, "query_id,product_id,esci_label\n" + gold.map((x) => `${x.query_id},${x.product_id},${x.esci_label}`).join("\n") + "\n");
    const m = await evaluateFiles({ predictions: jsonl(join(dir, "p.jsonl"), preds), gold: csv, tasks: [1] });
    assert.ok(m.task1);
    assert.equal(m.task2, undefined);
    assert.equal(m.task3, undefined);
  });

  it("every mismatch is an error naming file, row and column", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const g = jsonl(join(dir, "g.jsonl"), gold);
    const p = join(dir, "p.jsonl");
    const run = (rows: unknown[], gl = g) => evaluateFiles({ predictions: jsonl(p, rows), gold: gl });
    await assert.rejects(run([...preds, { query_id: 1, product_id: "X", label: "E" }]), /p\.jsonl, row 73, column "product_id": no gold judgement for \(query_id 1, product_id X\)/);
    await assert.rejects(run(preds.slice(1)), /1 gold judgement has no prediction[^]*g\.jsonl, row 1, column "product_id": no prediction in .*p\.jsonl for \(query_id 100, product_id B000\)/);
    await assert.rejects(run([...preds, preds[5]]), /p\.jsonl, row 73, column "product_id": duplicate prediction for \(query_id 100, product_id B005\); first at row 6/);
    await assert.rejects(run(preds, jsonl(join(dir, "g2.jsonl"), [...gold, gold[3]])), /g2\.jsonl, row 73, column "product_id": duplicate judgement/);
    await assert.rejects(run([{ ...preds[0], probs: { exact: "high" } }, ...preds.slice(1)]), /row 1, column "probs": probability of "exact" must be a number/);
    await assert.rejects(run([{ query_id: 100, product_id: "B000", label: "meh" }, ...preds.slice(1)]), /row 1, column "label": unknown label "meh"/);
    await assert.rejects(run([{ product_id: "B000", label: "E" }, ...preds.slice(1)]), /row 1, column "query_id": missing value/);
    await assert.rejects(run(preds, jsonl(join(dir, "g3.jsonl"), [{ query_id: 1, product_id: "A", esci_label: "?" }])), /g3\.jsonl, row 1, column "esci_label": unknown label "\?"/);
  });

  it("--on-error skip: counts and lists each skip; a judgement without prediction still counts in the ideal DCG", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const g = jsonl(join(dir, "g.jsonl"), gold);
    // drop the prediction of query 100's best product; add a stray and a duplicate
    const best = gold.findIndex((x) => x.query_id === 100 && x.esci_label === "E");
    const rows = [...preds.filter((_, i) => i !== best), { query_id: 5, product_id: "stray", label: "E" }, preds[best + 1]];
    const m = await evaluateFiles({ predictions: jsonl(join(dir, "p.jsonl"), rows), gold: g, onError: "skip" });
    assert.equal(m.skipped.count, 3);
    assert.deepEqual(m.skipped.by_kind, { prediction_without_gold: 1, duplicate: 1, gold_without_prediction: 1 });
    assert.equal(m.counts.matched, 71);
    assert.equal(m.task2!.count, 71);
    const full = await evaluateFiles({ predictions: jsonl(join(dir, "full.jsonl"), preds), gold: g });
    assert.ok(m.task1!.ndcg < full.task1!.ndcg, "missing the E product costs nDCG");
    const html = renderReportHtml(m);
    assert.match(html, /Skipped rows \(3\)/);
    assert.match(html, /prediction_without_gold/);
  });

  it("gold from an ESCI dataset directory, filtered by locale/split/version", async () => {
    const dir = tmp();
    const examples: ExampleRow[] = [];
    const products: ProductRow[] = [];
    for (let i = 0; i < 40; i++) {
      examples.push({ query: `red shoe ${i % 4}`, query_id: i % 4, product_id: `P${i}`, esci_label: L[i % 4], split: i < 30 ? "test" : "train", small_version: i % 2 });
      products.push({ product_id: `P${i}`, product_title: i % 3 ? `red shoe ${i % 4} alternative` : "garden hose" });
    }
    examples.push({ query: "x", query_id: 9, product_id: "P0", product_locale: "jp", esci_label: "E" });
    products.push({ product_id: "P0", product_title: "x", product_locale: "jp" });
    const ds = writeDataset(join(dir, "ds"), examples, products);
    const pred = join(dir, "pred.jsonl");
    await classifyFile(new FakeScorer(), { input: ds, output: pred, split: "test", version: "small" });
    const m = await evaluateFiles({ predictions: pred, gold: ds, filter: { locale: "us", split: "test", version: "small" } });
    assert.equal(m.counts.gold, 15);
    assert.equal(m.counts.matched, 15);
    assert.ok(m.task1 && m.task2 && m.task3 && m.calibration);
    // the large version has judgements the predictions lack
    await assert.rejects(evaluateFiles({ predictions: pred, gold: ds, filter: { locale: "us", split: "test", version: "large" } }), /15 gold judgements have no prediction/);
  });
});

describe("report files", () => {
  it("metrics.json holds the required keys; report.html is self-contained SVG/CSS, written atomically", async () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const m = await evaluateFiles({ predictions: jsonl(join(dir, "p.jsonl"), preds), gold: jsonl(join(dir, "g.jsonl"), gold), inputs: { note: "<script>alert(1)</script>" } });
    const out = await writeReport(join(dir, "report"), m);
    assert.deepEqual(readdirSync(join(dir, "report")).sort(), ["metrics.json", "report.html"]);
    const j = JSON.parse(readFileSync(out.metrics, "utf8")) as Metrics;
    for (const k of ["ndcg"]) assert.equal(typeof (j.task1 as unknown as Record<string, unknown>)[k], "number");
    for (const k of ["accuracy", "micro_f1", "macro_f1"]) assert.equal(typeof (j.task2 as unknown as Record<string, unknown>)[k], "number");
    assert.deepEqual(Object.keys(j.task2!.per_class), ["E", "S", "C", "I"]);
    assert.equal(j.task2!.confusion.matrix.length, 4);
    assert.equal(typeof j.task3!.micro_f1, "number");
    assert.equal(j.skipped.count, 0);
    const html = readFileSync(out.html, "utf8");
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.equal((html.match(/<svg /g) ?? []).length, 5, "confusion (task 2), per-class bars, confusion (task 3), reliability, distributions");
    assert.doesNotMatch(html, /<script/i, "no scripts (and inputs are escaped)");
    assert.doesNotMatch(html, /\b(src|href)=|<link|url\(|@import/i, "no external assets");
    assert.deepEqual(html.match(/https?:\/\/[^"\s]+/g), Array(5).fill("http://www.w3.org/2000/svg"));
    assert.match(html, /&lt;script&gt;/);
    const summary = renderSummary(m);
    assert.match(summary, /Task 1 nDCG\s+0\.\d{4}/);
    assert.match(summary, /S substitute/);
  });
});

describe("evaluateScorer (fake model)", () => {
  it("scores a labelled pair file; rows without ids are grouped by query text", async () => {
    const dir = tmp();
    const rows = [
      { query: "red shoe", product: "red shoe", label: "E" },
      { query: "red shoe", product: "blue hat", label: "I" },
      { query: "red shoe", product: "red shoe alternative", label: "S" },
      { query: "usb cable", product: "usb cable accessory", label: "C" },
      { query: "usb cable", product: "usb cable", label: "E" },
    ];
    const m = await evaluateScorer(new FakeScorer(), { data: jsonl(join(dir, "d.jsonl"), rows), batchSize: 2 });
    assert.equal(m.counts.queries, 2);
    assert.equal(m.counts.matched, 5);
    assert.ok(m.task1!.ndcg > 0.9);
    assert.ok(m.task2!.accuracy >= 0.6);
  });

  it("a row without a gold label is an error naming the column, or a skip", async () => {
    const dir = tmp();
    const d = jsonl(join(dir, "d.jsonl"), [{ query: "a", product: "a", label: "E" }, { query: "a", product: "b" }]);
    await assert.rejects(evaluateScorer(new FakeScorer(), { data: d }), /d\.jsonl, row 2, column "label": no gold label/);
    const m = await evaluateScorer(new FakeScorer(), { data: d, onError: "skip" });
    assert.equal(m.skipped.count, 1);
  });

  it("refuses a model whose labels are not ESCI labels", async () => {
    const d = jsonl(join(tmp(), "d.jsonl"), [{ query: "a", product: "a", label: "E" }]);
    await assert.rejects(evaluateScorer(new FakeScorer({ labels: ["a", "b", "c", "d"] }), { data: d }), /model label "a" is not an ESCI label .*pass `labels: \["E", "S", "C", "I"\]`/);
  });

  it("the real sample, end to end", { skip: SAMPLE_SKIP }, async () => {
    const m = await evaluateScorer(new FakeScorer(), { data: SAMPLE_DIR, split: "test", version: "large" });
    assert.equal(m.counts.gold, 16);
    assert.equal(m.task1!.queries, 1);
  });
});

describe("esci evaluate (CLI)", () => {
  const cli = join(REPO_ROOT, "dist", "src", "cli", "main.js");
  const run = (args: string[]) => spawnSync(process.execPath, [cli, "evaluate", ...args], { encoding: "utf8" });

  it("--predictions/--gold writes the report and prints a summary; bad input exits 3 naming the row", () => {
    const dir = tmp();
    const { gold, preds } = makeCase();
    const g = jsonl(join(dir, "g.jsonl"), gold);
    const p = jsonl(join(dir, "p.jsonl"), preds);
    const ok = run(["--predictions", p, "--gold", g, "--report", join(dir, "r")]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Task 2 micro-F1\s+[01]\.\d{4}/);
    assert.ok(existsSync(join(dir, "r", "metrics.json")) && existsSync(join(dir, "r", "report.html")));

    const bad = jsonl(join(dir, "bad.jsonl"), [...preds, { query_id: 1, product_id: "zz", score: 1 }]);
    const r = run(["--predictions", bad, "--gold", g, "--report", join(dir, "r2")]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /bad\.jsonl, row 73, column "product_id": no gold judgement/);
    assert.equal(existsSync(join(dir, "r2")), false);

    const skip = run(["--predictions", bad, "--gold", g, "--report", join(dir, "r3"), "--on-error", "skip"]);
    assert.equal(skip.status, 0, skip.stderr);
    assert.match(skip.stdout, /rows skipped\s+1/);

    assert.equal(run(["--predictions", p, "--report", dir]).status, 2);
    assert.equal(run(["--predictions", p, "--gold", g, "--report", dir, "--task", "4"]).status, 2);
  });
});
