/**
 * Tunes esci's length-aware batching (src/models/engine/batching.ts DEFAULT_BATCH) on the ESCI-like
 * workload: pairs/s of CrossEncoder.predict end to end for a grid of token budgets (rows × longest
 * row per batch) and row caps, fp32 and int8.
 *
 * One process holds both models and runs the settings in turn, pass after pass, so that load from
 * other jobs on a shared machine falls on every setting alike; each setting's fastest pass is
 * kept (other jobs only ever slow a pass down).
 *
 *   node bench/batching.mjs [--reps N] [--pairs N] [--quick]
 *
 * Writes bench/results/batching.{json,md}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ensureModel, ESCI_CACHE, log, machine, MODEL_DIR, THREADS } from "./lib.mjs";
import { esciPairs } from "./workload.mjs";

process.env.ESCI_CACHE = ESCI_CACHE;
const { CrossEncoder } = await import("../dist/src/models/cross-encoder.js");
const { DEFAULT_BATCH } = await import("../dist/src/models/engine/batching.js");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const arg = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const reps = arg("--reps", quick ? 1 : 3);
const nPairs = arg("--pairs", quick ? 200 : 600);

const GRID = [
  ...[256, 512, 1024, 2048, 4096, 8192].map((tokenBudget) => ({ maxBatch: 256, tokenBudget })),
  ...[8, 16, 32, 64].map((maxBatch) => ({ maxBatch, tokenBudget: 4096 })),
  { maxBatch: 32, tokenBudget: 1024 },
];

await ensureModel();
const pairs = esciPairs(nPairs);
const models = {
  fp32: await CrossEncoder.load(MODEL_DIR, { threads: THREADS }),
  int8: await CrossEncoder.load(MODEL_DIR, { threads: THREADS, quantize: "int8" }),
};
for (const ce of Object.values(models)) await ce.predict(pairs.slice(0, 64));
const cells = GRID.flatMap((batch) => Object.keys(models).map((precision) => ({ batch, precision, ms: [] })));
for (let r = 0; r < reps; r++) {
  log(`pass ${r + 1}/${reps}`);
  for (const c of r % 2 ? [...cells].reverse() : cells) {
    const t = performance.now();
    await models[c.precision].predict(pairs, { batch: c.batch });
    c.ms.push(performance.now() - t);
  }
}
for (const ce of Object.values(models)) await ce.dispose();

const rows = cells.map((c) => ({ precision: c.precision, ...c.batch, pairsPerSec: (nPairs * 1000) / Math.min(...c.ms) }));
const isDefault = (r) => r.maxBatch === DEFAULT_BATCH.maxBatch && r.tokenBudget === DEFAULT_BATCH.tokenBudget;
const lines = [
  `# esci batching on the ESCI-like workload — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `${machine().cpu}, ${THREADS} threads; ${nPairs} ESCI-like pairs through CrossEncoder.predict (tokenization included); ` +
    `both models in one process, settings in turn, fastest of ${reps} passes. Default: maxBatch ${DEFAULT_BATCH.maxBatch}, tokenBudget ${DEFAULT_BATCH.tokenBudget}.`,
  "",
  "| maxBatch | tokenBudget | fp32 pairs/s | int8 pairs/s |",
  "|--:|--:|--:|--:|",
  ...GRID.map((b) => {
    const [f, q] = ["fp32", "int8"].map((p) => rows.find((r) => r.precision === p && r.maxBatch === b.maxBatch && r.tokenBudget === b.tokenBudget));
    const mark = isDefault(f) ? " (default)" : "";
    return `| ${b.maxBatch}${mark} | ${b.tokenBudget} | ${f.pairsPerSec.toFixed(1)} | ${q.pairsPerSec.toFixed(1)} |`;
  }),
  "",
];
const outDir = quick ? join(BENCH, "results", "tmp") : join(BENCH, "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "batching.json"), JSON.stringify({ date: new Date().toISOString(), machine: machine(), pairs: nPairs, reps, rows }, null, 2) + "\n");
writeFileSync(join(outDir, "batching.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
