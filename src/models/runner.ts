/**
 * Encoded rows → one output row each, in input order: plan length-aware batches, pad each batch
 * to its own longest row, run the session, scatter the results back. Shared by CrossEncoder and
 * BiEncoder so both batch the same way.
 */
import type { Encoding } from "../tokenizer/index.js";
import { planBatches, DEFAULT_BATCH, type BatchPlanOptions } from "./batching.js";
import type { LoadedModel } from "./loader.js";

export interface RunOptions {
  batch?: Partial<BatchPlanOptions>;
  onProgress?: (done: number, total: number) => void;
}

/** Runs `rows` through the model; returns a Float32Array of `outputWidth` per row, input order. */
export async function runEncodings(model: LoadedModel, rows: readonly Encoding[], opts: RunOptions = {}): Promise<Float32Array[]> {
  const plan = planBatches(
    rows.map((r) => r.inputIds.length),
    { ...DEFAULT_BATCH, ...opts.batch },
  );
  const out = new Array<Float32Array>(rows.length);
  const width = model.outputWidth;
  const wantTypes = model.session.inputNames.includes("token_type_ids");
  let done = 0;
  for (const idx of plan) {
    const padded = model.tokenizer.padBatch(idx.map((i) => rows[i]));
    const dims = [padded.batch, padded.seqLen];
    const feeds: Record<string, { data: BigInt64Array; dims: number[] }> = {
      input_ids: { data: padded.inputIds, dims },
      attention_mask: { data: padded.attentionMask, dims },
    };
    if (wantTypes) feeds.token_type_ids = { data: padded.tokenTypeIds, dims };
    const res = await model.session.run(feeds, model.outputName);
    idx.forEach((rowIndex, j) => {
      out[rowIndex] = res.data.slice(j * width, (j + 1) * width);
    });
    done += idx.length;
    opts.onProgress?.(done, rows.length);
  }
  return out;
}
