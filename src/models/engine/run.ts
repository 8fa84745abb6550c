/**
 * The engine's runner on an ONNX Runtime session: one packed batch of encoded rows → one output
 * row (Float32Array of `outputWidth`) per row. The batch is padded to its own longest row (dynamic
 * padding) and fed longest row first — the order batching.ts gives offline batches — so a batch's
 * output does not depend on the order in which its rows were queued.
 */
import type { Encoding } from "../../tokenizer/index.js";
import type { LoadedModel } from "../loader.js";
import type { BatchRunner } from "./queue.js";

export function sessionRunner(model: Pick<LoadedModel, "tokenizer" | "session" | "outputName" | "outputWidth">): BatchRunner {
  const width = model.outputWidth;
  const wantTypes = model.session.inputNames.includes("token_type_ids");
  return async (rows: readonly Encoding[]) => {
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].inputIds.length - rows[a].inputIds.length || a - b);
    const padded = model.tokenizer.padBatch(order.map((i) => rows[i]));
    const dims = [padded.batch, padded.seqLen];
    const feeds: Record<string, { data: BigInt64Array; dims: number[] }> = {
      input_ids: { data: padded.inputIds, dims },
      attention_mask: { data: padded.attentionMask, dims },
    };
    if (wantTypes) feeds.token_type_ids = { data: padded.tokenTypeIds, dims };
    const res = await model.session.run(feeds, model.outputName);
    const out = new Array<Float32Array>(rows.length);
    order.forEach((rowIndex, j) => (out[rowIndex] = res.data.slice(j * width, (j + 1) * width)));
    return out;
  };
}
