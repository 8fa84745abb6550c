/**
 * Training throughput of esci against PyTorch, measured in one run on the same machine:
 * optimizer steps (forward, backward, clipping, AdamW) of a DistilRoBERTa-sized model
 * (DISTILROBERTA_SIZES, random weights) on batches of 32 pairs × 64 tokens.
 *
 *   npm run build && node scripts/train/bench.mjs [--quick] [--steps N] [--rounds N]
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
import { readFileSync } from "node:fs";
import { ensureModel, ensureOpenBlas, machine, PYTHON, pythonTorch, ROOT, THREADS, waitForQuiet } from "../../bench/lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const argValue = (name) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
const settings = { batch: 32, length: 64, warmup: quick ? 1 : 2, steps: argValue("--steps") ?? (quick ? 2 : 5), threads: THREADS };
const rounds = argValue("--rounds") ?? (quick ? 1 : 3);

/** Busy and total CPU time of the whole machine so far, in ms (from /proc/stat; USER_HZ = 100). */
function cpuTimes() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]) * 10, total: f.slice(0, 8).reduce((a, b) => a + b, 0) * 10 };
}

/**
 * One engine child. The machine is shared: it first waits for other jobs to quiet down, and it
 * records how much of the CPUs other processes took meanwhile (othersCpuShare), so a disturbed
 * run is visible; each engine runs `rounds` times, interleaved, and its least disturbed round counts.
 */
function child(cmd, script, cfg, env = {}) {
  waitForQuiet();
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === null) delete childEnv[k];
  const before = cpuTimes();
  const r = spawnSync(cmd, [join(ROOT, "scripts", "train", script), JSON.stringify(cfg)], { env: childEnv, encoding: "utf8", maxBuffer: 16 << 20 });
  const after = cpuTimes();
  const line = r.stdout?.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (r.status !== 0 || !line) return { error: `exit ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").slice(-4).join(" | ")}` };
  const res = JSON.parse(line);
  const ownCpu = res.ownCpuMs ?? 0;
  res.othersCpuShare = Math.max(0, (after.busy - before.busy - ownCpu) / Math.max(1, after.total - before.total));
  return res;
}

const modelDir = await ensureModel();
const torch = pythonTorch();
const blas = torch.ok ? ensureOpenBlas() : undefined;
const engines = [
  { id: "esci", run: () => child(process.execPath, "bench-esci.mjs", { ...settings, modelDir, dropout: 0 }) },
  { id: "esci dropout 0.1", run: () => child(process.execPath, "bench-esci.mjs", { ...settings, modelDir, dropout: 0.1 }) },
  {
    id: "pytorch",
    // OPENBLAS_CORETYPE (set to Haswell on some machines) would force AVX2 kernels: let OpenBLAS detect the CPU
    run: () => (torch.ok ? child(PYTHON, "bench_torch.py", { ...settings, modelDir }, { OPENBLAS_CORETYPE: null, ...(blas ? { LD_LIBRARY_PATH: blas } : {}) }) : { error: torch.why }),
  },
];
process.stderr.write(`training steps, ${settings.batch} × ${settings.length}, ${settings.steps} timed after ${settings.warmup} warm-up, ${rounds} rounds; PyTorch ${torch.ok ? torch.version : "unavailable"}${blas ? " + OpenBLAS" : ""}\n`);
const all = Object.fromEntries(engines.map((e) => [e.id, []]));
for (let round = 0; round < rounds; round++) {
  for (const e of engines) {
    const r = e.run();
    all[e.id].push(r);
    process.stderr.write(`  round ${round + 1} ${e.id}: ${r.error ?? `${r.msPerStep.toFixed(0)} ms/step, others took ${(100 * r.othersCpuShare).toFixed(0)}% of the CPUs`}\n`);
  }
}
const ok = (rs) => rs.filter((r) => !r.error);
const best = (rs) => ok(rs).sort((a, b) => a.msPerStep - b.msPerStep)[0] ?? rs[0];
const results = engines.map((e) => ({
  engine: e.id,
  ...best(all[e.id]),
  rounds: all[e.id].map((r) => (r.error ? null : Math.round(r.msPerStep))),
  fastestMs: Math.min(...ok(all[e.id]).flatMap((r) => r.stepMs)),
}));

const torchRow = results.find((r) => r.engine === "pytorch" && !r.error);
const gib = (b) => (b / 2 ** 30).toFixed(2);
const ratio = (a, b) => (b ? `${(b / a).toFixed(2)}×` : "–");
const lines = [
  `date: ${new Date().toISOString().slice(0, 10)}; machine: ${JSON.stringify(machine())}`,
  "",
  "| engine | tokens/s | ms/step (median, best round) | all rounds | fastest step ms | CPU ms/step | vs PyTorch (median) | vs PyTorch (fastest step) | peak RSS GiB |",
  "|---|---:|---:|---|---:|---:|---:|---:|---:|",
];
for (const r of results) {
  if (r.error) lines.push(`| ${r.engine} | error: ${r.error} | | | | | | | |`);
  else
    lines.push(
      `| ${r.engine}${r.gemmMs ? ` (GEMM check ${r.gemmMs.toFixed(1)} ms)` : ""} | ${r.tokensPerSec.toFixed(0)} | ${r.msPerStep.toFixed(0)} | ${r.rounds.join(", ")} | ${r.fastestMs} | ${r.cpuMsPerStep.toFixed(0)} | ${ratio(r.msPerStep, torchRow?.msPerStep)} | ${ratio(r.fastestMs, torchRow?.fastestMs)} | ${gib(r.peakRssBytes)} |`,
    );
}
console.log(lines.join("\n"));
console.log(JSON.stringify({ settings, rounds, results: all }));
