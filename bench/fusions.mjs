/**
 * Each of esci's fused-graph options (src/models/encoder.ts FusionOptions) measured on its own,
 * leave-one-out from the full set, fp32 and int8, on the benchmark model: 32 × 64 and 8 × 64
 * throughput and single-pair latency at 64 tokens, graph only (token ids in, logits out;
 * tokenization is the same for every variant).
 *
 * All variants are loaded in one process and called in turn, call after call, so that load from
 * other jobs on a shared machine falls on every variant alike; the medians are compared. Their
 * thread pools do not spin between calls (each idle pool would otherwise steal the cores of the
 * one running), so absolute times are a little above esci's, which spins. Sessions get esci's own
 * config (onnx/session.ts: ONNX Runtime may not fuse Add + LayerNormalization itself).
 *
 *   node bench/fusions.mjs [--reps N] [--quick]
 *
 * Writes bench/results/fusions.{json,md}. ALL_FUSIONS and INT8_FUSIONS in encoder.ts are chosen from
 * this table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ensureModel, ESCI_CACHE, log, machine, MODEL_DIR, THREADS } from "./lib.mjs";

process.env.ESCI_CACHE = ESCI_CACHE;
const { prepareOnnxModel } = await import("../dist/src/models/loader.js");
const ort = await import("onnxruntime-node");
const { SESSION_CONFIG } = await import("../dist/src/onnx/session.js");
const { ALL_FUSIONS, INT8_FUSIONS } = await import("../dist/src/models/encoder.js");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const reps = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : quick ? 3 : 15;

// Leave-one-out from each precision's default (encoder.ts ALL_FUSIONS for fp32, INT8_FUSIONS for int8).
// The single pair (64 rows) and 32 × 64 (2,048 rows) sit on either side of the feature-major switch.
const PLAIN = { attention: false, skipLayerNorm: false, gelu: false };
const otherAttention = { Attention: "MultiHeadAttention", MultiHeadAttention: "Attention" };
const VARIANTS = [
  ["fp32", ALL_FUSIONS, undefined],
  ["int8", INT8_FUSIONS, "int8"],
].flatMap(([precision, base, quantize]) =>
  [
    ["plain ops", PLAIN],
    [`default: ${describe(base)}`, base],
    ["… with SkipLayerNormalization", { ...base, skipLayerNorm: true }],
    [`… with ${otherAttention[base.attention]} instead`, { ...base, attention: otherAttention[base.attention] }],
    ["… without fused attention (plain attention ops)", { ...base, attention: false }],
    ["… without the fused GELU", { ...base, gelu: false }],
    ["… without last layer first token only", { ...base, firstTokenLastLayer: false }],
    ...(base.featureMajorRows === undefined
      ? []
      : [
          ["… without the feature-major switch (row-major, MatMul FFN)", { ...base, featureMajorRows: undefined }],
          ["… feature-major at every size", { ...base, featureMajorRows: 1e6 }],
          ["… row-major at every size (Gemm FFN)", { ...base, featureMajorRows: 0 }],
        ]),
  ].map(([name, fusion]) => ({ name, fusion, precision, quantize })),
);

function describe(f) {
  const parts = [f.attention, f.skipLayerNorm && "SkipLayerNormalization", f.gelu && "fused GELU", f.firstTokenLastLayer && "last layer first token only", f.featureMajorRows !== undefined && `feature-major up to ${f.featureMajorRows} rows`];
  return parts.filter(Boolean).join(" + ");
}

function feeds(B, T) {
  // <s> random ids </s>, all real tokens (no padding), as the fixed 32 × 64 workload.
  const ids = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) ids[b * T + t] = BigInt(t === 0 ? 0 : t === T - 1 ? 2 : 4 + ((b * 131 + t * 7919) % 500));
  return { input_ids: new ort.Tensor("int64", ids, [B, T]), attention_mask: new ort.Tensor("int64", new BigInt64Array(B * T).fill(1n), [B, T]) };
}

await ensureModel();
log(`building ${VARIANTS.length} graphs (cached after the first run) and loading them`);
for (const v of VARIANTS) {
  const m = prepareOnnxModel(MODEL_DIR, "classify", { fusion: v.fusion, quantize: v.quantize });
  v.session = await ort.InferenceSession.create(m.onnxPath, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    extra: { ...SESSION_CONFIG, session: { intra_op: { allow_spinning: "0" } } },
  });
}
const batch = feeds(32, 64);
const eight = feeds(8, 64); // one batch of esci's default 512-token budget
const single = feeds(1, 64);
const time = async (v, f) => {
  const t = performance.now();
  await v.session.run(f);
  return performance.now() - t;
};
for (const v of VARIANTS) for (let i = 0; i < 3; i++) await time(v, batch);
for (const v of VARIANTS) Object.assign(v, { batchMs: [], eightMs: [], singleMs: [] });
for (let r = 0; r < reps; r++) {
  log(`rep ${r + 1}/${reps}`);
  for (const v of VARIANTS) v.batchMs.push(await time(v, batch));
  for (const v of VARIANTS) v.eightMs.push(await time(v, eight));
  for (let i = 0; i < 5; i++) for (const v of VARIANTS) v.singleMs.push(await time(v, single));
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = VARIANTS.map((v) => ({ variant: `${v.name} · ${v.precision}`, fusion: v.fusion, precision: v.precision, pairsPerSec: 32000 / med(v.batchMs), eightPairsPerSec: 8000 / med(v.eightMs), p50Ms: med(v.singleMs) }));
const base = { fp32: rows.find((r) => r.precision === "fp32"), int8: rows.find((r) => r.precision === "int8") };
const lines = [
  `# esci fused-graph variants — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `${machine().cpu}, ${THREADS} threads; DistilRoBERTa-sized random checkpoint; graph only; all variants in one process, ` +
    `called in turn (median of ${reps} calls of 32 × 64 and of 8 × 64 each, p50 of ${reps * 5} single pairs at 64 tokens). ` +
    "Ratios are to the plain-op graph of the same precision.",
  "",
  "| variant | 32 × 64 pairs/s | vs plain ops | 8 × 64 pairs/s | vs plain ops | single pair p50 (ms) |",
  "|---|--:|--:|--:|--:|--:|",
  ...rows.map((r) => {
    const b = base[r.precision];
    return `| ${r.variant} | ${r.pairsPerSec.toFixed(1)} | ${(r.pairsPerSec / b.pairsPerSec).toFixed(2)}× | ${r.eightPairsPerSec.toFixed(1)} | ${(r.eightPairsPerSec / b.eightPairsPerSec).toFixed(2)}× | ${r.p50Ms.toFixed(1)} |`;
  }),
  "",
];
const outDir = quick ? join(BENCH, "results", "tmp") : join(BENCH, "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "fusions.json"), JSON.stringify({ date: new Date().toISOString(), machine: machine(), reps, rows }, null, 2) + "\n");
writeFileSync(join(outDir, "fusions.md"), lines.join("\n"));
process.stdout.write(lines.join("\n"));
for (const v of VARIANTS) await v.session.release();
