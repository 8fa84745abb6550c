/**
 * The two-stage search pipeline — the one code path behind `esci search`, `esci substitutes`,
 * the Task 1 store evaluation and the HTTP server.
 *
 *   stage 1  BM25 (the store's full-text index) and vector kNN (the query embedded by the
 *            store's bi-encoder) each return `candidates` ids; reciprocal rank fusion merges them.
 *            BM25 runs while the bi-encoder computes (its ONNX run is asynchronous), then kNN.
 *   stage 2  the cross-encoder scores (query, product text) for the top `rerankCandidates` of
 *            stage 1 (default: all of them); hits are sorted by expected gain Σ P(label)·gain(label)
 *            — with the Task 1 gains E 1, S 0.1, C 0.01, I 0 that is the ranking that maximises
 *            expected nDCG for a calibrated model — ties kept in stage-1 order.
 *   cascade  optionally a second, larger cross-encoder rescores the first one's top
 *            `secondRerankTop` hits, which then lead in its order; the rest keep the first's.
 *
 * Work not repeated (search/cache.ts): with `caches`, query embeddings, stage-1 lists (keyed by
 * the store's generation) and predictions (keyed by the scorer's cacheKey) are looked up first.
 *
 * The pipeline depends on the PairScorer and TextEmbedder contracts, not on ONNX Runtime, so
 * tests run it with fakes whose scores follow from keywords.
 */
import { EsciError } from "../errors/index.js";
import { expectedGain, resolveGains, type EsciGains } from "../esci/gains.js";
import { esciLabelsOf, type EsciLabel } from "../esci/labels.js";
import type { PairPrediction, PairScorer, TextEmbedder } from "../models/types.js";
import { digestKey, type SearchCaches } from "./cache.js";
import { DEFAULT_RRF_K, reciprocalRankFusion } from "./fusion.js";
import { DEFAULT_RERANK_TEMPLATE, productText, type CatalogProduct } from "./product.js";
import { sameSpace, type CatalogStore, type ScoredId } from "./store.js";

export interface SearchHit {
  id: string;
  title: string;
  /** Expected gain after reranking; the stage-1 (RRF) score without. */
  score: number;
  /** Arg-max label of the cross-encoder, its id2label name (absent without reranking). */
  label?: string;
  /** That label's ESCI letter. */
  esci?: EsciLabel;
  /** Probabilities keyed by the cross-encoder's label names. */
  probs?: Record<string, number>;
  /** Present (true) when the probabilities come from the model's stored calibration. */
  calibrated?: true;
  /** 1-based rank after stage 1. */
  stage1_rank: number;
  stage1_score: number;
  /** 1-based ranks in the BM25 and vector lists (absent when the list did not return the product). */
  bm25_rank?: number;
  vector_rank?: number;
  product: CatalogProduct;
}

export interface Stage1Options {
  /** Length of each list and of the fused result (default 100). */
  candidates?: number;
  /** RRF constant (default 60). */
  rrfK?: number;
  /** Ids never returned (e.g. the product itself when looking for its substitutes). */
  exclude?: ReadonlySet<string>;
  /** Use this vector instead of embedding the query (e.g. a product's stored vector). */
  vector?: Float32Array;
}

export interface RerankOptions {
  /** ESCI gains for the expected-gain sort (default ESCI_GAINS: E 1, S 0.1, C 0.01, I 0). */
  gains?: Partial<EsciGains>;
  /** Product text the cross-encoder reads (esci/dataset.ts template syntax; default "{title}"). */
  productTemplate?: string;
  batchSize?: number;
  maxLength?: number;
  /** false: the scorer's raw softmax even when its model has a stored calibration. */
  calibration?: boolean;
}

