/**
 * The catalog-store conformance suite: every CatalogStore implementation runs these same tests
 * (sqlite.test.ts, postgres.test.ts). They cover the store contract (upserts, deletes, text and
 * vector search, embedding-model bookkeeping, checkpoints, reopening), the indexer on top of it
 * (re-indexing, model changes, crash safety under kill -9 and resume), and the pipeline's rank
 * order with the keyword fakes — so the two stores are interchangeable by test, not by hope.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isEsciError } from "../../src/errors/index.js";
import { indexCatalog } from "../../src/search/indexer.js";
import { SearchPipeline } from "../../src/search/pipeline.js";
import { DEFAULT_EMBED_TEMPLATE, productText, textHash, type CatalogProduct } from "../../src/search/product.js";
import { openStore, type CatalogStore, type EmbeddingSpace } from "../../src/search/store.js";
import { findSubstitutes } from "../../src/search/substitutes.js";
import { SearchCaches } from "../../src/search/cache.js";
import type { Pair, PairPrediction, PairScorer } from "../../src/models/types.js";
import { FAKE_LABELS, HAND_CATALOG, HashEmbedder, KeywordScorer, words } from "./fakes.js";

/** KeywordScorer with a cache key, so the pipeline may cache its predictions. */
class CachedKeywordScorer extends KeywordScorer {
  readonly cacheKey = "fake/keyword";
}

/** The cascade's "larger" model in tests: Exact (0.97) iff the product has `word`, else Irrelevant (0.97). */
class WordScorer implements PairScorer {
  readonly labels = FAKE_LABELS;
  readonly cacheKey: string;
  pairs = 0;
  constructor(private readonly word: string) {
    this.cacheKey = `fake/word-${word}`;
  }
  async predict(pairs: readonly Pair[]): Promise<PairPrediction[]> {
    this.pairs += pairs.length;
    return pairs.map(([, p]) => {
      const label = words(p).includes(this.word) ? "exact" : "irrelevant";
      const probs = Object.fromEntries(FAKE_LABELS.map((l) => [l, l === label ? 0.97 : 0.01]));
      return { logits: FAKE_LABELS.map((l) => Math.log(probs[l])), probs, label };
    });
  }
}

export interface StoreFactory {
  /** A spec for a new, empty store. */
  newSpec(): Promise<string>;
  /** Called once after the suite. */
  cleanup?(): Promise<void>;
}

let tmpDir: string | undefined;
const tmp = () => (tmpDir ??= mkdtempSync(join(tmpdir(), "esci-search-")));
const embedText = productText(DEFAULT_EMBED_TEMPLATE);

/** Writes `rows` as `name` in `dir` (default: the suite's scratch directory, removed after the suite). */
export function writeJsonl(name: string, rows: readonly object[], dir = tmp()): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

function rejectsWith(code: string) {
  return (e: unknown) => isEsciError(e) && e.code === code;
}

/** A store holding HAND_CATALOG, embedded by HashEmbedder. */
async function handStore(spec: string, embedder = new HashEmbedder()): Promise<CatalogStore> {
  const store = await openStore(spec);
  await indexCatalog(store, { catalog: writeJsonl(`hand-${Math.random().toString(36).slice(2)}.jsonl`, HAND_CATALOG), embedder, locale: "all" });
  return store;
}

export function synthetic(n: number, seed = 0): CatalogProduct[] {
  const colors = ["red", "blue", "green", "black", "white", "grey", "pink", "yellow"];
  const nouns = ["shoe", "lamp", "kettle", "backpack", "charger", "mouse", "keyboard", "mug", "pillow", "towel", "drill", "jacket"];
  const adj = ["compact", "large", "wireless", "vintage", "steel", "cotton", "portable", "ergonomic"];
  return Array.from({ length: n }, (_, i) => ({
    id: `P${String(i).padStart(6, "0")}`,
    title: `${adj[(i + seed) % adj.length]} ${colors[(i * 7) % colors.length]} ${nouns[(i * 5 + seed) % nouns.length]} model ${i}`,
    brand: `brand${i % 37}`,
    color: colors[(i * 7) % colors.length],
  }));
}

