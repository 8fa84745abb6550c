/**
 * `npm run bench` — esci against its peers, in one run, on the same inputs and the same weights:
 *
 *   esci fp32 · esci int8 · onnxruntime-node on a PyTorch export · transformers.js on that export ·
 *   PyTorch (Debian torch + OpenBLAS) · the model card's "pad every pair to 512"
 *
 * Each engine runs in its own child process (bench/engines/*), so its peak RSS is its own; the
 * children run the same protocol (bench/engines/measure.mjs). Results are printed as ratios to
 * the peers and written to bench/results/latest.{json,md} (with --quick: bench/results/tmp/).
 *
 *   node bench/run.mjs [--quick] [--rounds N] [--passes N] [--retries N] [--engines id,id,…]
 *
 * Needs `npm run build` (esci from dist/) and, for transformers.js, `npm --prefix bench install`.
 * PyTorch and the export need /usr/bin/python3 with torch; engines that cannot run are skipped
 * with a note in the table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BENCH, ensureExport, ROOT, ensureModel, ensureOpenBlas, EXPORT_DIR, LABELS, log, machine, MODEL_DIR, prebuildEsci,
  pythonTorch, readLogits, runChild, THREADS, TMP, writeWorkload,
} from "./lib.mjs";
import { checkTargets, renderMarkdown } from "./report.mjs";
import { PAD_LENGTH } from "./workload.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const argValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(argValue("--rounds") ?? 1);
/** Repeat a child whose run other jobs disturbed by > 10% of the CPUs (the least disturbed is kept). */
const retries = Number(argValue("--retries") ?? 0);
const only = argValue("--engines")?.split(",");

const SETTINGS = quick
  ? { esciPairs: 200, reps: 3, latencyIters: 20, esciPasses: 1, padPairs: 8 }
  : { esciPairs: 2000, reps: 10, latencyIters: 100, esciPasses: 3, padPairs: 64 };
const PEER_BATCH = 32;
/**
 * Full passes over the ESCI-like pairs in each child, the fastest kept (default 3, --quick 1): one
 * pass of esci int8 takes 6 s, and a pass moved by ±4% within one child here, so one pass per
 * engine let the host's phases decide ratios such as int8 ÷ fp32.
 */
const esciPasses = Number(argValue("--passes") ?? SETTINGS.esciPasses);

/** The engines, in run order. `needs`: export (PyTorch export), torch (python + torch), tjs (bench deps). */
const ENGINES = [
  { id: "esci-fp32", label: "esci fp32", script: "esci.mjs", cfg: { modelDir: MODEL_DIR } },
  { id: "esci-int8", label: "esci int8", script: "esci.mjs", cfg: { modelDir: MODEL_DIR, quantize: "int8" } },
  { id: "ort", label: "onnxruntime-node, PyTorch export", script: "ort.mjs", needs: ["export"], cfg: { exportDir: EXPORT_DIR, batchSize: PEER_BATCH } },
  { id: "transformers.js", label: "transformers.js, PyTorch export", script: "transformers.mjs", needs: ["export", "tjs"], cfg: { exportDir: EXPORT_DIR, batchSize: PEER_BATCH } },
  { id: "pytorch", label: "PyTorch 1.13 + OpenBLAS", script: "torch_peer.py", kind: "python", needs: ["torch"], cfg: { modelDir: MODEL_DIR, batchSize: PEER_BATCH } },
  {
    id: "pad512",
    label: `pad every pair to ${PAD_LENGTH} (onnxruntime-node, PyTorch export)`,
    script: "ort.mjs",
    needs: ["export"],
    only: "esci",
    cfg: { exportDir: EXPORT_DIR, batchSize: PEER_BATCH, padTo: PAD_LENGTH },
  },
].filter((e) => !only || only.includes(e.id));

