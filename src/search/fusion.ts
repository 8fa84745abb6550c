/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): score(d) = Σ 1 / (k + rank_d)
 * over the ranked lists that contain d, ranks from 1, k = 60 as in the paper.
 *
 * Stage 1 fuses BM25 and vector kNN with it because their scores live on unrelated scales
 * (unbounded BM25 vs cosine in [−1, 1]; ts_rank on PostgreSQL is yet another): RRF uses only
 * ranks, so the same fusion works for both stores and needs no tuning per catalog.
 */
import type { ScoredId } from "./store.js";

export const DEFAULT_RRF_K = 60;

export interface FusedId {
  id: string;
  /** The RRF score. */
  score: number;
  /** 1-based rank of the id in each input list (undefined where absent), in input order. */
  ranks: (number | undefined)[];
}

/**
 * Fuse ranked lists (each best first) into one, best first. Ties (equal RRF score) go to the id
 * with the better best rank, then to the smaller id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: readonly (readonly ScoredId[])[], k = DEFAULT_RRF_K): FusedId[] {
  const byId = new Map<string, FusedId>();
  lists.forEach((list, li) => {
    list.forEach((x, i) => {
      let f = byId.get(x.id);
      if (!f) {
        f = { id: x.id, score: 0, ranks: new Array(lists.length).fill(undefined) };
        byId.set(x.id, f);
      }
      if (f.ranks[li] !== undefined) return; // a list that repeats an id counts its first rank only
      f.ranks[li] = i + 1;
      f.score += 1 / (k + i + 1);
    });
  });
  const best = (f: FusedId) => Math.min(...f.ranks.map((r) => r ?? Infinity));
  return [...byId.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
