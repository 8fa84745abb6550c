/**
 * `esci index`, `esci search` and `esci substitutes` end to end, as a user runs them: the demo
 * catalog, the committed tiny fixture models (random weights, so only shapes and wiring are
 * checked, not relevance), JSON output, --status after an interrupted run, and the exit codes of
 * the usual mistakes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import { parseFlags } from "../../src/cli/args.js";
import { runStoreTask1, STORE_MODEL_FLAGS } from "../../src/cli/search.js";
import { openStore } from "../../src/search/store.js";
import { writeDataset } from "../esci/helpers.js";
import { fixtureModel, isolateEsciCache, REPO_ROOT } from "../helpers/paths.js";
import { HAND_CATALOG } from "./fakes.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");
const EMBED = fixtureModel("tiny-st-roberta");
const RERANK = fixtureModel("tiny-roberta-esci");
const dir = mkdtempSync(join(tmpdir(), "esci-search-cli-"));

function esci(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: REPO_ROOT, env: { ...process.env, HF_HUB_OFFLINE: "1", HF_HOME: join(dir, "hf"), HF_HUB_CACHE: "" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("esci index / search / substitutes", () => {
  const store = `sqlite:${join(dir, "demo.db")}`;
  let cache: string;
  before(() => {
    cache = isolateEsciCache();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it("indexes the demo catalog with the tiny bi-encoder", () => {
    const r = esci("index", "--catalog", "demo/catalog.jsonl", "--store", store, "--embed-model", EMBED, "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /indexed 58 rows: 58 products written, 58 embedded/);
    assert.match(r.out, /dimension 32/);
    const again = esci("index", "--catalog", "demo/catalog.jsonl", "--store", store, "--quiet", "--json");
    assert.equal(again.code, 0, again.err);
    const j = JSON.parse(again.out);
    assert.equal(j.embedded, 0);
    assert.equal(j.unchanged, 58);
    assert.equal(j.info.embedding.model, EMBED);
  });

  it("searches with reranking: JSON hits with label (id2label name), esci letter, probabilities and stage-1 rank", () => {
    const r = esci("search", "--store", store, "--query", "wireless headphones", "--rerank-model", RERANK, "--k", "5", "--candidates", "20", "--json", "--quiet");
    assert.equal(r.code, 0, r.err);
    const hits = JSON.parse(r.out) as { id: string; title: string; score: number; label: string; esci: string; probs: Record<string, number>; stage1_rank: number; stage1_score: number }[];
    assert.equal(hits.length, 5);
    for (const h of hits) {
      assert.deepEqual(Object.keys(h), ["id", "title", "score", "label", "esci", "probs", "stage1_rank", "stage1_score"]);
      // One vocabulary with classify: the checkpoint's names, plus the ESCI letter.
      assert.deepEqual(Object.keys(h.probs), ["exact", "substitute", "complement", "irrelevant"]);
      assert.equal(h.esci, { exact: "E", substitute: "S", complement: "C", irrelevant: "I" }[h.label]);
      const sum = Object.values(h.probs).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
      const gain = h.probs.exact + 0.1 * h.probs.substitute + 0.01 * h.probs.complement;
      assert.ok(Math.abs(h.score - gain) < 1e-9);
      assert.ok(h.stage1_rank >= 1 && h.stage1_rank <= 20);
    }
    assert.deepEqual(hits.map((h) => h.score), [...hits.map((h) => h.score)].sort((a, b) => b - a));
    const table = esci("search", "--store", store, "--query", "wireless headphones", "--rerank-model", RERANK, "--k", "3", "--quiet");
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /score\s+label\s+P\(E\)/);
    assert.equal(table.out.trim().split("\n").length, 4);
  });

  it("--queries FILE --verbose: one JSON line per query, the repeated query answered from the caches", () => {
    const file = join(dir, "queries.txt");
    writeFileSync(file, "wireless headphones\ncoffee grinder\n\nwireless headphones\n");
    const r = esci("search", "--store", store, "--queries", file, "--rerank-model", RERANK, "--k", "3", "--candidates", "10", "--json", "--verbose", "--quiet");
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l) as { query: string; hits: { id: string }[] });
    assert.deepEqual(lines.map((l) => l.query), ["wireless headphones", "coffee grinder", "wireless headphones"]);
    assert.deepEqual(lines[2].hits, lines[0].hits);
    assert.match(r.err, /"coffee grinder": 3 hits in [\d.]+ ms/);
    assert.match(r.err, /cache stage1\s+hits 1  misses 2  hit rate 33\.3%/);
    assert.match(r.err, /cache scores\s+hits 10  misses 20/);
    assert.match(r.err, /cache embeddings\s+hits 0  misses 2/);
    // The cascade and --rerank-candidates from the command line (the same tiny model twice).
    const c = esci("search", "--store", store, "--query", "coffee grinder", "--rerank-model", RERANK, "--rerank-candidates", "4", "--second-rerank-model", RERANK, "--second-rerank-top", "2", "--k", "10", "--json", "--quiet");
    assert.equal(c.code, 0, c.err);
    assert.equal(JSON.parse(c.out).length, 4);
    const bad = esci("search", "--store", store, "--query", "x", "--no-rerank", "--rerank-candidates", "4", "--quiet");
    assert.equal(bad.code, ERROR_TABLE.INVALID_ARGUMENT.exitCode);
    assert.match(bad.err, /need reranking/);
    const both = esci("search", "--store", store, "--query", "x", "--queries", file, "--quiet");
    assert.equal(both.code, ERROR_TABLE.INVALID_ARGUMENT.exitCode);
  });

  it("--no-rerank gives stage 1 alone, scored by RRF", () => {
    const r = esci("search", "--store", store, "--query", "coffee grinder", "--no-rerank", "--k", "3", "--json", "--quiet");
    assert.equal(r.code, 0, r.err);
    const hits = JSON.parse(r.out);
    assert.equal(hits.length, 3);
    assert.equal(hits[0].label, null);
    assert.equal(hits[0].score, hits[0].stage1_score);
    assert.deepEqual(hits.map((h: { stage1_rank: number }) => h.stage1_rank), [1, 2, 3]);
    // BM25 finds the two grinders; the tiny bi-encoder's vectors are random, so RRF may mix in others.
    assert.ok(hits.some((h: { id: string }) => ["DEMO-021", "DEMO-022"].includes(h.id)), JSON.stringify(hits));
  });

  it("substitutes and --only run with the reranker", () => {
    const s = esci("substitutes", "--store", store, "--product", "DEMO-028", "--rerank-model", RERANK, "--json", "--quiet");
    assert.equal(s.code, 0, s.err);
    const subs = JSON.parse(s.out) as { id: string; label: string; esci: string }[];
    assert.ok(subs.every((h) => h.label === "substitute" && h.esci === "S" && h.id !== "DEMO-028"));
    const only = esci("search", "--store", store, "--query", "car stereo", "--rerank-model", RERANK, "--only", "complement", "--json", "--quiet");
    assert.equal(only.code, 0, only.err);
    assert.ok((JSON.parse(only.out) as { label: string; esci: string }[]).every((h) => h.label === "complement" && h.esci === "C"));
    const missing = esci("substitutes", "--store", store, "--product", "NOPE", "--rerank-model", RERANK, "--quiet");
    assert.equal(missing.code, ERROR_TABLE.NOT_FOUND.exitCode);
    assert.match(missing.err, /product "NOPE" is not in store/);
  });

  it("worded failures with the error table's exit codes", () => {
    // Without --rerank-model the reference checkpoint is used; offline and uncached, that is a worded OFFLINE error.
    const noModel = esci("search", "--store", store, "--query", "x");
    assert.equal(noModel.code, ERROR_TABLE.OFFLINE.exitCode);
    assert.match(noModel.err, /sllawlis\/distilroberta-ce-esci/);
    const onlyNoRerank = esci("search", "--store", store, "--query", "x", "--no-rerank", "--only", "substitute");
    assert.equal(onlyNoRerank.code, ERROR_TABLE.INVALID_ARGUMENT.exitCode);
    const noStore = esci("search", "--store", `sqlite:${join(dir, "none.db")}`, "--query", "x", "--no-rerank");
    assert.equal(noStore.code, ERROR_TABLE.NOT_FOUND.exitCode);
    assert.match(noStore.err, /esci index/);
    const otherModel = esci("index", "--catalog", "demo/catalog.jsonl", "--store", store, "--embed-model", fixtureModel("tiny-st-bert-cls"), "--quiet");
    assert.equal(otherModel.code, ERROR_TABLE.CONFLICT.exitCode);
    assert.match(otherModel.err, /--reindex/);
    const badQuery = esci("search", "--store", store, "--query", "x", "--no-rerank", "--embed-model", fixtureModel("tiny-st-bert-cls"), "--quiet");
    assert.equal(badQuery.code, ERROR_TABLE.CONFLICT.exitCode);
    // The pipeline names its `embedder` option; the CLI words it as the flag.
    assert.match(badQuery.err, /embed them with ".*" \(--embed-model\)/);
    const badGains = esci("search", "--store", store, "--query", "x", "--gains", "E=1,Q=2", "--no-rerank");
    assert.equal(badGains.code, ERROR_TABLE.INVALID_ARGUMENT.exitCode);
  });

  it("runStoreTask1 (for esci evaluate --task 1 --store) prints stage 1 and stage 1 + rerank side by side", async () => {
    const data = writeDataset(
      join(dir, "esci"),
      [
        { query: "car stereo", query_id: 1, product_id: "DEMO-040", esci_label: "E" },
        { query: "car stereo", query_id: 1, product_id: "B08SHMLP5S", esci_label: "E" },
        { query: "car stereo", query_id: 1, product_id: "DEMO-041", esci_label: "C" },
        { query: "car stereo", query_id: 1, product_id: "DEMO-025", esci_label: "I" },
      ],
      [],
    );
    const p = parseFlags(["--store", store, "--candidates", "30", "--quiet"], { ...STORE_MODEL_FLAGS, candidates: { type: "string" } });
    const { result, text } = await runStoreTask1(p, { data, filter: { split: "test" }, rerankModel: RERANK });
    assert.equal(result.queries, 1);
    assert.equal(result.judgements, 4);
    assert.ok(result.stage1.ndcg > 0 && result.stage1.ndcg <= 1);
    assert.ok(result.reranked && result.reranked.ndcg > 0 && result.reranked.ndcg <= 1);
    assert.match(text, /stage 1 \(BM25\+kNN\)\s+[01]\.\d{4}\n\s+stage 1 \+ rerank\s+[01]\.\d{4}/);

    // The same through the command line, with the figures written to --report.
    const report = join(dir, "store-report");
    const cli = esci("evaluate", "--task", "1", "--store", store, "--data", data, "--split", "test", "--model", RERANK, "--candidates", "30", "--report", report, "--quiet");
    assert.equal(cli.code, 0, cli.err);
    assert.equal(cli.out, text);
    const written = JSON.parse(readFileSync(join(report, "metrics.json"), "utf8"));
    assert.equal(written.task1_store.stage1.ndcg, result.stage1.ndcg);
    assert.equal(written.task1_store.reranked.ndcg, result.reranked!.ndcg);
    // …and report.html, as the help says, with the same figures.
    assert.match(cli.err, /wrote .*metrics\.json and .*report\.html/);
    const html = readFileSync(join(report, "report.html"), "utf8");
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(result.stage1.ndcg.toFixed(4)) && html.includes(result.reranked!.ndcg.toFixed(4)));
    assert.ok(result.per_query.every((q) => html.includes(`<td>${q.query_id}</td>`)));
  });

  it("--reindex switches models; --delete removes products; --status reports an interrupted run", async () => {
    const r = esci("index", "--store", store, "--embed-model", fixtureModel("tiny-st-bert-cls"), "--reindex", "--quiet", "--json", "--delete", "DEMO-001,DEMO-002");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.deleted, 2);
    assert.equal(j.embedded, 56);
    assert.equal(j.info.embedding.model, fixtureModel("tiny-st-bert-cls"));
    // Leave a checkpoint as a killed run would, then ask for the status.
    const s = await openStore(store);
    const cat = join(dir, "hand.jsonl");
    writeFileSync(cat, HAND_CATALOG.map((p) => JSON.stringify(p)).join("\n"));
    await s.setLastRun({ source: cat, fingerprint: "x", rows_done: 5, rows_total: 14, started: "2026-01-01T00:00:00Z", updated: "2026-01-01T00:01:00Z" });
    await s.close();
    const st = esci("index", "--store", store, "--status");
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /INTERRUPTED after 5 of 14 rows/);
    assert.match(st.out, /products\s+56 \(56 embedded, 0 pending\)/);
  });
});