export interface SearchOptions extends Stage1Options, RerankOptions {
  /** Hits returned (default 10). */
  k?: number;
  /** Rerank with the cross-encoder (default: when the pipeline has one). */
  rerank?: boolean;
  /** Rerank only stage 1's top K (default: every candidate); the answer holds at most K hits. */
  rerankCandidates?: number;
  /** With a second reranker: how many of the first reranker's best it rescores (default 10; 0: none). */
  secondRerankTop?: number;
  /** Keep only hits whose arg-max label is this one (needs reranking). */
  only?: EsciLabel;
}

/** One stage-1 result: the RRF score, the fused rank and the rank in each list. */
export interface Stage1Candidate {
  id: string;
  score: number;
  /** 1-based rank after fusion. */
  rank: number;
  bm25_rank?: number;
  vector_rank?: number;
}

export interface PipelineParts {
  store: CatalogStore;
  /** Embeds queries; must be the model that made the store's vectors. Without it stage 1 is BM25 only. */
  embedder?: TextEmbedder;
  /** The ESCI cross-encoder for stage 2. */
  scorer?: PairScorer;
  /** A second, larger ESCI cross-encoder over the first one's top hits (the cascade). */
  secondScorer?: PairScorer;
  /** Shared caches (one per process, so that requests reuse each other's work). */
  caches?: SearchCaches;
}

/** One cross-encoder with its labels as ESCI letters. */
interface Reranker {
  scorer: PairScorer;
  letters: EsciLabel[];
}

function reranker(scorer: PairScorer | undefined): Reranker | undefined {
  // Fails early, with the model's label names, when the scorer is not an ESCI classifier.
  return scorer && { scorer, letters: esciLabelsOf(scorer.labels) };
}

export const DEFAULT_K = 10;
export const DEFAULT_CANDIDATES = 100;
export const DEFAULT_SECOND_RERANK_TOP = 10;

function checkCount(option: keyof SearchOptions, v: number, max = 10_000): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new EsciError("INVALID_ARGUMENT", `\`${option}\` must be an integer from 1 to ${max}, got ${v}`, { option, value: v, limit: max });
}

export class SearchPipeline {
  readonly store: CatalogStore;
  readonly embedder?: TextEmbedder;
  readonly scorer?: PairScorer;
  readonly caches?: SearchCaches;
  private readonly first?: Reranker;
  private readonly second?: Reranker;
  private checkedEmbedder = false;

  constructor(parts: PipelineParts) {
    this.store = parts.store;
    this.embedder = parts.embedder;
    this.scorer = parts.scorer;
    this.caches = parts.caches;
    this.first = reranker(parts.scorer);
    this.second = reranker(parts.secondScorer);
    if (this.second && !this.first) throw new EsciError("INVALID_ARGUMENT", "a second reranker (`secondScorer`) needs a first one (`scorer`)", { option: "secondScorer", options: ["scorer"] });
  }

  /** The query's embedding, from the cache when it holds one. */
  private async embedQuery(query: string): Promise<Float32Array> {
    const cache = this.caches?.embeddings;
    const key = `${this.embedder!.modelId}\u0000${query}`;
    const hit = cache?.get(key);
    if (hit) return hit;
    const v = (await this.embedder!.embed([query]))[0];
    cache?.set(key, v);
    return v;
  }

  /** The query embedder must be the model (and dimension) that made the store's vectors. */
  private async vectorLegAvailable(): Promise<boolean> {
    const space = await this.store.embedding();
    if (!space || !this.embedder) return false;
    if (!this.checkedEmbedder) {
      const mine = { model: this.embedder.modelId, dimension: this.embedder.dimension, template: space.template };
      if (!sameSpace(space, mine)) {
        throw new EsciError(
          "CONFLICT",
          `store ${this.store.location} holds vectors of "${space.model}" (dimension ${space.dimension}); queries were to be embedded by "${mine.model}" (dimension ${mine.dimension}) — embed them with "${space.model}" (\`embedder\`)`,
          { store: this.store.location, stored: space, embedder: mine, option: "embedder" },
        );
      }
      this.checkedEmbedder = true;
    }
    return true;
  }

