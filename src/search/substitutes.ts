/**
 * Substitute identification: products that could replace a given one.
 *
 * The product's own title is the query, as in the ESCI task where S means "does not match the
 * query exactly but could serve in its place". Stage 1 uses the product's stored vector (no
 * re-embedding, and exactly the neighbourhood the store holds) fused with BM25 on its title, the
 * product itself excluded; the cross-encoder then labels every candidate, and only those it labels
 * Substitute are kept, most probable first.
 */
import { EsciError } from "../errors/index.js";
import { esciProbability } from "../esci/labels.js";
import type { RerankOptions, SearchHit, SearchPipeline } from "./pipeline.js";
import { DEFAULT_CANDIDATES, DEFAULT_K } from "./pipeline.js";

export interface SubstituteOptions extends RerankOptions {
  /** Substitutes returned at most (default 10). */
  k?: number;
  /** Stage-1 candidates labelled by the cross-encoder (default 100). */
  candidates?: number;
  rrfK?: number;
}

/** Hits have `score` = P(substitute) and `label` "S"; fewer than k when fewer candidates are substitutes. */
export async function findSubstitutes(pipeline: SearchPipeline, productId: string, options: SubstituteOptions = {}): Promise<{ product: SearchHit["product"]; hits: SearchHit[] }> {
  const k = options.k ?? DEFAULT_K;
  const [product] = await pipeline.store.get([productId]);
  if (!product) throw new EsciError("NOT_FOUND", `product "${productId}" is not in store ${pipeline.store.location}`, { product: productId });
  const vector = await pipeline.store.vectorOf(productId);
  const cands = await pipeline.stage1(product.title, {
    candidates: options.candidates ?? DEFAULT_CANDIDATES,
    rrfK: options.rrfK,
    exclude: new Set([productId]),
    ...(vector ? { vector } : {}),
  });
  const candidates = await pipeline.hydrate(cands);
  const preds = await pipeline.rerank(product.title, candidates.map((h) => h.product), options);
  const hits: SearchHit[] = [];
  candidates.forEach((h, i) => {
    const { label, esci, probs, calibrated } = preds[i];
    if (esci === "S") hits.push({ ...h, score: esciProbability(probs, "S"), label, esci, probs, ...(calibrated ? { calibrated } : {}) });
  });
  hits.sort((a, b) => b.score - a.score || a.stage1_rank - b.stage1_rank);
  return { product, hits: hits.slice(0, k) };
}
