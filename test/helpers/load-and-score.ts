/**
 * Child-process entry for memory tests: load a cross-encoder, score a few pairs, and print the
 * process's peak RSS as JSON. Run in a fresh process so the figure is the load's alone.
 * Usage: node dist/test/helpers/load-and-score.js MODEL_DIR [int8]
 */
import { CrossEncoder } from "../../src/models/cross-encoder.js";

const [dir, quantize] = process.argv.slice(2);
const t0 = performance.now();
const ce = await CrossEncoder.load(dir, { quantize: quantize === "int8" ? "int8" : undefined });
const loadMs = performance.now() - t0;
const pairs = Array.from({ length: 64 }, (_, i) => [`query ${i} wireless headphones`, `Product ${i}: Sony noise cancelling over-ear headphones, black`] as const);
const preds = await ce.predict(pairs);
await ce.dispose();
process.stdout.write(JSON.stringify({ loadMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, labels: preds[0] && Object.keys(preds[0].probs) }) + "\n");
