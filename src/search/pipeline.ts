/**
 * The two-stage search pipeline — the one code path behind `esci search`, `esci substitutes`,
 * the Task 1 store evaluation and (later) the HTTP server.
 *
 *   stage 1  BM25 (the store's full-text index) and vector kNN (the query embedded by the
 *            store's bi-encoder) each return `candidates` ids; reciprocal rank fusion merges them.
 *   stage 2  the cross-encoder scores (query, product text) for every candidate; hits are sorted
 *            by expected gain Σ P(label)·gain(label) — with the Task 1 gains E 1, S 0.1, C 0.01,
 *            I 0 that is the ranking that maximises expected nDCG for a calibrated model — ties
 *            kept in stage-1 order.
 *
 * The pipeline depends on the PairScorer and TextEmbedder contracts, not on ONNX Runtime, so
 * tests run it with fakes whose scores follow from keywords.
 */
import { EsciError } from "../errors/index.js";
import { ESCI_GAINS, esciLabelsOf, type EsciLabel } from "../esci/labels.js";
import type { PairScorer, TextEmbedder } from "../models/types.js";
import { DEFAULT_RRF_K, reciprocalRankFusion } from "./fusion.js";
import { DEFAULT_RERANK_TEMPLATE, productText, type CatalogProduct } from "./product.js";
import { sameSpace, type CatalogStore, type ScoredId } from "./store.js";

export type EsciGains = Readonly<Record<EsciLabel, number>>;

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
}

export interface SearchOptions extends Stage1Options, RerankOptions {
  /** Hits returned (default 10). */
  k?: number;
  /** Rerank with the cross-encoder (default: when the pipeline has one). */
  rerank?: boolean;
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
}

export const DEFAULT_K = 10;
export const DEFAULT_CANDIDATES = 100;

/** Gains with defaults filled in, validated. */
export function resolveGains(gains: Partial<EsciGains> = {}): EsciGains {
  const g = { ...ESCI_GAINS, ...gains };
  for (const [l, v] of Object.entries(g)) {
    if (!Number.isFinite(v)) throw new EsciError("INVALID_ARGUMENT", `gain of ${l} must be a finite number, got ${v}`);
  }
  return g;
}

function checkCount(name: string, v: number, max = 10_000): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new EsciError("INVALID_ARGUMENT", `${name} must be an integer from 1 to ${max}, got ${v}`);
}

export class SearchPipeline {
  readonly store: CatalogStore;
  readonly embedder?: TextEmbedder;
  readonly scorer?: PairScorer;
  private readonly scorerLabels?: EsciLabel[];
  private checkedEmbedder = false;

  constructor(parts: PipelineParts) {
    this.store = parts.store;
    this.embedder = parts.embedder;
    this.scorer = parts.scorer;
    // Fails early, with the model's label names, when the scorer is not an ESCI classifier.
    if (parts.scorer) this.scorerLabels = esciLabelsOf(parts.scorer.labels);
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
          `store ${this.store.location} holds vectors of "${space.model}" (dimension ${space.dimension}); queries were to be embedded by "${mine.model}" (dimension ${mine.dimension}) — use --embed-model "${space.model}"`,
          { store: this.store.location, stored: space, embedder: mine },
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
    // Over-fetch by the excluded count so that excluding ids does not shorten the lists.
    const fetch = n + exclude.size;
    let vector = options.vector;
    if (!vector && (await this.vectorLegAvailable())) vector = (await this.embedder!.embed([query]))[0];
    const [text, knn] = await Promise.all([
      this.store.searchText(query, fetch),
      vector ? this.store.searchVector(vector, fetch) : Promise.resolve([] as ScoredId[]),
    ]);
    const keep = (l: ScoredId[]) => l.filter((x) => !exclude.has(x.id)).slice(0, n);
    const fused = reciprocalRankFusion([keep(text), keep(knn)], options.rrfK ?? DEFAULT_RRF_K).slice(0, n);
    return fused.map((f, i) => ({ id: f.id, score: f.score, rank: i + 1, bm25_rank: f.ranks[0], vector_rank: f.ranks[1] }));
  }

  /**
   * Stage 2: cross-encoder predictions for (query, product) pairs — the label's name and ESCI
   * letter, probabilities by label name — with the expected gain of each. Input order is kept;
   * sorting is the caller's.
   */
  async rerank(query: string, products: readonly CatalogProduct[], options: RerankOptions = {}): Promise<{ label: string; esci: EsciLabel; probs: Record<string, number>; gain: number }[]> {
    if (!this.scorer || !this.scorerLabels) throw new EsciError("INVALID_ARGUMENT", "reranking needs a cross-encoder (--rerank-model M), or use --no-rerank");
    const gains = resolveGains(options.gains);
    const text = productText(options.productTemplate ?? DEFAULT_RERANK_TEMPLATE);
    if (!products.length) return [];
    const preds = await this.scorer.predict(
      products.map((p) => [query, text(p)] as const),
      { batchSize: options.batchSize, maxLength: options.maxLength },
    );
    const letters = this.scorerLabels;
    return preds.map((pred) => {
      const probs = { E: 0, S: 0, C: 0, I: 0 } as Record<EsciLabel, number>;
      letters.forEach((l, i) => (probs[l] += pred.probs[this.scorer!.labels[i]] ?? 0));
      let esci: EsciLabel = letters[0];
      for (const l of letters) if (probs[l] > probs[esci]) esci = l;
      let gain = 0;
      for (const l of letters) gain += probs[l] * gains[l];
      return { label: pred.label, esci, probs: pred.probs, gain };
    });
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

  /** Stage 1, then (unless `rerank: false`) stage 2 and the expected-gain sort; the top `k` hits. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const k = options.k ?? DEFAULT_K;
    checkCount("k", k);
    const rerank = options.rerank ?? this.scorer !== undefined;
    if (options.only && !rerank) throw new EsciError("INVALID_ARGUMENT", "--only needs the cross-encoder's labels: drop --no-rerank and give --rerank-model");
    if (!query.trim()) throw new EsciError("INVALID_ARGUMENT", "empty query");
    let hits = await this.hydrate(await this.stage1(query, options));
    if (rerank) {
      const preds = await this.rerank(query, hits.map((h) => h.product), options);
      hits.forEach((h, i) => {
        h.score = preds[i].gain;
        h.label = preds[i].label;
        h.esci = preds[i].esci;
        h.probs = preds[i].probs;
      });
      hits.sort((a, b) => b.score - a.score || a.stage1_rank - b.stage1_rank);
      if (options.only) hits = hits.filter((h) => h.esci === options.only);
    }
    return hits.slice(0, k);
  }
}
