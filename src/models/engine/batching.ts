/**
 * Length-aware batching, the engine's offline packing (engine.ts): real ESCI pairs are short and
 * uneven, so padding a fixed-size batch to its longest row wastes most of the work. Rows are sorted
 * by length and packed into batches whose padded size (rows × longest row) stays within a token
 * budget; callers restore input order. (The online packing of concurrent callers is queue.ts.)
 */

export interface BatchPlanOptions {
  /** Most rows in one batch. */
  maxBatch: number;
  /** Most padded tokens (rows × longest row) in one batch. */
  tokenBudget: number;
}

/**
 * Small batches win on CPUs: on the ESCI-like workload (bench/batching.mjs, DistilRoBERTa size,
 * 2-vCPU AVX-512; bench/results/batching.md) a 512-token budget ran 1.17× fp32 and 1.36× int8 the
 * former 4096 (1.37× and 1.6× an 8192 budget): a batch's activations then stay in the cores'
 * caches. Larger batches bring nothing back, since ONNX Runtime already uses every core on one
 * batch; 256 tokens ran 0.97× (fp32) and 1.03× (int8) of 512.
 */
export const DEFAULT_BATCH: BatchPlanOptions = { maxBatch: 64, tokenBudget: 512 };

/** Groups of row indices; rows within a batch have similar lengths. Every index appears once. */
export function planBatches(lengths: readonly number[], opts: BatchPlanOptions): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const len = lengths[i];
    const nextLongest = Math.max(longest, len);
    if (cur.length > 0 && (cur.length >= opts.maxBatch || (cur.length + 1) * nextLongest > opts.tokenBudget)) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  }
  if (cur.length) batches.push(cur);
  return batches;
}
