/**
 * The SQLite store's HNSW file (search/sqlite/ann.ts): built by indexing, beside the store;
 * kNN through it matches the exact scan on a small catalog; later writes (from this connection
 * or another) reach it through the vector log; a missing or damaged file falls back to the exact
 * scan and the next optimize() rebuilds it; a model reset forgets it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { indexCatalog } from "../../src/search/indexer.js";
import { openStore, type CatalogStore } from "../../src/search/store.js";
import { synthetic, writeJsonl } from "./conformance.js";
import { HashEmbedder } from "./fakes.js";

const dir = mkdtempSync(join(tmpdir(), "esci-ann-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const embedder = new HashEmbedder();
const catalog = synthetic(600);

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/** The exact top k by cosine similarity to `q` (ties by id), as sqlite-vec's scan orders them. */
function exactHits(q: Float32Array, k: number): { id: string; s: number }[] {
  return catalog
    .map((p) => ({ id: p.id, s: dot(q, embedder.embedOne(p.title)) }))
    .sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}


async function built(): Promise<{ store: CatalogStore; path: string }> {
  const path = join(dir, `s${++n}.db`);
  const store = await openStore(`sqlite:${path}`);
  await indexCatalog(store, { catalog: writeJsonl(`c${n}.jsonl`, catalog, dir), embedder, template: "{title}" });
  return { store, path };
}

/**
 * Recall@k against the exact scan, ties counted as found: the bag-of-words vectors tie often,
 * and any of the tied products at the k-th place is a right answer.
 */
async function recall(store: CatalogStore, query: string, k: number): Promise<number> {
  const q = embedder.embedOne(query);
  const kth = exactHits(q, k)[k - 1].s;
  const got = await store.searchVector(q, k);
  return got.filter((h) => dot(q, embedder.embedOne(catalog.find((p) => p.id === h.id)!.title)) >= kth - 1e-6).length / k;
}

describe("SQLite HNSW file", () => {
  it("indexing writes <file>.hnsw; kNN through it finds the exact scan's neighbours", async () => {
    const { store, path } = await built();
    try {
      assert.ok(existsSync(`${path}.hnsw`));
      for (const q of ["wireless black mouse", "vintage lamp model 17", "steel kettle"]) assert.ok((await recall(store, q, 20)) >= 0.95, q);
      const hits = await store.searchVector(embedder.embedOne("compact red shoe"), 10);
      assert.equal(hits.length, 10);
      assert.ok(hits.every((h, i) => i === 0 || hits[i - 1].score >= h.score));
    } finally {
      await store.close();
    }
  });

  it("later writes, from this connection or another, reach the graph through the vector log", async () => {
    const { store, path } = await built();
    const other = await openStore(`sqlite:${path}`);
    try {
      await store.searchVector(embedder.embedOne("warm up"), 1); // loads the graph
      const text = "zebra quartz gizmo";
      await other.write([{ product: { id: "NEW", title: text }, textHash: "h", vector: embedder.embedOne(text) }]);
      assert.equal((await store.searchVector(embedder.embedOne(text), 3))[0].id, "NEW");
      // Deleted by this connection: gone from both.
      await store.delete(["NEW"]);
      assert.notEqual((await store.searchVector(embedder.embedOne(text), 3))[0]?.id, "NEW");
      assert.notEqual((await other.searchVector(embedder.embedOne(text), 3))[0]?.id, "NEW");
      // A product whose text (and vector) changed is found by its new vector.
      const moved = "P000007";
      await other.write([{ product: { id: moved, title: text }, textHash: "h2", vector: embedder.embedOne(text) }]);
      assert.equal((await store.searchVector(embedder.embedOne(text), 1))[0].id, moved);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it("a missing or damaged file: exact scan until optimize() rebuilds it", async () => {
    const { store, path } = await built();
    await store.close();
    writeFileSync(`${path}.hnsw`, "not a graph");
    const s2 = await openStore(`sqlite:${path}`);
    try {
      // The exact scan: every hit is a right one.
      assert.equal(await recall(s2, "portable green backpack", 15), 1);
      await s2.optimize();
      assert.ok((await recall(s2, "portable green backpack", 15)) >= 0.95);
      rmSync(`${path}.hnsw`);
      const s3 = await openStore(`sqlite:${path}`);
      try {
        assert.equal(await recall(s3, "portable green backpack", 15), 1);
      } finally {
        await s3.close();
      }
    } finally {
      await s2.close();
    }
  });

  it("a model reset forgets the graph; the re-embedding run builds a new one", async () => {
    const { store, path } = await built();
    try {
      const other = new HashEmbedder("fake/other", 64);
      await indexCatalog(store, { embedder: other, reindex: true, template: "{title}" });
      const hits = await store.searchVector(other.embedOne("steel kettle"), 5);
      assert.equal(hits.length, 5);
      assert.ok(existsSync(`${path}.hnsw`));
      const q = other.embedOne("steel kettle");
      assert.ok(Math.abs(hits[0].score - dot(q, other.embedOne(catalog.find((p) => p.id === hits[0].id)!.title))) < 1e-5);
    } finally {
      await store.close();
    }
  });
});
