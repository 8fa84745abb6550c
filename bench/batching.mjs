/**
 * Tunes esci's length-aware batching (src/models/batching.ts DEFAULT_BATCH) on the ESCI-like
 * workload: pairs/s end to end for a grid of token budgets (rows × longest row per batch) and
 * row caps, fp32 and int8, each setting in its own child, in interleaved rounds.
 *
 *   node bench/batching.mjs [--rounds N] [--pairs N] [--quick]
 *
 * Writes bench/results/batching.{json,md}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ensureModel, log, machine, MODEL_DIR, prebuildEsci, runChild, THREADS, writeWorkload } from "./lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const arg = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const rounds = arg("--rounds", quick ? 1 : 2);
const pairs = arg("--pairs", quick ? 200 : 1000);

const UNLIMITED = 1 << 30;
const GRID = [
  // budget-limited: rows fill a batch until rows × longest row reaches the budget
  ...[1024, 2048, 4096, 8192, 16384].map((tokenBudget) => ({ maxBatch: 512, tokenBudget })),
  // row-limited: fixed row counts, each batch padded to its own longest row
  ...[8, 16, 32, 64, 128].map((maxBatch) => ({ maxBatch, tokenBudget: UNLIMITED })),
];

await ensureModel();
prebuildEsci([{}, { quantize: "int8" }]);
const workloadFile = writeWorkload(pairs);
const runs = new Map();
for (let round = 0; round < rounds; round++) {
  const order = GRID.flatMap((batch) => ["fp32", "int8"].map((precision) => ({ batch, precision })));
  for (const { batch, precision } of round % 2 ? order.reverse() : order) {
    const key = `${precision} maxBatch ${batch.maxBatch === 512 ? "—" : batch.maxBatch} · tokenBudget ${batch.tokenBudget === UNLIMITED ? "—" : batch.tokenBudget}`;
    log(`round ${round + 1}/${rounds}: ${key}`);
    const r = runChild("node", "esci.mjs", {
      engine: key,
      threads: THREADS,
      workloadFile,
      modelDir: MODEL_DIR,
      quantize: precision === "int8" ? "int8" : undefined,
      batch,
      fixed: false,
      latency: false,
      esci: true,
      esciWarmup: 64,
    });
    if (r.error) log(`  failed: ${r.error}`);
    runs.set(key, { precision, batch, runs: [...(runs.get(key)?.runs ?? []), r] });
  }
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = [...runs].map(([key, { precision, batch, runs: rs }]) => {
  const ok = rs.filter((r) => !r.error);
  return {
    setting: key,
    precision,
    ...batch,
    pairsPerSec: ok.length ? med(ok.map((r) => r.esci.pairsPerSec)) : undefined,
    peakRssMiB: ok.length ? med(ok.map((r) => r.peakRssMiB)) : undefined,
    othersCpuShare: Math.max(0, ...ok.map((r) => r.othersCpuShare)),
  };
});
const lines = [
  `# esci batching on the ESCI-like workload — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `${machine().cpu}, ${THREADS} threads; ${pairs} ESCI-like pairs end to end; median of ${rounds} interleaved rounds.`,
  "",
  "| setting | pairs/s | peak RSS (MiB) |",
  "|---|--:|--:|",
  ...rows.map((r) => `| ${r.setting} | ${r.pairsPerSec?.toFixed(1) ?? "failed"} | ${r.peakRssMiB?.toFixed(0) ?? "—"} |`),
  "",
];
const outDir = quick ? join(BENCH, "results", "tmp") : join(BENCH, "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "batching.json"), JSON.stringify({ date: new Date().toISOString(), machine: machine(), pairs, rounds, rows }, null, 2) + "\n");
writeFileSync(join(outDir, "batching.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