  /** Stage 1: BM25 and vector kNN fused by RRF, best first, at most `candidates` long. */
  async stage1(query: string, options: Stage1Options = {}): Promise<Stage1Candidate[]> {
    const n = options.candidates ?? DEFAULT_CANDIDATES;
    checkCount("candidates", n);
    const exclude = options.exclude ?? new Set<string>();
    const rrfK = options.rrfK ?? DEFAULT_RRF_K;
    const useVector = options.vector !== undefined || (await this.vectorLegAvailable());
    // A given vector (substitutes) is not part of the key: those lists are not cached.
    const cache = options.vector ? undefined : this.caches?.stage1;
    const key = cache && digestKey([await this.store.generation(), useVector ? this.embedder!.modelId : "", query, n, rrfK, ...[...exclude].sort()]);
    const hit = key ? (cache!.get(key) as Stage1Candidate[] | undefined) : undefined;
    if (hit) return hit.map((c) => ({ ...c }));
    // Over-fetch by the excluded count so that excluding ids does not shorten the lists.
    const fetch = n + exclude.size;
    // The kNN leg starts first: while ONNX Runtime embeds the query off this thread, BM25 runs.
    const knn = useVector ? (options.vector ? Promise.resolve(options.vector) : this.embedQuery(query)).then((v) => this.store.searchVector(v, fetch)) : Promise.resolve([] as ScoredId[]);
    const [text, vec] = await Promise.all([this.store.searchText(query, fetch), knn]);
    const keep = (l: ScoredId[]) => l.filter((x) => !exclude.has(x.id)).slice(0, n);
    const fused = reciprocalRankFusion([keep(text), keep(vec)], rrfK).slice(0, n);
    const out = fused.map((f, i) => ({ id: f.id, score: f.score, rank: i + 1, bm25_rank: f.ranks[0], vector_rank: f.ranks[1] }));
    if (key) cache!.set(key, out.map((c) => ({ ...c })));
    return out;
  }

  /**
   * Stage 2: cross-encoder predictions for (query, product) pairs — the label's name and ESCI
   * letter, probabilities by label name — with the expected gain of each. Input order is kept;
   * sorting is the caller's. `which` picks the cascade's second reranker.
   */
  async rerank(query: string, products: readonly CatalogProduct[], options: RerankOptions = {}, which: "first" | "second" = "first"): Promise<{ label: string; esci: EsciLabel; probs: Record<string, number>; gain: number; calibrated?: true }[]> {
    const r = which === "first" ? this.first : this.second;
    if (!r) {
      throw which === "first"
        ? new EsciError("INVALID_ARGUMENT", "reranking needs a cross-encoder (`scorer`), or use `rerank: false`", { option: "scorer", options: ["rerank"] })
        : new EsciError("INVALID_ARGUMENT", "no second reranker (`secondScorer`)", { option: "secondScorer" });
    }
    const gains = resolveGains(options.gains);
    const text = productText(options.productTemplate ?? DEFAULT_RERANK_TEMPLATE);
    if (!products.length) return [];
    const pairs = products.map((p) => [query, text(p)] as const);
    const preds = await this.predictCached(r.scorer, pairs, options);
    return preds.map((pred) => {
      const probs = { E: 0, S: 0, C: 0, I: 0 } as Record<EsciLabel, number>;
      r.letters.forEach((l, i) => (probs[l] += pred.probs[r.scorer.labels[i]] ?? 0));
      let esci: EsciLabel = r.letters[0];
      for (const l of r.letters) if (probs[l] > probs[esci]) esci = l;
      return { label: pred.label, esci, probs: pred.probs, gain: expectedGain(pred.probs, gains), ...(pred.calibrated ? { calibrated: true as const } : {}) };
    });
  }