export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`${name} store conformance`, () => {
    after(async () => {
      await factory.cleanup?.();
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    });

    describe("store contract", () => {
      let store: CatalogStore;
      const space: EmbeddingSpace = { model: "fake/hash-bow", dimension: 256, template: DEFAULT_EMBED_TEMPLATE };
      const emb = new HashEmbedder();
      const w = (p: CatalogProduct, vector: Float32Array | null | undefined = emb.embedOne(embedText(p))) => ({ product: p, textHash: textHash(embedText(p)), vector });

      before(async () => {
        store = await openStore(await factory.newSpec());
      });
      after(async () => store.close());

      it("starts empty, with no embedding model", async () => {
        const info = await store.info();
        assert.equal(info.kind, name);
        assert.equal(info.products, 0);
        assert.equal(info.embedded, 0);
        assert.equal(info.embedding, undefined);
        assert.equal(await store.lastRun(), undefined);
        assert.deepEqual(await store.searchText("shoes", 5), []);
        assert.deepEqual(await store.searchVector(emb.embedOne("shoes"), 5), []);
      });

      it("writes products with vectors and reads them back in the order asked", async () => {
        await store.setEmbedding(space);
        await store.setEmbedding(space); // the same space again is a no-op
        await store.write(HAND_CATALOG.map((p) => w(p)));
        const info = await store.info();
        assert.equal(info.products, HAND_CATALOG.length);
        assert.equal(info.embedded, HAND_CATALOG.length);
        assert.equal(info.pending, 0);
        assert.deepEqual(info.embedding, space);
        const got = await store.get(["i3", "nope", "r1"]);
        assert.deepEqual(got, [HAND_CATALOG.find((p) => p.id === "i3"), HAND_CATALOG.find((p) => p.id === "r1")]);
      });

      it("full-text search: stemmed, every term optional, title outweighs details, attributes searchable", async () => {
        const hose = await store.searchText("garden hose", 3);
        assert.equal(hose[0].id, "i1");
        assert.ok(hose[0].score > 0);
        const shoe = (await store.searchText("shoe", 20)).map((x) => x.id);
        assert.deepEqual(new Set(shoe), new Set(["r1", "r2", "r3", "s1", "c1"]));
        // "mouse" is in the titles of i3, m1, m2, m3; "bluetooth" in m1's title and i3's attributes.
        const bt = await store.searchText("bluetooth mouse", 10);
        assert.equal(bt[0].id, "m1");
        assert.ok(bt.some((x) => x.id === "i3"));
        assert.equal((await store.searchText("waterproof", 5))[0]?.id, "r2"); // a bullet point
        assert.equal((await store.searchText("1600", 5))[0]?.id, "i3"); // an attribute value
        assert.deepEqual(await store.searchText("zzzzqx", 5), []);
        assert.deepEqual(await store.searchText("  ?!  ", 5), []);
        await store.searchText(`"quoted" OR (weird) AND -terms* NEAR/2 col:x`, 5); // query syntax is never passed through
        const scores = shoe.length > 1 ? (await store.searchText("shoe", 20)).map((x) => x.score) : [];
        assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      });

      it("vector search: nearest by cosine, the product itself first with score ≈ 1", async () => {
        const r = await store.searchVector(emb.embedOne(embedText(HAND_CATALOG[5])), 3);
        assert.equal(r.length, 3);
        assert.equal(r[0].id, "i1");
        assert.ok(Math.abs(r[0].score - 1) < 1e-5, `score ${r[0].score}`);
        assert.ok(r[1].score <= r[0].score);
        const v = await store.vectorOf("i1");
        assert.ok(v);
        assert.equal(v.length, 256);
        assert.equal(await store.vectorOf("nope"), undefined);
        const all = await store.searchVector(emb.embedOne("running shoes"), 100);
        assert.equal(all.length, HAND_CATALOG.length);
      });

      it("upserts replace by id: text is re-indexed, a vector is kept, dropped or replaced as asked", async () => {
        const i2 = HAND_CATALOG.find((p) => p.id === "i2")!;
        // Same embedded text, new description: the vector stays.
        await store.write([{ ...w({ ...i2, description: "forged blade" }), vector: undefined }]);
        assert.equal((await store.searchText("forged", 5))[0]?.id, "i2");
        assert.deepEqual(await store.states(["i2"]), new Map([["i2", { textHash: textHash(embedText(i2)), embedded: true }]]));
        // New title, vector left undefined: the old vector no longer fits, so it is dropped.
        const renamed = { ...i2, title: "Ceramic paring knife" };
        await store.write([{ ...w(renamed), vector: undefined }]);
        assert.deepEqual((await store.searchText("stainless", 5)).map((x) => x.id), []);
        assert.equal((await store.searchText("ceramic", 5))[0]?.id, "i2");
        assert.equal((await store.states(["i2"])).get("i2")?.embedded, false);
        assert.equal((await store.info()).pending, 1);
        assert.deepEqual((await store.pending(10)).map((p) => p.id), ["i2"]);
        assert.ok(!(await store.searchVector(emb.embedOne(embedText(renamed)), 100)).some((x) => x.id === "i2"));
        // putVectors with a stale hash is ignored; with the current one it lands.
        await store.putVectors([{ id: "i2", textHash: textHash("something else"), vector: emb.embedOne("x") }]);
        assert.equal((await store.info()).pending, 1);
        await store.putVectors([{ id: "i2", textHash: textHash(embedText(renamed)), vector: emb.embedOne(embedText(renamed)) }]);
        assert.equal((await store.info()).pending, 0);
        assert.equal((await store.searchVector(emb.embedOne(embedText(renamed)), 1))[0].id, "i2");
        // Duplicate ids in one batch: the last wins.
        await store.write([w({ ...renamed, title: "First" }), w({ ...renamed, title: "Ceramic paring knife" })]);
        assert.equal((await store.get(["i2"]))[0].title, "Ceramic paring knife");
        assert.equal((await store.info()).products, HAND_CATALOG.length);
      });

      it("deletes remove a product from every index", async () => {
        assert.equal(await store.delete(["i5", "not-there"]), 1);
        assert.equal(await store.delete(["i5"]), 0);
        assert.deepEqual(await store.get(["i5"]), []);
        assert.deepEqual(await store.searchText("yoga", 5), []);
        assert.ok(!(await store.searchVector(emb.embedOne("Yoga mat Zen purple"), 100)).some((x) => x.id === "i5"));
        assert.equal((await store.info()).products, HAND_CATALOG.length - 1);
        // A deleted id can come back.
        await store.write([w(HAND_CATALOG.find((p) => p.id === "i5")!)]);
        assert.equal((await store.searchText("yoga", 5))[0]?.id, "i5");
      });

      it("refuses another embedding model, and a reset drops every vector", async () => {
        const other = { model: "fake/other", dimension: 8, template: DEFAULT_EMBED_TEMPLATE };
        await assert.rejects(store.setEmbedding(other), rejectsWith("CONFLICT"));
        await assert.rejects(store.setEmbedding({ ...space, template: "{title}" }), rejectsWith("CONFLICT"));
        await assert.rejects(store.write([w(HAND_CATALOG[0], new Float32Array(8))]), rejectsWith("INVALID_ARGUMENT"));
        await store.setEmbedding(other, { reset: true });
        const info = await store.info();
        assert.deepEqual(info.embedding, other);
        assert.equal(info.embedded, 0);
        assert.equal(info.pending, info.products);
        assert.deepEqual(await store.searchVector(new Float32Array(8).fill(1), 5), []);
        await store.write([w(HAND_CATALOG[0], new Float32Array(8).fill(0.5))]);
        assert.equal((await store.searchVector(new Float32Array(8).fill(1), 5))[0].id, HAND_CATALOG[0].id);
      });

      it("keeps the checkpoint with the batch it counts, and everything across a reopen", async () => {
        const cp = { source: "c.jsonl", fingerprint: "1:2", rows_done: 7, rows_total: 9, started: "2020-01-01T00:00:00.000Z", updated: "2020-01-01T00:00:01.000Z" };
        await store.write([w(HAND_CATALOG[1], null)], cp);
        assert.deepEqual(await store.lastRun(), cp);
        const spec = store.location.replace("***", "");
        const info = await store.info();
        await store.close();
        store = await openStore(spec, { mustExist: true });
        assert.deepEqual(await store.lastRun(), cp);
        assert.deepEqual(await store.info(), info);
        assert.equal((await store.searchText("garden hose", 1))[0].id, "i1");
      });
    });

    it("opening a store that does not exist with mustExist is NOT_FOUND", async () => {
      await assert.rejects(openStore(await factory.newSpec(), { mustExist: true }), rejectsWith("NOT_FOUND"));
    });

    describe("indexer", () => {
      it("indexes a catalog, re-embeds only changed products, deletes, and refuses a second model", async () => {
        const store = await openStore(await factory.newSpec());
        try {
          const emb = new HashEmbedder();
          const cat = synthetic(300);
          const path = writeJsonl(`syn-${name}.jsonl`, cat);
          const r1 = await indexCatalog(store, { catalog: path, embedder: emb, batchRows: 64 });
          assert.equal(r1.rows, 300);
          assert.equal(r1.written, 300);
          assert.equal(r1.embedded, 300);
          assert.equal(r1.info.products, 300);
          assert.equal(r1.info.embedded, 300);
          assert.ok(r1.info.last_run?.finished);
          assert.equal(r1.info.last_run?.rows_done, 300);
          // The same catalog again: nothing to embed.
          const r2 = await indexCatalog(store, { catalog: path, embedder: emb, batchRows: 64 });
          assert.equal(r2.embedded, 0);
          assert.equal(r2.unchanged, 300);
          assert.equal(r2.resumed_from, undefined);
          // Two titles change, one product is new, one row is bad (skipped and counted).
          const changed = cat.map((p, i) => (i === 3 || i === 200 ? { ...p, title: p.title + " deluxe" } : p));
          const issues: unknown[] = [];
          const path2 = writeJsonl(`syn2-${name}.jsonl`, [...changed, { id: "NEW", title: "brand new thing" }, { id: "BAD" }]);
          const r3 = await indexCatalog(store, { catalog: path2, embedder: emb, batchRows: 64, onIssue: (i) => issues.push(i), deleteIds: ["P000010"] });
          assert.equal(r3.embedded, 4); // two changed titles, NEW, and P000010 (deleted first, then back from the file)
          assert.equal(r3.deleted, 1);
          assert.equal(issues.length, 1);
          assert.equal(r3.info.products, 301);
          // Without onIssue a bad row is an error naming the file and row.
          await assert.rejects(indexCatalog(store, { catalog: path2, embedder: emb, resume: false }), (e: unknown) => isEsciError(e) && e.code === "INVALID_INPUT" && /row 302/.test(e.message));
          // Another model is refused; --reindex re-embeds every product.
          const other = new HashEmbedder("fake/other", 64);
          await assert.rejects(indexCatalog(store, { catalog: path2, embedder: other, onIssue: () => {} }), rejectsWith("CONFLICT"));
          const r4 = await indexCatalog(store, { embedder: other, reindex: true });
          assert.equal(r4.embedded, 301);
          assert.equal(r4.info.embedding?.model, "fake/other");
          assert.equal(r4.info.pending, 0);
        } finally {
          await store.close();
        }
      });

      it("survives kill -9 during indexing: the store opens, reports how far it got, and resumes", async () => {
        const spec = await factory.newSpec();
        const cat = synthetic(2400, 3);
        const path = writeJsonl(`crash-${name}.jsonl`, cat);
        const past = new Date(Date.now() - 60_000);
        utimesSync(path, past, past);
        // Killed inside the 5th embedder call (ESCI_TEST_KILL_AT_EMBED_CALL, a test-only hook of
        // index-child.ts): batches 1–4 are committed, the 5th is not.
        const child = spawn(process.execPath, [fileURLToPath(new URL("./index-child.js", import.meta.url)), spec, path, "100"], {
          stdio: ["ignore", "pipe", "inherit"],
          env: { ...process.env, ESCI_TEST_KILL_AT_EMBED_CALL: "5" },
        });
        const lines: string[] = [];
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (chunk: string) => lines.push(...chunk.split("\n").filter(Boolean)));
        const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
        assert.equal(signal, "SIGKILL", "the child was killed at its kill point");
        assert.deepEqual(lines, ["100", "200", "300", "400"]);

        let store = await openStore(spec, { mustExist: true });
        const info = await store.info();
        const run = info.last_run!;
        assert.ok(run, "the interrupted run left a checkpoint");
        assert.equal(run.finished, undefined);
        assert.equal(run.rows_total, 2400);
        assert.equal(run.rows_done, 400, "the four committed batches, not the one being embedded");
        // Exactly the committed rows are there, each with its vector.
        assert.equal(info.products, run.rows_done);
        assert.equal(info.embedded, run.rows_done);
        await store.close();

        store = await openStore(spec, { mustExist: true });
        try {
          const emb = new HashEmbedder();
          const r = await indexCatalog(store, { catalog: path, embedder: emb, batchRows: 100 });
          assert.equal(r.resumed_from, run.rows_done);
          assert.equal(r.rows, 2400 - run.rows_done);
          assert.equal(r.embedded, 2400 - run.rows_done, "nothing committed before the kill is embedded again");
          assert.equal(r.info.products, 2400);
          assert.equal(r.info.embedded, 2400);
          assert.ok(r.info.last_run?.finished);
          const target = cat[2399];
          assert.equal((await store.searchVector(emb.embedOne(embedText(target)), 1))[0].id, target.id);
          assert.equal((await store.searchText(target.title, 1))[0].id, target.id);
        } finally {
          await store.close();
        }
      });
    });

    describe("search caches", () => {
      it("reuse embeddings, stage-1 lists and predictions; a write to the store invalidates stage 1", async () => {
        const store = await handStore(await factory.newSpec());
        try {
          const embedder = new HashEmbedder();
          const scorer = new CachedKeywordScorer();
          const caches = new SearchCaches();
          const pipeline = new SearchPipeline({ store, embedder, scorer, caches });
          const first = await pipeline.search("running shoes", { k: 14 });
          assert.equal(embedder.calls, 1);
          const scored = scorer.pairs;
          assert.ok(scored > 0);
          const again = await pipeline.search("running shoes", { k: 14 });
          assert.deepEqual(again, first);
          assert.equal(embedder.calls, 1);
          assert.equal(scorer.pairs, scored);
          let st = caches.stats();
          assert.deepEqual([st.stage1.hits, st.stage1.misses], [1, 1]);
          assert.deepEqual([st.embeddings.hits, st.embeddings.misses], [0, 1]);
          assert.deepEqual([st.scores.hits, st.scores.misses], [scored, scored]);
          // Another k is the same stage-1 list; another candidate count is not.
          await pipeline.search("running shoes", { k: 3 });
          await pipeline.search("running shoes", { k: 3, candidates: 5 });
          st = caches.stats();
          assert.deepEqual([st.stage1.hits, st.stage1.misses], [2, 2]);
          assert.deepEqual([st.embeddings.hits, st.embeddings.misses], [1, 1]);
          assert.equal(scorer.pairs, scored); // every pair of the 5 candidates was scored before
          // A new product: the store's generation moves, stage 1 runs again and finds it.
          const g = await store.generation();
          await store.write([{ product: { id: "r9", title: "Running shoes deluxe" }, textHash: "h", vector: embedder.embedOne("Running shoes deluxe") }]);
          assert.notEqual(await store.generation(), g);
          const fresh = await pipeline.search("running shoes", { k: 14 });
          assert.ok(fresh.some((h) => h.id === "r9"));
          assert.equal(scorer.pairs, scored + 1); // only the new pair
          // Capacity 0 turns a cache off; a scorer without a cacheKey is never cached.
          const off = new SearchCaches({ embeddings: 0, stage1: 0, scores: 0 });
          const plain = new KeywordScorer();
          const p2 = new SearchPipeline({ store, embedder, scorer: plain, caches: off });
          await p2.search("running shoes");
          await p2.search("running shoes");
          assert.equal(plain.pairs, 2 * (await p2.stage1("running shoes")).length);
          assert.deepEqual(Object.values(off.stats()).map((x) => x.size), [0, 0, 0]);
        } finally {
          await store.close();
        }
      });
    });

    describe("pipeline rank order (keyword fakes)", () => {
      let store: CatalogStore;
      let pipeline: SearchPipeline;
      const scorer = new KeywordScorer();
      before(async () => {
        store = await handStore(await factory.newSpec());
        pipeline = new SearchPipeline({ store, embedder: new HashEmbedder(), scorer });
      });
      after(async () => store.close());

      it("stage 1 fuses BM25 and vectors: query-word products first, BM25's favourite on top", async () => {
        const s1 = await pipeline.stage1("running shoes", { candidates: 20 });
        assert.equal(s1[0].id, "c1"); // repeats both words: first in both lists
        assert.deepEqual(new Set(s1.slice(0, 5).map((x) => x.id)), new Set(["c1", "r1", "r2", "r3", "s1"]));
        assert.deepEqual(s1.map((x) => x.rank), s1.map((_, i) => i + 1));
        assert.ok(s1.every((x) => x.vector_rank !== undefined)); // kNN returns every product
        assert.equal(s1.find((x) => x.id === "i4")?.bm25_rank, undefined);
      });

      it("stage 2 sorts by expected gain: exact, then substitute, then complement, then irrelevant", async () => {
        const hits = await pipeline.search("running shoes", { k: 14 });
        const labels = hits.map((h) => h.esci);
        assert.deepEqual(labels.slice(0, 5), ["E", "E", "E", "S", "C"]);
        // `label` is the scorer's own name for the class, as in classify's output.
        assert.deepEqual(hits.slice(0, 5).map((h) => h.label), ["exact", "exact", "exact", "substitute", "complement"]);
        assert.deepEqual(new Set(hits.slice(0, 3).map((h) => h.id)), new Set(["r1", "r2", "r3"]));
        assert.equal(hits[3].id, "s1");
        assert.equal(hits[4].id, "c1");
        assert.ok(hits.slice(5).every((h) => h.label === "irrelevant" && h.esci === "I"));
        assert.ok(Math.abs(hits[0].score - 0.711) < 1e-9);
        assert.ok(Math.abs(hits[3].score - 0.171) < 1e-9);
        assert.ok(Math.abs(hits[4].score - 0.117) < 1e-9);
        // Ties keep stage-1 order.
        const exact = hits.slice(0, 3);
        assert.deepEqual(exact.map((h) => h.stage1_rank), [...exact.map((h) => h.stage1_rank)].sort((a, b) => a - b));
        assert.deepEqual(hits[0].probs, { exact: 0.7, substitute: 0.1, complement: 0.1, irrelevant: 0.1 });
      });

      it("k, --no-rerank, --only and custom gains", async () => {
        assert.equal((await pipeline.search("running shoes", { k: 2 })).length, 2);
        const plain = await pipeline.search("running shoes", { k: 3, rerank: false });
        assert.equal(plain[0].id, "c1");
        assert.equal(plain[0].label, undefined);
        assert.equal(plain[0].score, plain[0].stage1_score);
        const subs = await pipeline.search("wireless mouse", { only: "S" });
        assert.deepEqual(subs.map((h) => h.id), ["m2"]);
        const comps = await pipeline.search("wireless mouse", { only: "C" });
        assert.deepEqual(comps.map((h) => h.id), ["m3"]);
        // Complements worth more than exact matches: they come first.
        const g = await pipeline.search("wireless mouse", { k: 1, gains: { C: 5 } });
        assert.equal(g[0].id, "m3");
        await assert.rejects(pipeline.search("mouse", { only: "S", rerank: false }), rejectsWith("INVALID_ARGUMENT"));
        await assert.rejects(pipeline.search("mouse", { k: 0 }), rejectsWith("INVALID_ARGUMENT"));
      });

      it("a small candidate list limits what stage 2 can reorder", async () => {
        const before = scorer.pairs;
        const hits = await pipeline.search("running shoes", { k: 10, candidates: 2 });
        assert.equal(hits.length, 2);
        assert.equal(scorer.pairs - before, 2);
      });

      it("substitutes: the product's title as the query, only those labelled Substitute", async () => {
        const r = await findSubstitutes(pipeline, "m1", { k: 5 });
        assert.equal(r.product.id, "m1");
        assert.deepEqual(r.hits.map((h) => h.id), ["m2"]);
        assert.equal(r.hits[0].label, "substitute");
        assert.equal(r.hits[0].esci, "S");
        assert.equal(r.hits[0].score, 0.7);
        await assert.rejects(findSubstitutes(pipeline, "nope"), rejectsWith("NOT_FOUND"));
      });

      it("--rerank-candidates K reranks only stage 1's top K", async () => {
        const before = scorer.pairs;
        const s1 = await pipeline.stage1("running shoes", { candidates: 20 });
        const hits = await pipeline.search("running shoes", { k: 10, rerankCandidates: 3 });
        assert.equal(scorer.pairs - before, 3);
        assert.deepEqual(new Set(hits.map((h) => h.id)), new Set(s1.slice(0, 3).map((c) => c.id)));
        assert.ok(hits.every((h) => h.label !== undefined));
        await assert.rejects(pipeline.search("mouse", { rerankCandidates: 0 }), rejectsWith("INVALID_ARGUMENT"));
      });

      it("the cascade: a second reranker reorders the first one's top N, the rest keep the first's order", async () => {
        const second = new WordScorer("lightweight");
        const p = new SearchPipeline({ store, embedder: new HashEmbedder(), scorer, secondScorer: second });
        const hits = await p.search("running shoes", { k: 6, secondRerankTop: 3 });
        assert.equal(second.pairs, 3);
        assert.equal(hits[0].id, "r3"); // the only "lightweight" product among the first's top 3
        assert.ok(Math.abs(hits[0].score - (0.97 + 0.01 * 0.1 + 0.01 * 0.01)) < 1e-9 && hits[0].esci === "E");
        assert.deepEqual(new Set(hits.slice(1, 3).map((h) => h.id)), new Set(["r1", "r2"]));
        assert.deepEqual(hits.slice(1, 3).map((h) => h.esci), ["I", "I"]);
        assert.deepEqual(hits.slice(3, 5).map((h) => h.id), ["s1", "c1"]); // first reranker's order
        const off = await p.search("running shoes", { k: 3, secondRerankTop: 0 });
        assert.equal(second.pairs, 3);
        assert.deepEqual(off.map((h) => h.esci), ["E", "E", "E"]);
        assert.throws(() => new SearchPipeline({ store, secondScorer: second }), rejectsWith("INVALID_ARGUMENT"));
      });

      it("refuses a query embedder other than the store's model", async () => {
        const p = new SearchPipeline({ store, embedder: new HashEmbedder("fake/other", 256), scorer });
        await assert.rejects(p.search("running shoes"), rejectsWith("CONFLICT"));
        // Without an embedder stage 1 is BM25 alone.
        const bm25 = new SearchPipeline({ store });
        const hits = await bm25.search("running shoes", { k: 20 });
        assert.ok(hits.every((h) => h.vector_rank === undefined && h.bm25_rank !== undefined));
        assert.equal(hits.length, 5);
      });
    });
  });
}
