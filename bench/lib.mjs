/**
 * What the benchmark scripts share: the benchmark model (a random DistilRoBERTa-sized ESCI
 * checkpoint, made once under bench/.cache), its PyTorch export, esci's prebuilt graphs, the
 * workload file, and running one engine in its own child process (so its peak RSS is its own).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { esciPairs, FIXED_BATCH, FIXED_LENGTH, longPairs } from "./workload.mjs";

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH, "..");
export const CACHE = join(BENCH, ".cache");
export const TMP = join(BENCH, "results", "tmp");
export const MODEL_DIR = join(CACHE, "distilroberta-esci");
export const EXPORT_DIR = join(CACHE, "torch-export");
export const OPENBLAS_DIR = join(CACHE, "openblas", "usr", "lib", "x86_64-linux-gnu", "openblas-openmp");
export const PYTHON = "/usr/bin/python3";
export const LABELS = ["exact", "substitute", "complement", "irrelevant"];
/** esci's built graphs go to a cache of their own, not the user's. */
export const ESCI_CACHE = join(CACHE, "esci");
export const THREADS = cpus().length;

export function log(msg) {
  process.stderr.write(`${msg}\n`);
}

function requireDist() {
  if (!existsSync(join(ROOT, "dist", "src", "models", "cross-encoder.js"))) {
    throw new Error("esci is not built: run `npm run build` first");
  }
}

/** Python with torch, or a sentence saying why not. */
export function pythonTorch() {
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy, regex; print(torch.__version__)"], { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, why: `${PYTHON} lacks torch/numpy/regex (apt-get install python3-torch python3-regex)` };
  return { ok: true, version: r.stdout.trim() };
}

/** The random DistilRoBERTa-sized checkpoint (writeRandomCheckpoint, as test/models/memory.test.ts). */
export async function ensureModel() {
  requireDist();
  if (existsSync(join(MODEL_DIR, "model.safetensors"))) return MODEL_DIR;
  log(`writing the random DistilRoBERTa-sized checkpoint to ${MODEL_DIR}`);
  const { DISTILROBERTA_SIZES, writeRandomCheckpoint } = await import("../dist/src/models/random-checkpoint.js");
  writeRandomCheckpoint(MODEL_DIR, { ...DISTILROBERTA_SIZES, labels: LABELS, tokenizerFrom: join(ROOT, "test", "fixtures", "models", "tiny-roberta-esci") });
  return MODEL_DIR;
}

/** The PyTorch export of the same weights (bench/export_torch.py), redone when the checkpoint is newer. */
export function ensureExport() {
  const onnx = join(EXPORT_DIR, "onnx", "model.onnx");
  if (existsSync(onnx) && statSync(onnx).mtimeMs > statSync(join(MODEL_DIR, "model.safetensors")).mtimeMs) return EXPORT_DIR;
  log("exporting the checkpoint through torch.onnx.export");
  execFileSync(PYTHON, [join(BENCH, "export_torch.py"), MODEL_DIR, EXPORT_DIR], { stdio: ["ignore", "inherit", "inherit"] });
  return EXPORT_DIR;
}

/** OpenBLAS for the PyTorch child (bench/setup-openblas.sh), or undefined if it cannot be had. */
export function ensureOpenBlas() {
  if (!existsSync(join(OPENBLAS_DIR, "libblas.so.3"))) {
    const r = spawnSync("sh", [join(BENCH, "setup-openblas.sh")], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) return undefined;
  }
  return OPENBLAS_DIR;
}

/**
 * Builds (or finds) esci's cached graph for each option set in a throwaway child, so no engine
 * child's peak RSS includes building.
 */
