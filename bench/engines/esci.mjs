/**
 * esci through its public API: CrossEncoder.load(dir, { quantize }) + predict(pairs, { maxLength }).
 * scoreAll is one predict() call: esci's own length-aware batching (src/models/engine/batching.ts).
 */
import { CrossEncoder } from "../../dist/src/models/cross-encoder.js";
import { measure, settings } from "./measure.mjs";

const cfg = settings();
await measure(cfg, async () => {
  const ce = await CrossEncoder.load(cfg.modelDir, { quantize: cfg.quantize, threads: cfg.threads, fusion: cfg.fusion });
  const logits = (preds) => preds.map((p) => p.logits);
  return {
    scoreFixed: async (pairs, maxLength) => logits(await ce.predict(pairs, { maxLength, batchSize: pairs.length })),
    scoreAll: async (pairs) => logits(await ce.predict(pairs, cfg.batch ? { batch: cfg.batch } : {})),
    dispose: () => ce.dispose(),
  };
});
