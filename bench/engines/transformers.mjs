/**
 * transformers.js (@huggingface/transformers, bench/package.json) on the PyTorch export, loaded
 * from the local model folder export_torch.py writes (config.json, tokenizer files,
 * onnx/model.onnx; no hub access). Scoring is the library's documented pattern: the tokenizer
 * called with text_pair, padding and truncation, then the model; scoreAll loops over batches of
 * 32 in input order. Same ONNX Runtime (onnxruntime-node 1.30) and thread count as the others.
 */
import { AutoModelForSequenceClassification, AutoTokenizer, env } from "@huggingface/transformers";
import { basename, dirname } from "node:path";
import { chunks, measure, settings } from "./measure.mjs";

const cfg = settings();
env.allowRemoteModels = false;
env.localModelPath = dirname(cfg.exportDir);
const id = basename(cfg.exportDir);

await measure(cfg, async () => {
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForSequenceClassification.from_pretrained(id, {
    dtype: "fp32",
    device: "cpu",
    session_options: { intraOpNumThreads: cfg.threads, interOpNumThreads: 1 },
  });
  const score = async (pairs, maxLength) => {
    const inputs = tokenizer(
      pairs.map((p) => p[0]),
      { text_pair: pairs.map((p) => p[1]), padding: true, truncation: true, max_length: maxLength ?? 512 },
    );
    const { logits } = await model(inputs);
    return logits.tolist();
  };
  return {
    scoreFixed: score,
    scoreAll: async (pairs) => {
      const out = [];
      for (const batch of chunks(pairs, cfg.batchSize)) out.push(...(await score(batch)));
      return out;
    },
    dispose: () => model.dispose(),
  };
});
