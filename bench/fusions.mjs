/**
 * Each of esci's fused-graph options (src/models/encoder.ts FusionOptions) measured on its own,
 * fp32 and int8, against the plain-op graph and the PyTorch export, on the benchmark model:
 * 32 × 64 throughput and single-pair latency at 64 tokens, through CrossEncoder.predict. The
 * variants run in interleaved rounds (each in its own child) so machine noise spreads over all.
 *
 *   node bench/fusions.mjs [--rounds N] [--quick]
 *
 * Writes bench/results/fusions.{json,md}. ALL_FUSIONS in encoder.ts is chosen from this table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ensureExport, ensureModel, EXPORT_DIR, log, machine, MODEL_DIR, prebuildEsci, pythonTorch, runChild, THREADS, writeWorkload } from "./lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : quick ? 1 : 3;

const F = (attention, skipLayerNorm, gelu, firstTokenLastLayer = false) => ({ attention, skipLayerNorm, gelu, firstTokenLastLayer });
const ALL = F("MultiHeadAttention", true, true);
// Leave-one-out from the full set measures each fusion on its own, in the company it keeps.
const VARIANTS = [
  { name: "plain ops", precision: "fp32", fusion: F(false, false, false) },
  { name: "MultiHeadAttention + SkipLayerNormalization + BiasGelu", precision: "fp32", fusion: ALL },
  { name: "… without MultiHeadAttention (plain attention ops)", precision: "fp32", fusion: F(false, true, true) },
  { name: "… with com.microsoft Attention instead", precision: "fp32", fusion: F("Attention", true, true) },
  { name: "… without SkipLayerNormalization", precision: "fp32", fusion: F("MultiHeadAttention", false, true) },
  { name: "… without BiasGelu", precision: "fp32", fusion: F("MultiHeadAttention", true, false) },
  { name: "MultiHeadAttention + BiasGelu + first token only in the last layer", precision: "fp32", fusion: F("MultiHeadAttention", false, true, true) },
  { name: "MultiHeadAttention + SkipLayerNormalization + BiasGelu", precision: "int8", fusion: ALL, quantize: "int8" },
  { name: "… without SkipLayerNormalization", precision: "int8", fusion: F("MultiHeadAttention", false, true), quantize: "int8" },
  { name: "MultiHeadAttention + BiasGelu + first token only in the last layer", precision: "int8", fusion: F("MultiHeadAttention", false, true, true), quantize: "int8" },
];

await ensureModel();
const torch = pythonTorch();
if (torch.ok) ensureExport();
log("building every variant's graph (cached after the first run)");
prebuildEsci(VARIANTS.map((v) => ({ fusion: v.fusion, quantize: v.quantize })));
const workloadFile = writeWorkload(0);
const common = { threads: THREADS, workloadFile, fixed: true, latency: true, esci: false, reps: quick ? 3 : 8, latencyIters: quick ? 10 : 40 };

const runs = new Map();
for (let round = 0; round < rounds; round++) {
  const order = [...VARIANTS, ...(torch.ok ? [{ name: "PyTorch export (onnxruntime-node)", precision: "fp32", peer: true }] : [])];
  for (const v of round % 2 ? order.reverse() : order) {
    const key = `${v.name} · ${v.precision}`;
    log(`round ${round + 1}/${rounds}: ${key}`);
    const r = v.peer
      ? runChild("node", "ort.mjs", { ...common, engine: key, exportDir: EXPORT_DIR, batchSize: 32 }, { retries: 0 })
      : runChild("node", "esci.mjs", { ...common, engine: key, modelDir: MODEL_DIR, fusion: v.fusion, quantize: v.quantize }, { retries: 0 });
    if (r.error) log(`  failed: ${r.error}`);
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = [...runs].map(([key, rs]) => {
  const ok = rs.filter((r) => !r.error);
  return {
    variant: key,
    pairsPerSec: ok.length ? med(ok.map((r) => r.fixed.pairsPerSec)) : undefined,
    p50Ms: ok.length ? med(ok.map((r) => r.latency.p50)) : undefined,
    rounds: ok.length,
    othersCpuShare: Math.max(0, ...ok.map((r) => r.othersCpuShare)),
  };
});
const plain = { fp32: rows.find((r) => r.variant === "plain ops · fp32"), int8: rows.find((r) => r.variant === `${VARIANTS[7].name} · int8`) };
const lines = [
  `# esci fused-graph variants — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `${machine().cpu}, ${THREADS} threads; DistilRoBERTa-sized random checkpoint; median of ${rounds} interleaved rounds` +
    ` (each: median of ${common.reps} calls of 32 × 64, p50 of ${common.latencyIters} single pairs at 64 tokens).`,
  "",
  "fp32 rows are compared with the plain-op graph, int8 rows with int8 of the full fusion set.",
  "",
  "| variant | 32 × 64 pairs/s | vs base | single pair p50 (ms) |",
  "|---|--:|--:|--:|",
  ...rows.map((r) => {
    const base = r.variant.endsWith("int8") ? plain.int8 : plain.fp32;
    const vs = r.pairsPerSec && base?.pairsPerSec ? `${(r.pairsPerSec / base.pairsPerSec).toFixed(2)}×` : "—";
    return `| ${r.variant} | ${r.pairsPerSec?.toFixed(1) ?? "failed"} | ${vs} | ${r.p50Ms?.toFixed(1) ?? "—"} |`;
  }),
  "",
];
const outDir = quick ? join(BENCH, "results", "tmp") : join(BENCH, "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "fusions.json"), JSON.stringify({ date: new Date().toISOString(), machine: machine(), rounds, rows }, null, 2) + "\n");
writeFileSync(join(outDir, "fusions.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
