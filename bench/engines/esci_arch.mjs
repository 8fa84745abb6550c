/**
 * The esci side of bench/architectures.mjs: CrossEncoder.load (fp32 or int8) and predict, on the
 * same settings and output protocol as engines/st_cross_encoder.py.
 */
import { join } from "node:path";

const cfg = JSON.parse(process.argv[2]);
const { CrossEncoder } = await import(join(cfg.root, "dist/src/models/cross-encoder.js"));
const ce = await CrossEncoder.load(cfg.modelDir, { threads: cfg.threads, quantize: cfg.quantize });
const predict = (pairs) => ce.predict(pairs, { maxLength: cfg.maxLength });
async function medianMs(pairs, reps) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await predict(pairs);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[(reps - 1) >> 1];
}
await predict(cfg.batch); // warm-up
const result = { batchMs: await medianMs(cfg.batch, cfg.reps), singleMs: await medianMs([cfg.single], cfg.singleReps), logits: (await predict(cfg.batch.slice(0, 4))).map((p) => p.logits) };
await ce.dispose();
process.stdout.write(JSON.stringify(result) + "\n");