export function prebuildEsci(optionSets) {
  const script = `
    import { prepareOnnxModel } from ${JSON.stringify(join(ROOT, "dist/src/models/loader.js"))};
    for (const o of JSON.parse(process.argv[1])) prepareOnnxModel(${JSON.stringify(MODEL_DIR)}, "classify", o);
  `;
  execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(optionSets)], {
    env: { ...process.env, ESCI_CACHE },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

/** Writes the workload (same pairs for every engine) and returns its path. */
export function writeWorkload(nPairs) {
  mkdirSync(TMP, { recursive: true });
  const fixed = longPairs(FIXED_BATCH);
  const file = join(TMP, `workload-${nPairs}.json`);
  writeFileSync(file, JSON.stringify({ fixed, single: longPairs(1, 7)[0], fixedLength: FIXED_LENGTH, esci: esciPairs(nPairs) }));
  return file;
}

/** Busy and total CPU time of the whole machine so far, in ms (from /proc/stat; USER_HZ = 100). */
function cpuTimes() {
  if (!existsSync("/proc/stat")) return undefined;
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * 10, total: total * 10 };
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Share of the machine's CPU busy over the next `ms` (while this process sleeps). */
function busyShare(ms = 1000) {
  const a = cpuTimes();
  sleepMs(ms);
  const b = cpuTimes();
  return a && b ? (b.busy - a.busy) / Math.max(1, b.total - a.total) : 0;
}

/**
 * The machine is shared: before each child, wait (at most `maxWaitMs`) until other processes use
 * under 15% of the CPUs, so one engine is not timed while another job steals its cores. On a
 * machine that is never quiet this only delays; interleaved rounds and the reported load are
 * what keep the ratios honest then.
 */
export function waitForQuiet(maxWaitMs = 10_000) {
  const t0 = Date.now();
  let share = busyShare();
  while (share > 0.15 && Date.now() - t0 < maxWaitMs) {
    sleepMs(2000);
    share = busyShare();
  }
  return share;
}

/**
 * Runs one engine child: `node bench/engines/<script>` or the Python peer, with `cfg` as its JSON
 * argument; `env` adds variables to the child's environment (null removes one). Returns the
 * parsed result line, or `{ error }`.
 *
 * Noise guard: the child reports its own CPU time; whatever else the machine did meanwhile is
 * other jobs' load (`othersCpuShare`). A run disturbed by more than 10% is repeated (at most
 * `retries` times) and the least disturbed run kept.
 */
export function runChild(kind, script, cfg, { env = {}, timeoutMs = 30 * 60_000, retries = 1 } = {}) {
  let best;
  for (let attempt = 0; attempt <= retries; attempt++) {
    waitForQuiet();
    const r = runOnce(kind, script, cfg, env, timeoutMs);
    if (r.error) return r;
    if (!best || r.othersCpuShare < best.othersCpuShare) best = { ...r, attempts: attempt + 1 };
    if (r.othersCpuShare <= 0.1) break;
    log(`  other jobs took ${(100 * r.othersCpuShare).toFixed(0)}% of the CPUs during that run${attempt < retries ? "; repeating it" : ""}`);
  }
  return best;
}

function runOnce(kind, script, cfg, env, timeoutMs) {
  const cmd = kind === "python" ? PYTHON : process.execPath;
  const childEnv = { ...process.env, ESCI_CACHE, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === null) delete childEnv[k];
  const before = cpuTimes();
  const r = spawnSync(cmd, [join(BENCH, "engines", script), JSON.stringify(cfg)], {
    env: childEnv,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  const after = cpuTimes();
  const line = r.stdout?.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (r.status !== 0 || !line) {
    const tail = `${r.stderr ?? ""}`.trim().split("\n").slice(-6).join(" | ");
    return { engine: cfg.engine, error: `exit ${r.status ?? r.signal}: ${tail}` };
  }
  const result = JSON.parse(line);
  if (before && after && result.cpuMs !== undefined) {
    const total = after.total - before.total;
    result.othersCpuShare = Math.max(0, (after.busy - before.busy - result.cpuMs) / Math.max(1, total));
  } else result.othersCpuShare = 0;
  return result;
}

export function readLogits(file, width) {
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const rows = [];
  for (let i = 0; i < f.length; i += width) rows.push(f.subarray(i, i + width));
  return rows;
}

export function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const flags = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"].filter((f) => new RegExp(`\\b${f}\\b`).test(cpuinfo));
  const ortVersion = JSON.parse(readFileSync(join(ROOT, "node_modules", "onnxruntime-node", "package.json"), "utf8")).version;
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    vcpus: cpus().length,
    flags,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    onnxruntimeNode: ortVersion,
  };
}
