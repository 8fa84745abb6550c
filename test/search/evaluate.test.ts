/**
 * Task 1 over a store (evaluateStoreTask1) with the keyword fakes on a hand-made ESCI dataset
 * directory: the store is indexed from the dataset's own products file, and the expected nDCGs
 * follow from the fakes' obvious scores (see fakes.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ESCI_GAINS, type EsciLabel } from "../../src/esci/labels.js";
import { meanNdcg, type JudgedItem } from "../../src/esci/metrics/ranking.js";
import { evaluateStoreTask1 } from "../../src/search/evaluate.js";
import { indexCatalog } from "../../src/search/indexer.js";
import { SearchPipeline } from "../../src/search/pipeline.js";
import { openStore, type CatalogStore } from "../../src/search/store.js";
import { writeDataset, type ExampleRow } from "../esci/helpers.js";
import { HAND_CATALOG, HashEmbedder, KeywordScorer } from "./fakes.js";

const dir = mkdtempSync(join(tmpdir(), "esci-search-eval-"));
const JUDGED: [number, string, string, EsciLabel][] = [
  [1, "running shoes", "r1", "E"],
  [1, "running shoes", "r2", "E"],
  [1, "running shoes", "X404", "E"], // judged but not in the catalog: only in the ideal DCG
  [1, "running shoes", "s1", "S"],
  [1, "running shoes", "c1", "C"],
  [1, "running shoes", "i1", "I"],
  [2, "wireless mouse", "i3", "E"],
  [2, "wireless mouse", "m1", "E"],
  [2, "wireless mouse", "m2", "S"],
  [2, "wireless mouse", "m3", "C"],
  [2, "wireless mouse", "i4", "I"],
];

describe("evaluateStoreTask1", () => {
  let store: CatalogStore;
  let pipeline: SearchPipeline;
  const scorer = new KeywordScorer();
  let data: string;

  before(async () => {
    const examples: ExampleRow[] = JUDGED.map(([qid, query, pid, label]) => ({ query, query_id: qid, product_id: pid, esci_label: label }));
    examples.push({ query: "yoga mat", query_id: 3, product_id: "i5", esci_label: "E", split: "train" }); // filtered out by split
    data = writeDataset(
      join(dir, "esci"),
      examples,
      HAND_CATALOG.map((p) => ({ product_id: p.id, product_title: p.title, product_brand: p.brand ?? null, product_color: p.color ?? null, product_locale: p.locale ?? "us" })),
    );
    store = await openStore(`sqlite:${join(dir, "store.db")}`);
    const r = await indexCatalog(store, { catalog: data, embedder: new HashEmbedder(), locale: "us" });
    assert.equal(r.info.products, HAND_CATALOG.length - 1); // the "es" product is left out
    pipeline = new SearchPipeline({ store, embedder: new HashEmbedder(), scorer });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports stage 1 and stage 1 + rerank side by side, scoring only judged candidates", async () => {
    const before = scorer.pairs;
    const r = await evaluateStoreTask1(pipeline, { data, split: "test", candidates: 100 });
    assert.equal(r.queries, 2);
    assert.equal(r.judgements, 11);
    assert.equal(r.recall, 10 / 11);
    assert.equal(r.recall_exact, 4 / 5);
    assert.equal(r.reranked_pairs, 10);
    assert.equal(scorer.pairs - before, 10);

    // Expected values from the fakes: stage-1 scores as the pipeline gives them, rerank scores
    // = the keyword scorer's expected gains.
    const expected = { E: 0.711, S: 0.171, C: 0.117, I: 0.111 };
    const s1 = new Map<string, Map<string, number>>();
    for (const q of ["running shoes", "wireless mouse"]) s1.set(q, new Map((await pipeline.stage1(q)).map((c) => [c.id, c.score])));
    const items = (score: (q: string, id: string, l: EsciLabel) => number | undefined) =>
      [1, 2].map((qid) => JUDGED.filter((j) => j[0] === qid).map(([, q, id, l]): JudgedItem => ({ id, gain: ESCI_GAINS[l], score: score(q, id, l) })));
    const want1 = meanNdcg(items((q, id) => s1.get(q)!.get(id)));
    const want2 = meanNdcg(items((_q, id, l) => (id === "X404" ? undefined : expected[l])));
    assert.ok(Math.abs(r.stage1.ndcg - want1.ndcg) < 1e-12);
    assert.ok(Math.abs(r.reranked!.ndcg - want2.ndcg) < 1e-12);
    // The complement c1 is BM25's first hit for "running shoes": reranking fixes that.
    assert.ok(r.reranked!.ndcg > r.stage1.ndcg, `${r.reranked!.ndcg} > ${r.stage1.ndcg}`);
    assert.equal(r.per_query.length, 2);
  });

  it("noRerank reports stage 1 only; a short candidate list lowers recall", async () => {
    const r = await evaluateStoreTask1(pipeline, { data, split: "test", candidates: 2, noRerank: true });
    assert.equal(r.reranked, undefined);
    assert.equal(r.reranked_pairs, 0);
    assert.ok(r.recall <= 4 / 11);
  });
});
