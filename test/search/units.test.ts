/** Small pure pieces of search/: RRF, catalog rows → products, query terms, store specs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEsciError } from "../../src/errors/index.js";
import { reciprocalRankFusion } from "../../src/search/fusion.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexCatalog } from "../../src/search/indexer.js";
import { capProduct, productFromRow, productText } from "../../src/search/product.js";
import { openStore, queryTerms } from "../../src/search/store.js";
import { parseVectorLiteral, vectorLiteral } from "../../src/search/postgres/store.js";

describe("reciprocalRankFusion", () => {
  it("sums 1/(k + rank) over the lists, best first, with deterministic ties", () => {
    const f = reciprocalRankFusion(
      [
        [{ id: "a", score: 9 }, { id: "b", score: 8 }, { id: "c", score: 1 }],
        [{ id: "c", score: 0.9 }, { id: "a", score: 0.8 }, { id: "d", score: 0.1 }],
      ],
      60,
    );
    assert.deepEqual(f.map((x) => x.id), ["a", "c", "b", "d"]);
    assert.equal(f[0].score, 1 / 61 + 1 / 62);
    assert.deepEqual(f[0].ranks, [1, 2]);
    assert.deepEqual(f[2].ranks, [2, undefined]);
    // b (rank 2 in one list) and e (rank 2 in the other) tie: the smaller id first.
    const t = reciprocalRankFusion([[{ id: "x", score: 1 }, { id: "e", score: 0 }], [{ id: "y", score: 1 }, { id: "b", score: 0 }]]);
    assert.deepEqual(t.map((x) => x.id), ["x", "y", "b", "e"]);
    assert.deepEqual(reciprocalRankFusion([[], []]), []);
  });
});

describe("the character cap on catalog products", () => {
  it("capProduct cuts every text field and attribute, and leaves short ones alone", () => {
    const p = { id: "B1", title: "t".repeat(50), brand: "Acme", description: "d".repeat(50), attributes: { size: "s".repeat(50) } };
    assert.deepEqual(capProduct(p, 10), { id: "B1", title: "t".repeat(10), brand: "Acme", description: "d".repeat(10), attributes: { size: "s".repeat(10) } });
  });

  it("indexCatalog stores a huge title cut to maxChars", async () => {
    const dir = mkdtempSync(join(tmpdir(), "esci-units-cap-"));
    try {
      const catalog = join(dir, "catalog.jsonl");
      writeFileSync(catalog, `${JSON.stringify({ id: "HUGE", title: "car stereo ".repeat(100_000) })}\n${JSON.stringify({ id: "S", title: "usb cable" })}\n`);
      const store = await openStore(`sqlite:${join(dir, "s.db")}`);
      try {
        await indexCatalog(store, { catalog, maxChars: 1000 });
        const [huge, small] = await store.get(["HUGE", "S"]);
        assert.equal(huge.title, "car stereo ".repeat(100_000).slice(0, 1000));
        assert.equal(small.title, "usb cable");
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("productFromRow", () => {
  it("reads ESCI product_* columns, arrays of bullets and free attributes", () => {
    const p = productFromRow(
      { product_id: "B1", product_title: " Shoe ", product_brand: "Acme", product_color: null, product_bullet_point: ["a", "b"], product_locale: "us", size: 10, extra: "", attributes: '{"fit":"wide"}' },
      "f.jsonl",
      3,
    );
    assert.deepEqual(p, { id: "B1", title: "Shoe", brand: "Acme", bullet_points: "a\nb", locale: "us", attributes: { fit: "wide", size: "10" } });
    assert.equal(productText("{title} {brand} {color}")(p as never), "Shoe Acme");
  });
  it("names the row and column of a product without id or title", () => {
    const a = productFromRow({ title: "x" }, "f.csv", 7);
    assert.ok("issue" in a && a.issue.kind === "missing_column" && a.issue.row === 7);
    const b = productFromRow({ id: 5n, title: "" }, "f.csv", 8);
    assert.ok("issue" in b && b.issue.column === "title" && /"5" has no title/.test(b.issue.reason));
  });
});

describe("store helpers", () => {
  it("query terms keep letters and digits only, so no query syntax reaches FTS5 or to_tsquery", () => {
    assert.deepEqual(queryTerms(`Red "shoes" OR size:10 & -café NEAR(x) red`), ["red", "shoes", "or", "size", "10", "café", "near", "x"]);
    assert.deepEqual(queryTerms("?!"), []);
  });
  it("pgvector literals round-trip float32 values", () => {
    const v = Float32Array.from([0.1, -2.5e-8, 3, 1 / 3]);
    assert.deepEqual(parseVectorLiteral(vectorLiteral(v)), v);
  });
  it("rejects unknown store kinds and empty specs with INVALID_ARGUMENT", async () => {
    await assert.rejects(openStore("mysql://x/y"), (e) => isEsciError(e) && e.code === "INVALID_ARGUMENT");
    await assert.rejects(openStore(" "), (e) => isEsciError(e) && e.code === "INVALID_ARGUMENT");
  });
});

describe("LruCache", () => {
  it("evicts the least recently used entry, counts hits, misses and evictions", async () => {
    const { LruCache, hitRate } = await import("../../src/search/cache.js");
    const c = new LruCache<number>(2);
    c.set("a", 1);
    c.set("b", 2);
    assert.equal(c.get("a"), 1); // a is now the most recent
    c.set("c", 3); // evicts b
    assert.equal(c.get("b"), undefined);
    assert.equal(c.get("c"), 3);
    c.set("a", 10); // replacing keeps the size
    assert.equal(c.get("a"), 10);
    assert.deepEqual(c.stats(), { hits: 3, misses: 1, evictions: 1, size: 2, capacity: 2 });
    assert.equal(hitRate(c.stats()), 0.75);
    const off = new LruCache<number>(0);
    off.set("a", 1);
    assert.equal(off.get("a"), undefined);
    assert.equal(off.size, 0);
    assert.throws(() => new LruCache(-1), RangeError);
  });
});
