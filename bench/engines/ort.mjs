/**
 * onnxruntime-node used directly on the PyTorch export (bench/export_torch.py), with esci's
 * tokenizer (@huggingface/tokenizers on the same tokenizer.json). scoreAll is the plain loop a
 * user writes: batches of 32 in input order, padded to each batch's longest row — or, with
 * `padTo: 512`, every row padded to 512 as the model card's recipe does.
 */
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { loadTokenizer } from "../../dist/src/tokenizer/index.js";
import { chunks, measure, settings } from "./measure.mjs";

const cfg = settings();

function padded(rows, pad, padTo) {
  const B = rows.length;
  const T = padTo ?? Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(B * T).fill(BigInt(pad));
  const mask = new BigInt64Array(B * T);
  rows.forEach((r, b) => r.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (mask[b * T + t] = 1n))));
  return { input_ids: new ort.Tensor("int64", ids, [B, T]), attention_mask: new ort.Tensor("int64", mask, [B, T]) };
}

await measure(cfg, async () => {
  const session = await ort.InferenceSession.create(join(cfg.exportDir, "onnx", "model.onnx"), {
    intraOpNumThreads: cfg.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const tok = await loadTokenizer(cfg.exportDir, { maxPositions: 512 });
  const score = async (pairs, maxLength, padTo) => {
    const rows = tok.encodePairs(pairs, maxLength).map((e) => e.inputIds);
    const { logits } = await session.run(padded(rows, tok.padTokenId, padTo));
    const L = logits.dims[1];
    return rows.map((_, i) => Array.from(logits.data.subarray(i * L, (i + 1) * L)));
  };
  return {
    scoreFixed: (pairs, maxLength) => score(pairs, maxLength),
    scoreAll: async (pairs) => {
      const out = [];
      for (const batch of chunks(pairs, cfg.batchSize)) out.push(...(await score(batch, undefined, cfg.padTo)));
      return out;
    },
    dispose: () => session.release(),
  };
});
