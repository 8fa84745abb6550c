/**
 * Validation during training: accuracy, micro-F1 (the model card's selection metric), macro-F1
 * and mean cross-entropy of the current weights on the validation split.
 *
 * It runs the evaluation graph (the inference forward graph, weights as inputs, no dropout) on
 * length-sorted batches, and scores with the same metric functions as `esci evaluate`
 * (esci/metrics), so a number in log.jsonl means what it means in a report.
 */
import type { ForwardGraph } from "./training-graph.js";
import type { Feed, GraphSession } from "../onnx/graph-session.js";
import { classificationReport } from "../esci/metrics/classification.js";
import { DEFAULT_BATCH, planBatches } from "../models/engine/batching.js";
import { makeBatch, type EncodedDataset } from "./data.js";

export interface EvalResult {
  accuracy: number;
  micro_f1: number;
  macro_f1: number;
  loss: number;
  count: number;
  /** The logits, (count, labels) row-major in dataset order (distillation compares them with the teacher's). */
  logits: Float32Array;
}

export async function evaluateSplit(
  session: GraphSession,
  graph: ForwardGraph,
  weights: Record<string, Feed>,
  ds: EncodedDataset,
  padId: number,
  labels: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const lengths = Array.from({ length: ds.size }, (_, i) => ds.length(i));
  const gold: string[] = [];
  const pred: string[] = [];
  let lossSum = 0;
  const L = labels.length;
  const all = new Float32Array(ds.size * L);
  for (const idx of planBatches(lengths, DEFAULT_BATCH)) {
    const b = makeBatch(ds, idx, padId);
    const feeds: Record<string, Feed> = { ...weights };
    const tokens: Record<string, BigInt64Array> = { input_ids: b.input_ids, attention_mask: b.attention_mask, token_type_ids: b.token_type_ids };
    for (const name of graph.tokenInputs) feeds[name] = { data: tokens[name], dims: b.dims };
    const logits = (await session.run(feeds, [graph.logits]))[graph.logits].data as Float32Array;
    idx.forEach((row, j) => {
      all.set(logits.subarray(j * L, (j + 1) * L), row * L);
      let best = 0;
      let max = -Infinity;
      for (let c = 0; c < L; c++) if (logits[j * L + c] > max) [max, best] = [logits[j * L + c], c];
      let z = 0;
      for (let c = 0; c < L; c++) z += Math.exp(logits[j * L + c] - max);
      const y = ds.labels[row];
      lossSum += Math.log(z) - (logits[j * L + y] - max);
      gold.push(labels[y]);
      pred.push(labels[best]);
    });
    onProgress?.(gold.length, ds.size);
  }
  const r = classificationReport(gold, pred);
  return { accuracy: r.accuracy, micro_f1: r.micro_f1, macro_f1: r.macro_f1, loss: lossSum / ds.size, count: ds.size, logits: all };
}
