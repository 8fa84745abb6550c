/**
 * The Shopping Queries Dataset reader, on small Parquet files in the official schema written by
 * the tests (several row groups, with and without offset indexes, as pyarrow and hyparquet write
 * them) and on the real 16-row sample next to the repo.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IssueLog, openEsciPairs, parseTemplate, readEsciJudgements, renderTemplate, type EsciJudgement, type PairRecord } from "../../src/esci/index.js";
import { openParquet } from "../../src/io/parquet.js";
import { SAMPLE_SKIP, SAMPLE_DIR, tmp, writeDataset, writeExamples, type ExampleRow, type ProductRow } from "./helpers.js";

async function judgements(path: string, o: Parameters<typeof readEsciJudgements>[1] = {}): Promise<EsciJudgement[]> {
  const out: EsciJudgement[] = [];
  for await (const b of readEsciJudgements(path, o)) out.push(...b);
  return out;
}

async function pairs(dir: string, o: Parameters<typeof openEsciPairs>[1] = {}): Promise<{ total?: number; rows: PairRecord[] }> {
  const src = await openEsciPairs(dir, o);
  const rows: PairRecord[] = [];
  for await (const b of src.batches()) rows.push(...b);
  return { total: src.total, rows };
}

const EXAMPLES: ExampleRow[] = [
  { query: "red shoe", query_id: 1, product_id: "P1", esci_label: "E", split: "train" },
  { query: "red shoe", query_id: 1, product_id: "P2", esci_label: "S", split: "train", small_version: 0 },
  { query: "zapato rojo", query_id: 2, product_id: "P1", product_locale: "es", esci_label: "exact", split: "test" },
  { query: "blue hat", query_id: 3, product_id: "P3", esci_label: "C", split: "test" },
  { query: "blue hat", query_id: 3, product_id: "P4", esci_label: "Irrelevant", split: "test", small_version: 0 },
  { query: "green bag", query_id: 4, product_id: "P5", esci_label: "I", split: "test", large_version: 1 },
];

const PRODUCTS: ProductRow[] = [
  { product_id: "P1", product_title: "Red Shoe", product_brand: "Acme", product_color: "red" },
  { product_id: "P1", product_title: "Zapato Rojo", product_locale: "es" },
  { product_id: "P2", product_title: "Crimson  Sneaker", product_brand: null, product_color: "crimson", product_description: "<b>nice</b>" },
  { product_id: "P3", product_title: "Hat box", product_bullet_point: "fits any hat" },
  { product_id: "P4", product_title: "Garden hose" },
  { product_id: "P5", product_title: "Green bag" },
];

describe("Parquet slices", () => {
  for (const offsetIndex of [false, true]) {
    it(`reads only the named columns, slice by slice across row groups (offset index: ${offsetIndex})`, async () => {
      const dir = tmp();
      const path = join(dir, "e.parquet");
      const rows: ExampleRow[] = Array.from({ length: 1000 }, (_, i) => ({ query: `q${i % 37}`, query_id: i % 37, product_id: `P${i}`, esci_label: "ESCI"[i % 4] }));
      writeExamples(path, rows, { rowGroupSize: 300, offsetIndex, pageSize: 512 });
      const pq = await openParquet(path);
      assert.equal(pq.numRows, 1000);
      assert.equal(pq.metadata.row_groups.length, 4);
      const ids: unknown[] = [];
      const starts: number[] = [];
      for await (const s of pq.slices(["product_id", "query_id"], 64)) {
        assert.deepEqual(Object.keys(s.columns), ["product_id", "query_id"]);
        assert.ok(s.length <= 64);
        starts.push(s.rowStart);
        for (let i = 0; i < s.length; i++) ids.push(s.columns.product_id[i]);
        assert.equal(s.columns.query_id[0], BigInt((s.rowStart) % 37));
      }
      await pq.close();
      assert.deepEqual(ids, rows.map((r) => r.product_id));
      assert.ok(starts.includes(300) && starts.includes(600), "slices restart at row-group boundaries");
    });
  }

  it("a missing column is an error naming the file and the column", async () => {
    const path = join(tmp(), "e.parquet");
    writeExamples(path, EXAMPLES);
    const pq = await openParquet(path);
    await assert.rejects(async () => {
      for await (const _ of pq.slices(["query", "nope"])) void _;
    }, /e\.parquet: missing column "nope"/);
    await pq.close();
  });

  it("a file that is not Parquet is INVALID_INPUT", async () => {
    const { writeFileSync } = await import("node:fs");
    const path = join(tmp(), "bad.parquet");
    writeFileSync(path, "not parquet at all, just text that is long enough");
    await assert.rejects(openParquet(path), (e: Error & { code?: string }) => e.code === "INVALID_INPUT" && /not a readable Parquet file/.test(e.message));
  });
});

describe("ESCI judgements", () => {
  const dir = writeDataset(tmp(), EXAMPLES, PRODUCTS);

  it("filters by locale (us by default), split and version; normalises labels; ids as strings", async () => {
    const all = await judgements(dir);
    assert.deepEqual(
      all.map((j) => [j.query_id, j.product_id, j.esci_label]),
      [
        ["1", "P1", "E"],
        ["1", "P2", "S"],
        ["3", "P3", "C"],
        ["3", "P4", "I"],
        ["4", "P5", "I"],
      ],
    );
    assert.deepEqual(
      (await judgements(dir, { split: "test" })).map((j) => j.product_id),
      ["P3", "P4", "P5"],
    );
    assert.deepEqual(
      (await judgements(dir, { version: "small" })).map((j) => j.product_id),
      ["P1", "P3", "P5"],
    );
    assert.deepEqual(
      (await judgements(dir, { locale: "es" })).map((j) => [j.product_id, j.esci_label, j.row]),
      [["P1", "E", 3]],
    );
    assert.equal((await judgements(dir, { locale: "all" })).length, 6);
    assert.deepEqual(
      (await judgements(dir, { limit: 2, split: "test" })).map((j) => j.product_id),
      ["P3", "P4"],
    );
  });

  it("unknown labels and null ids are errors naming file, row and column — or counted skips", async () => {
    const bad = writeDataset(
      tmp(),
      [
        { query: "a", query_id: 1, product_id: "P1", esci_label: "E" },
        { query: "a", query_id: 1, product_id: "P2", esci_label: "X" },
        { query: "a", query_id: null, product_id: "P3", esci_label: "E" },
      ],
      PRODUCTS,
    );
    await assert.rejects(judgements(bad), /shopping_queries_dataset_examples\.parquet, row 2, column "esci_label": unknown label "X"/);
    const log = new IssueLog();
    const ok = await judgements(bad, { onIssue: log.add });
    assert.equal(ok.length, 1);
    assert.equal(log.count, 2);
    assert.deepEqual(
      log.items.map((i) => [i.kind, i.row, i.column]),
      [
        ["unknown_label", 2, "esci_label"],
        ["missing_value", 3, "query_id"],
      ],
    );
  });

  it("a row whose locale is null is reported, not filtered away silently", async () => {
    const d = writeDataset(tmp(), [{ query: "a", query_id: 1, product_id: "P1", esci_label: "E" }, { query: "a", query_id: 1, product_id: "P2", esci_label: "E", product_locale: null }], PRODUCTS);
    await assert.rejects(judgements(d), /row 2, column "product_locale": missing value/);
    const log = new IssueLog();
    assert.equal((await judgements(d, { locale: "all", onIssue: log.add })).length, 1);
    assert.deepEqual(log.items.map((i) => [i.row, i.column, i.kind]), [[2, "product_locale", "missing_value"]]);
  });

  it("a directory without the examples file is NOT_FOUND", async () => {
    await assert.rejects(judgements(tmp()), (e: Error & { code?: string }) => e.code === "NOT_FOUND" && /not an ESCI dataset directory/.test(e.message));
  });
});

describe("ESCI pairs (judgements ⋈ products)", () => {
  const dir = writeDataset(tmp(), EXAMPLES, PRODUCTS, { rowGroupSize: 2 });

  it("joins on (product_id, product_locale) and renders the title by default", async () => {
    const { total, rows } = await pairs(dir, { locale: "all" });
    assert.equal(total, 6);
    assert.deepEqual(
      rows.map((r) => [r.query, r.product, r.label]),
      [
        ["red shoe", "Red Shoe", "E"],
        ["red shoe", "Crimson Sneaker", "S"],
        ["zapato rojo", "Zapato Rojo", "E"],
        ["blue hat", "Hat box", "C"],
        ["blue hat", "Garden hose", "I"],
        ["green bag", "Green bag", "I"],
      ],
    );
    assert.deepEqual(rows[0].fields, {
      example_id: 0n,
      query_id: 1n,
      query: "red shoe",
      product_id: "P1",
      product_locale: "us",
      esci_label: "E",
      product: "Red Shoe",
    });
  });

  it("template: brand, colour, bullets, description; nulls vanish; field lists accepted", async () => {
    const { rows } = await pairs(dir, { template: "{title} | {brand} | {color}", limit: 2 });
    assert.deepEqual(
      rows.map((r) => r.product),
      ["Red Shoe | Acme | red", "Crimson Sneaker | | crimson"],
    );
    const t = parseTemplate("title,bullets,description");
    assert.deepEqual(t.columns, ["product_title", "product_bullet_point", "product_description"]);
    assert.equal(renderTemplate(t, (c) => ({ product_title: "A", product_bullet_point: null, product_description: "d" })[c]), "A d");
    assert.throws(() => parseTemplate("{title} {price}"), /unknown field "\{price\}"/);
  });

  it("a judgement whose product is missing from the products file: error, or a counted skip — never a crash", async () => {
    const d = writeDataset(tmp(), [...EXAMPLES, { query: "ghost", query_id: 9, product_id: "NOPE", esci_label: "E" }], PRODUCTS);
    await assert.rejects(pairs(d), /row 7, column "product_id": product "NOPE" \(locale us\) is not in shopping_queries_dataset_products\.parquet/);
    const log = new IssueLog();
    const { rows } = await pairs(d, { onIssue: log.add });
    assert.equal(rows.length, 5);
    assert.equal(log.count, 1);
    assert.equal(log.items[0].kind, "missing_product");
    assert.equal(log.items[0].row, 7);
  });

  it("reads only the products the selection needs", async () => {
    const { rows } = await pairs(dir, { split: "test", limit: 1 });
    assert.deepEqual(
      rows.map((r) => r.product_id),
      ["P3"],
    );
  });
});

describe("the real ESCI sample (16 rows, official files)", { skip: SAMPLE_SKIP }, () => {
  it("reads every judgement with INT64 ids, E/S/C/I labels and product text; ignores __index_level_0__", async () => {
    const js = await judgements(SAMPLE_DIR, { split: "test", version: "large" });
    assert.equal(js.length, 16);
    assert.ok(js.every((j) => j.query_id === "535" && j.product_locale === "us"));
    const counts: Record<string, number> = {};
    for (const j of js) counts[j.esci_label] = (counts[j.esci_label] ?? 0) + 1;
    assert.deepEqual(counts, { S: 6, I: 7, E: 3 });
    const { total, rows } = await pairs(SAMPLE_DIR, { template: "{title} {brand} {color}" });
    assert.equal(total, 16);
    assert.equal(rows.length, 16);
    assert.equal(rows[0].query, "06 bmw 325i radio oem not navigation system");
    assert.ok(rows.every((r) => r.product.length > 10 && !/\s\s/.test(r.product)));
    assert.ok(rows[0].product.startsWith("Apple Carplay Double Din Car Stereo"));
  });
});
