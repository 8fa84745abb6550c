/**
 * Task 1 evaluation of the search pipeline over a store: for every judged query of an ESCI
 * dataset, nDCG of stage 1 alone and of stage 1 + rerank, side by side (`esci evaluate --task 1
 * --store STORE`).
 *
 * Unlike the KDD Cup setting, where a model only re-orders the judged products of each query, here
 * the products come from retrieval over the whole store, so a judged product that stage 1 misses
 * counts only in the ideal DCG (trec_eval's behaviour, esci/metrics/ranking.ts) and the recall of
 * stage 1 bounds what reranking can reach; `recall_exact` reports it.
 *
 * Under trec_eval -J unjudged products are dropped before ranking, so nDCG depends only on the
 * relative order of the judged candidates: the cross-encoder scores just those (exactly the same
 * numbers as scoring all candidates, at a fraction of the cost).
 */
import { readEsciJudgements, type EsciFilter } from "../esci/dataset.js";
import type { IssueHandler } from "../esci/issues.js";
import { ESCI_GAINS, type EsciLabel } from "../esci/labels.js";
import { meanNdcg, type JudgedItem, type NdcgResult } from "../esci/metrics/ranking.js";
import { DEFAULT_CANDIDATES, type RerankOptions, type SearchPipeline } from "./pipeline.js";

export interface StoreTask1Options extends EsciFilter, RerankOptions {
  /** ESCI dataset directory (or its examples .parquet). */
  data: string;
  /** Stage-1 candidates per query (default 100). */
  candidates?: number;
  rrfK?: number;
  /** Skip stage 2 (report stage 1 only). */
  noRerank?: boolean;
  onIssue?: IssueHandler;
  /** (queries done, queries total). */
  onProgress?: (done: number, total: number) => void;
}

export interface StoreTask1Side {
  ndcg: number;
  queries: number;
  zero_ideal_queries: number;
}

export interface StoreTask1Result {
  store: string;
  candidates: number;
  queries: number;
  judgements: number;
  /** Judged products that stage 1 returned, over all judgements. */
  recall: number;
  /** Judged Exact products that stage 1 returned, over all Exact judgements. */
  recall_exact: number;
  stage1: StoreTask1Side;
  reranked?: StoreTask1Side;
  /** Pairs the cross-encoder scored. */
  reranked_pairs: number;
  per_query: { query_id: string; query: string; stage1?: number; reranked?: number }[];
}

interface JudgedQuery {
  query_id: string;
  query: string;
  labels: Map<string, EsciLabel>;
}

function side(r: NdcgResult): StoreTask1Side {
  return { ndcg: r.ndcg, queries: r.queries, zero_ideal_queries: r.zero_ideal_queries };
}

/** nDCG of stage 1 and of stage 1 + rerank for the judged queries of an ESCI dataset. */
export async function evaluateStoreTask1(pipeline: SearchPipeline, options: StoreTask1Options): Promise<StoreTask1Result> {
  const candidates = options.candidates ?? DEFAULT_CANDIDATES;
  const queries = new Map<string, JudgedQuery>();
  let judgements = 0;
  for await (const batch of readEsciJudgements(options.data, { ...options, version: options.version ?? "small", withQuery: true, onIssue: options.onIssue })) {
    for (const j of batch) {
      let q = queries.get(j.query_id);
      if (!q) queries.set(j.query_id, (q = { query_id: j.query_id, query: j.query ?? "", labels: new Map() }));
      if (!q.labels.has(j.product_id)) judgements++;
      q.labels.set(j.product_id, j.esci_label);
    }
  }
  const rerank = !options.noRerank;
  const stage1Items: JudgedItem[][] = [];
  const rerankItems: JudgedItem[][] = [];
  const perQuery: StoreTask1Result["per_query"] = [];
  let found = 0;
  let exact = 0;
  let exactFound = 0;
  let pairs = 0;
  let done = 0;
  for (const q of queries.values()) {
    const cands = await pipeline.stage1(q.query, { candidates, rrfK: options.rrfK });
    const judged = cands.filter((c) => q.labels.has(c.id));
    const s1 = new Map(judged.map((c) => [c.id, c.score]));
    let s2 = new Map<string, number>();
    if (rerank && judged.length) {
      const products = await pipeline.store.get(judged.map((c) => c.id));
      const preds = await pipeline.rerank(q.query, products, options);
      s2 = new Map(products.map((p, i) => [p.id, preds[i].gain]));
      pairs += products.length;
    }
    const a: JudgedItem[] = [];
    const b: JudgedItem[] = [];
    for (const [id, label] of q.labels) {
      const gain = ESCI_GAINS[label];
      a.push({ id, gain, score: s1.get(id) });
      b.push({ id, gain, score: s2.get(id) });
      if (label === "E") exact++;
      if (s1.has(id)) {
        found++;
        if (label === "E") exactFound++;
      }
    }
    stage1Items.push(a);
    if (rerank) rerankItems.push(b);
    options.onProgress?.(++done, queries.size);
  }
  const r1 = meanNdcg(stage1Items);
  const r2 = rerank ? meanNdcg(rerankItems) : undefined;
  [...queries.values()].forEach((q, i) => perQuery.push({ query_id: q.query_id, query: q.query, stage1: r1.per_query[i], ...(r2 ? { reranked: r2.per_query[i] } : {}) }));
  return {
    store: pipeline.store.location,
    candidates,
    queries: queries.size,
    judgements,
    recall: judgements ? found / judgements : 0,
    recall_exact: exact ? exactFound / exact : 0,
    stage1: side(r1),
    ...(r2 ? { reranked: side(r2) } : {}),
    reranked_pairs: pairs,
    per_query: perQuery,
  };
}