async function main() {
  const started = new Date();
  await ensureModel();
  const torch = pythonTorch();
  const have = { torch: torch.ok, export: false, tjs: existsSync(join(BENCH, "node_modules", "@huggingface", "transformers")) };
  const skipped = {};
  if (torch.ok) {
    ensureExport();
    have.export = true;
  }
  const openblas = torch.ok ? ensureOpenBlas() : undefined;
  if (ENGINES.some((e) => e.script === "esci.mjs")) {
    log("building esci's graphs (cached after the first run)");
    prebuildEsci([{}, { quantize: "int8" }]);
  }
  const workloadFile = writeWorkload(SETTINGS.esciPairs);
  const why = { torch: torch.why, export: torch.why, tjs: "bench dependencies not installed (npm --prefix bench install)" };

  const perRound = new Map(ENGINES.map((e) => [e.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (const e of ENGINES) {
      const missing = (e.needs ?? []).find((n) => !have[n]);
      if (missing) {
        skipped[e.id] = why[missing];
        continue;
      }
      log(`round ${round + 1}/${rounds}: ${e.label}`);
      const cfg = {
        engine: e.id,
        threads: THREADS,
        workloadFile,
        fixed: e.only !== "esci",
        latency: e.only !== "esci",
        esci: true,
        esciLimit: e.id === "pad512" ? SETTINGS.padPairs : undefined,
        esciWarmup: e.id === "pad512" ? PEER_BATCH : 64,
        esciPasses,
        reps: SETTINGS.reps,
        latencyIters: SETTINGS.latencyIters,
        logitsOut: join(TMP, `logits-${e.id}.f32`),
        ...e.cfg,
      };
      // OpenBLAS picks its AVX-512 kernels itself unless OPENBLAS_CORETYPE pins an older core.
      const env = e.kind === "python" && openblas ? { LD_LIBRARY_PATH: openblas, OPENBLAS_CORETYPE: null } : {};
      const r = runChild(e.kind ?? "node", e.script, cfg, { env, retries });
      if (r.error) log(`  ${e.id} failed: ${r.error}`);
      else log(`  ${summary(r)}`);
      perRound.get(e.id).push(r);
    }
  }

  const results = ENGINES.filter((e) => !skipped[e.id]).map((e) => ({ id: e.id, label: e.label, ...combine(perRound.get(e.id)) }));
  const accuracy = compareOutputs(results);
  const report = {
    date: started.toISOString(),
    machine: machine(),
    settings: {
      quick,
      rounds,
      threads: THREADS,
      model: "random-weight RoBERTa, DistilRoBERTa sizes (6 × 768, 12 heads, FFN 3072, vocab 50265), 4 ESCI labels",
      fixed: "32 pairs × 64 tokens per call (longest_first truncation to 64)",
      esci: `${SETTINGS.esciPairs} synthetic ESCI-like pairs end to end (tokenization included), the fastest of ${esciPasses} pass${esciPasses > 1 ? "es" : ""}; peers: batches of ${PEER_BATCH} in input order, padded to each batch's longest row`,
      pad512: `first ${SETTINGS.padPairs} of those pairs, every row padded to ${PAD_LENGTH} (cost per pair does not depend on its length)`,
      pytorch: torch.ok ? `torch ${torch.version}, BLAS: ${openblas ? "OpenBLAS (openmp) unpacked under bench/.cache" : "system libblas.so.3"}` : torch.why,
      tokenizers: "esci: its own (@huggingface/tokenizers); onnxruntime-node peer: esci's tokenizer; transformers.js: its own; PyTorch: make_fixtures' reference BPE",
    },
    results,
    skipped,
    accuracy,
  };
  report.targets = checkTargets(report);
  const md = renderMarkdown(report);
  const outDir = quick ? TMP : join(BENCH, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(outDir, "latest.md"), md);
  process.stdout.write(md);
  log(`\nwrote ${join(outDir, "latest.json")} and latest.md`);
  if (!quick && !only) updateDocs(md);
}

/** A full run replaces the table between the bench markers of docs/speed.md. */
function updateDocs(md) {
  const file = join(ROOT, "docs", "speed.md");
  if (!existsSync(file)) return;
  const doc = readFileSync(file, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const [i, j] = [doc.indexOf(start), doc.indexOf(end)];
  if (i < 0 || j < i) return;
  const body = md.replace(/^# .*\n\n/, ""); // the doc has its own heading
  writeFileSync(file, `${doc.slice(0, i + start.length)}\n${body.trim()}\n${doc.slice(j)}`);
  log(`updated ${file}`);
}

function summary(r) {
  const f = (x, d = 1) => (x === undefined ? "–" : x.toFixed(d));
  return `${r.engine}: 32×64 ${f(r.fixed?.pairsPerSec)} pairs/s · ESCI ${f(r.esci?.pairsPerSec)} pairs/s · p50 ${f(r.latency?.p50)} ms · RSS ${f(r.peakRssMiB, 0)} MiB`;
}

/** Median over rounds of every metric (one round: that round). */
function combine(runs) {
  const ok = runs.filter((r) => !r.error);
  if (!ok.length) return { error: runs[0]?.error ?? "did not run" };
  const med = (get) => {
    const xs = ok.map(get).filter((x) => x !== undefined).sort((a, b) => a - b);
    if (!xs.length) return undefined;
    const mid = xs.length >> 1;
    return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  };
  const last = ok[ok.length - 1];
  return {
    rounds: ok.length,
    fixedPairsPerSec: med((r) => r.fixed?.pairsPerSec),
    esciPairsPerSec: med((r) => r.esci?.pairsPerSec),
    esciPairs: last.esci?.pairs,
    p50Ms: med((r) => r.latency?.p50),
    p99Ms: med((r) => r.latency?.p99),
    peakRssMiB: med((r) => r.peakRssMiB),
    loadMs: med((r) => r.loadMs),
    othersCpuShare: Math.max(...ok.map((r) => r.othersCpuShare ?? 0)),
    ...(last.gemmMs !== undefined ? { gemmMs: last.gemmMs } : {}),
    perRound: ok.map((r) => ({
      fixedPairsPerSec: r.fixed?.pairsPerSec,
      esciPairsPerSec: r.esci?.pairsPerSec,
      p50Ms: r.latency?.p50,
      peakRssMiB: r.peakRssMiB,
      othersCpuShare: r.othersCpuShare,
    })),
  };
}

function softmax(row) {
  const m = Math.max(...row);
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

/**
 * Every engine's ESCI-workload logits against esci fp32 (the same function, so |Δ| should be
 * float noise), and int8's arg-max agreement and probability drift.
 */
function compareOutputs(results) {
  const W = LABELS.length;
  const base = readLogits(join(TMP, "logits-esci-fp32.f32"), W);
  if (!base) return {};
  const out = { maxAbsLogitDiffVsEsciFp32: {} };
  for (const r of results) {
    if (r.error || r.id === "esci-fp32") continue;
    const rows = readLogits(join(TMP, `logits-${r.id}.f32`), W);
    if (!rows) continue;
    let maxD = 0;
    rows.forEach((row, i) => row.forEach((v, j) => (maxD = Math.max(maxD, Math.abs(v - base[i][j])))));
    out.maxAbsLogitDiffVsEsciFp32[r.id] = maxD;
    if (r.id === "esci-int8") {
      let agree = 0;
      let maxDp = 0;
      rows.forEach((row, i) => {
        const p = softmax(row);
        const q = softmax(base[i]);
        if (argmax(p) === argmax(q)) agree++;
        p.forEach((v, j) => (maxDp = Math.max(maxDp, Math.abs(v - q[j]))));
      });
      out.int8 = { pairs: rows.length, argmaxAgreement: agree / rows.length, maxAbsProbDiff: maxDp };
    }
  }
  return out;
}

await main();