  /** The scorer's predictions, the cached ones looked up and only the rest computed (in one call). */
  private async predictCached(scorer: PairScorer, pairs: readonly (readonly [string, string])[], options: RerankOptions): Promise<PairPrediction[]> {
    const predictOptions = { batchSize: options.batchSize, maxLength: options.maxLength, calibration: options.calibration };
    const cache = scorer.cacheKey === undefined ? undefined : this.caches?.scores;
    if (!cache) return scorer.predict(pairs, predictOptions);
    const keys = pairs.map(([q, t]) => digestKey([scorer.cacheKey!, options.maxLength ?? "", options.calibration === false ? "raw" : "calibrated", q, t]));
    const out = keys.map((k) => cache.get(k) as PairPrediction | undefined);
    const missing = out.flatMap((p, i) => (p ? [] : [i]));
    if (missing.length) {
      const fresh = await scorer.predict(missing.map((i) => pairs[i]), predictOptions);
      missing.forEach((i, j) => {
        out[i] = fresh[j];
        cache.set(keys[i], fresh[j]);
      });
    }
    return out as PairPrediction[];
  }

  /**
   * Stage-1 candidates → hits carrying their products (score = the stage-1 score). A product
   * deleted between the two reads is dropped rather than returned without its text.
   */
  async hydrate(cands: readonly Stage1Candidate[]): Promise<SearchHit[]> {
    const products = await this.store.get(cands.map((c) => c.id));
    const byId = new Map(products.map((p) => [p.id, p]));
    return cands
      .filter((c) => byId.has(c.id))
      .map((c) => ({
        id: c.id,
        title: byId.get(c.id)!.title,
        score: c.score,
        stage1_rank: c.rank,
        stage1_score: c.score,
        ...(c.bm25_rank !== undefined ? { bm25_rank: c.bm25_rank } : {}),
        ...(c.vector_rank !== undefined ? { vector_rank: c.vector_rank } : {}),
        product: byId.get(c.id)!,
      }));
  }

  /** Stage 1, then (unless `rerank: false`) stage 2, the cascade and the expected-gain sort; the top `k` hits. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const k = options.k ?? DEFAULT_K;
    checkCount("k", k);
    const rerank = options.rerank ?? this.scorer !== undefined;
    if (options.only && !rerank) {
      throw new EsciError("INVALID_ARGUMENT", "`only` needs the cross-encoder's labels: drop `rerank: false` and give a `scorer`", { option: "only", options: ["rerank", "scorer"] });
    }
    if (options.rerankCandidates !== undefined) checkCount("rerankCandidates", options.rerankCandidates);
    if (options.secondRerankTop !== undefined && options.secondRerankTop !== 0) checkCount("secondRerankTop", options.secondRerankTop);
    if (!query.trim()) throw new EsciError("INVALID_ARGUMENT", "empty query");
    const cands = await this.stage1(query, options);
    let hits = await this.hydrate(rerank && options.rerankCandidates !== undefined ? cands.slice(0, options.rerankCandidates) : cands);
    if (rerank) {
      await this.rescore(query, hits, options, "first");
      if (this.second && options.secondRerankTop !== 0) {
        const top = hits.slice(0, options.secondRerankTop ?? DEFAULT_SECOND_RERANK_TOP);
        await this.rescore(query, top, options, "second");
        hits = [...top, ...hits.slice(top.length)];
      }
      if (options.only) hits = hits.filter((h) => h.esci === options.only);
    }
    return hits.slice(0, k);
  }

  /** Score `hits` with one reranker and sort them in place by expected gain (ties: stage-1 order). */
  private async rescore(query: string, hits: SearchHit[], options: SearchOptions, which: "first" | "second"): Promise<void> {
    const preds = await this.rerank(query, hits.map((h) => h.product), options, which);
    hits.forEach((h, i) => {
      h.score = preds[i].gain;
      h.label = preds[i].label;
      h.esci = preds[i].esci;
      h.probs = preds[i].probs;
      if (preds[i].calibrated) h.calibrated = true;
      else delete h.calibrated;
    });
    hits.sort((a, b) => b.score - a.score || a.stage1_rank - b.stage1_rank);
  }
}
