/**
 * Training throughput of esci against PyTorch, measured in one run on the same machine:
 * optimizer steps (forward, backward, clipping, AdamW) of a DistilRoBERTa-sized model
 * (DISTILROBERTA_SIZES, random weights) on batches of 32 pairs × 64 tokens.
 *
 *   npm run build && node scripts/train/bench.mjs [--quick] [--steps N]
 *
 * Engines, each in its own child process so its peak RSS is its own:
 *   esci          scripts/train/bench-esci.mjs (runTraining, dropout 0)
 *   esci + dropout the same with dropout 0.1 (the config's rate), for reference
 *   PyTorch       scripts/train/bench_torch.py: the plain-torch reference model of
 *                 scripts/fixtures/make_fixtures.py in float32, torch.optim.AdamW, with Debian's
 *                 OpenBLAS (OpenMP build) unpacked by bench/setup-openblas.sh and put on
 *                 LD_LIBRARY_PATH for that child only
 * Both sides run without dropout (the reference model has none) and with all cores.
 * The model and OpenBLAS come from bench/lib.mjs, shared with the inference benchmark.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureModel, ensureOpenBlas, machine, PYTHON, pythonTorch, ROOT, THREADS, waitForQuiet } from "../../bench/lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const stepsArg = args.indexOf("--steps");
const settings = { batch: 32, length: 64, warmup: quick ? 1 : 2, steps: stepsArg >= 0 ? Number(args[stepsArg + 1]) : quick ? 2 : 5, threads: THREADS };

function child(cmd, script, cfg, env = {}) {
  const share = waitForQuiet();
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === null) delete childEnv[k];
  const r = spawnSync(cmd, [join(ROOT, "scripts", "train", script), JSON.stringify(cfg)], { env: childEnv, encoding: "utf8", maxBuffer: 16 << 20 });
  const line = r.stdout?.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (r.status !== 0 || !line) return { error: `exit ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-4).join(" | ")}` };
  return { ...JSON.parse(line), busyBefore: share };
}

const modelDir = await ensureModel();
const results = [];
process.stderr.write(`esci training, ${settings.batch} × ${settings.length}, ${settings.steps} timed steps after ${settings.warmup} warm-up\n`);
results.push(child(process.execPath, "bench-esci.mjs", { ...settings, modelDir, dropout: 0 }));
results.push(child(process.execPath, "bench-esci.mjs", { ...settings, modelDir, dropout: 0.1 }));
const torch = pythonTorch();
if (torch.ok) {
  const blas = ensureOpenBlas();
  process.stderr.write(`PyTorch ${torch.version}${blas ? " + OpenBLAS" : " (system BLAS: OpenBLAS could not be unpacked)"}\n`);
  // OPENBLAS_CORETYPE (set to Haswell on some machines) would force AVX2 kernels: let OpenBLAS detect the CPU
  results.push(child(PYTHON, "bench_torch.py", { ...settings, modelDir }, { OPENBLAS_CORETYPE: null, ...(blas ? { LD_LIBRARY_PATH: blas } : {}) }));
} else results.push({ engine: "pytorch", error: torch.why });

const torchRow = results.find((r) => r.engine === "pytorch" && !r.error);
const gib = (b) => (b / 2 ** 30).toFixed(2);
const lines = [
  `date: ${new Date().toISOString().slice(0, 10)}; machine: ${JSON.stringify(machine())}`,
  "",
  "| engine | tokens/s | ms/step (median) | vs PyTorch | peak RSS GiB |",
  "|---|---:|---:|---:|---:|",
];
for (const r of results) {
  if (r.error) lines.push(`| ${r.engine ?? "?"} | error: ${r.error} | | | |`);
  else
    lines.push(
      `| ${r.engine}${r.gemmMs ? ` (GEMM check ${r.gemmMs.toFixed(1)} ms)` : ""} | ${r.tokensPerSec.toFixed(0)} | ${r.msPerStep.toFixed(0)} | ${torchRow ? (r.tokensPerSec / torchRow.tokensPerSec).toFixed(2) + "×" : "–"} | ${gib(r.peakRssBytes)} |`,
    );
}
console.log(lines.join("\n"));
console.log(JSON.stringify({ settings, results }));
