/**
 * KDD Cup 2022 Task 1 (query–product ranking): nDCG over all judged products of each query.
 *
 * The Cup scored runs with `trec_eval -c -J -m ndcg.1=0,2=0.01,3=0.1,4=1` (amazon-science/esci-data,
 * ranking/launch-predictions-task1.sh; gains per the paper, see labels.ts). This module computes
 * the same number without trec_eval, following usnistgov/trec_eval's m_ndcg.c and form_res_rels.c:
 *
 *  - gain of a product = the gain of its judged label, as given (no 2^g − 1);
 *  - DCG = Σ_{i≥1} gain_i / log2(i + 1) over the run's ranks i = 1, 2, …;
 *  - the run is ordered by score descending, ties broken by docno (product_id) DEscending by
 *    strcmp (`comp_sim_docno`); JavaScript's `<` on strings matches strcmp for ASCII ids (ASINs);
 *  - `-J`: only judged products are ranked (unjudged run entries are dropped before ranking);
 *  - the ideal DCG sorts the gains of ALL judged products of the query, retrieved or not, so a
 *    judged product missing from the run costs its gain;
 *  - a query whose ideal DCG is 0 (every product judged I) scores 0, and `-c` still counts it in
 *    the mean, as does a judged query with no run entries; queries only in the run are ignored.
 */

export interface JudgedItem {
  /** product_id (trec_eval's docno), used to break score ties. */
  id: string;
  /** Gain of the judged label (ESCI_GAINS). */
  gain: number;
  /** The run's score for this product; undefined when the run did not return it. */
  score?: number;
}

export interface NdcgOptions {
  /**
   * What a query with ideal DCG 0 contributes: "zero" (trec_eval -c: counted as 0, the default and
   * the Cup's behaviour) or "exclude" (left out of the mean).
   */
  zeroIdeal?: "zero" | "exclude";
}

export interface NdcgResult {
  /** Mean nDCG over the counted queries (0 when none). */
  ndcg: number;
  /** Queries counted in the mean. */
  queries: number;
  /** Queries whose ideal DCG was 0 (all gains 0). */
  zero_ideal_queries: number;
  /** Per-query nDCG in input order (undefined for an excluded zero-ideal query). */
  per_query: (number | undefined)[];
}

/** trec_eval's run order: score descending, then id descending (strcmp). */
export function compareRun(a: { id: string; score: number }, b: { id: string; score: number }): number {
  if (a.score > b.score) return -1;
  if (a.score < b.score) return 1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Σ gains[i] / log2(i + 2) — DCG of gains listed in rank order (rank = i + 1). */
export function dcg(gains: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < gains.length; i++) if (gains[i] !== 0) s += gains[i] / Math.log2(i + 2);
  return s;
}

/** Ideal DCG: the gains of all judged items, largest first. */
export function idealDcg(gains: readonly number[]): number {
  return dcg([...gains].sort((a, b) => b - a));
}

/**
 * nDCG of one query; undefined when the ideal DCG is 0 (the caller decides what that counts as).
 * Items without a score are judged but not retrieved: they count only in the ideal.
 */
export function queryNdcg(items: readonly JudgedItem[]): number | undefined {
  const ideal = idealDcg(items.map((x) => x.gain));
  if (!(ideal > 0)) return undefined;
  const run = items.filter((x): x is JudgedItem & { score: number } => x.score !== undefined).sort(compareRun);
  return dcg(run.map((x) => x.gain)) / ideal;
}

/** Mean nDCG over queries (each an array of its judged items), with trec_eval -c semantics by default. */
export function meanNdcg(queries: Iterable<readonly JudgedItem[]>, options: NdcgOptions = {}): NdcgResult {
  const zeroIdeal = options.zeroIdeal ?? "zero";
  let sum = 0;
  let counted = 0;
  let zero = 0;
  const perQuery: (number | undefined)[] = [];
  for (const items of queries) {
    const v = queryNdcg(items);
    if (v === undefined) {
      zero++;
      if (zeroIdeal === "zero") {
        counted++;
        perQuery.push(0);
      } else perQuery.push(undefined);
      continue;
    }
    sum += v;
    counted++;
    perQuery.push(v);
  }
  return { ndcg: counted ? sum / counted : 0, queries: counted, zero_ideal_queries: zero, per_query: perQuery };
}
