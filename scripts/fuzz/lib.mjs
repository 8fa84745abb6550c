/**
 * The fuzz harness shared by the scripts of scripts/fuzz/ (one per reader). A reader module
 * exports `name`, `setup(dir)` → seeds (valid inputs), `mutate(rng, seeds)` → one mutated input,
 * and `check(input, dir)`, which feeds the input to the reader and returns "ok" (read to the end)
 * or throws. An EsciError counts as a clean refusal; any other exception is a crash.
 *
 * The cases run in a child process that reports after each one; the parent is a watchdog that
 * kills the child when one case takes longer than the per-case timeout (a hang, even a synchronous
 * one) and records it. (A child process, not a worker thread: onnxruntime-node aborts the whole
 * process when it is first loaded in a worker that later starts workers of its own.) Case i of seed S is always the same input (seeded PRNG), so a
 * crash replays with `--seed S --from i --n 1`; crashing inputs are also written to
 * scripts/fuzz/crashes/ (git-ignored).
 *
 *   node scripts/fuzz/<reader>.mjs [--n 10000] [--seed 1] [--from 0] [--timeout-ms 10000]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fork } from "node:child_process";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = pathToFileURL(join(ROOT, "dist", "src", "index.js")).href;

/** mulberry32: a seeded PRNG in [0, 1). */
export function prng(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng, n) => Math.floor(rng() * n);
export const pick = (rng, xs) => xs[int(rng, xs.length)];

/** Byte strings that break parsers: quotes, separators, line ends, NUL, BOM, bad UTF-8, huge numbers. */
const NASTY = [
  '"', '""', ",", "\n", "\r", "\r\n", "\0", "\\", "{", "}", "[", "]", ":", "\ufeff", "\u2028", "\ud800",
  "9".repeat(400), "-0", "1e999", "NaN", "null", "true", "[[[[[[[[[[", "{\"a\":".repeat(50), "🛒", "é",
].map((s) => Buffer.from(s, "utf8")).concat([Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf0, 0x9f, 0x98])]);

/** One byte-level mutation of `b` (flip, insert, delete, duplicate, truncate, splice another seed). */
export function mutateBytes(rng, b, others = []) {
  const out = Buffer.from(b);
  const at = int(rng, out.length + 1);
  switch (int(rng, 8)) {
    case 0:
      if (out.length) out[int(rng, out.length)] ^= 1 << int(rng, 8);
      return out;
    case 1:
      return Buffer.concat([out.subarray(0, at), pick(rng, NASTY), out.subarray(at)]);
    case 2: {
      const n = 1 + int(rng, 16);
      return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + n))]);
    }
    case 3: {
      const n = 1 + int(rng, 64);
      return Buffer.concat([out.subarray(0, at), out.subarray(at, at + n), out.subarray(at)]);
    }
    case 4:
      return out.subarray(0, at);
    case 5: {
      const other = others.length ? pick(rng, others) : out;
      return Buffer.concat([out.subarray(0, at), other.subarray(int(rng, other.length + 1))]);
    }
    case 6:
      if (out.length) out[int(rng, out.length)] = int(rng, 256);
      return out;
    default:
      return Buffer.concat([out.subarray(0, at), Buffer.from(String.fromCharCode(...Array.from({ length: 1 + int(rng, 8) }, () => int(rng, 128))), "latin1"), out.subarray(at)]);
  }
}

/** 1–4 stacked byte mutations. */
export function mutateMany(rng, b, others) {
  let out = b;
  for (let k = 1 + int(rng, 4); k > 0; k--) out = mutateBytes(rng, out, others);
  return out;
}

/** Values that stress a JSON consumer's type checks. */
export const WEIRD_VALUES = [
  null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, -1e308, "", " ", "x".repeat(30_000), "\u0000", "🛒", [], [[]], {}, { a: 1 }, ["a"], ["a", "b", "c"], "E", "exact", "LABEL_0",
];

/** One structural edit of a parsed JSON value (replace, delete, wrap, nest). */
export function mutateJson(rng, value, depth = 0) {
  if (value === null || typeof value !== "object" || depth > 4 || rng() < 0.25) {
    const r = int(rng, 4);
    if (r === 0) return pick(rng, WEIRD_VALUES);
    if (r === 1) return [value];
    if (r === 2) return { value };
    return typeof value === "string" ? value.repeat(1 + int(rng, 3)) + pick(rng, ["", "\n", '"', "\ud83d"]) : pick(rng, WEIRD_VALUES);
  }
  if (Array.isArray(value)) {
    const out = [...value];
    if (out.length && rng() < 0.3) out.splice(int(rng, out.length), 1);
    else if (rng() < 0.2) out.push(pick(rng, WEIRD_VALUES));
    else if (out.length) {
      const i = int(rng, out.length);
      out[i] = mutateJson(rng, out[i], depth + 1);
    }
    return out;
  }
  const out = { ...value };
  const keys = Object.keys(out);
  const r = rng();
  if (keys.length && r < 0.25) delete out[pick(rng, keys)];
  else if (r < 0.35) out[pick(rng, ["__proto__", "constructor", "extra", "", "pairs", "query", "id", "title"])] = pick(rng, WEIRD_VALUES);
  else if (keys.length) {
    const k = pick(rng, keys);
    out[k] = mutateJson(rng, out[k], depth + 1);
  }
  return out;
}

// ---------------------------------------------------------------- worker side

const WORKER_ENV = "ESCI_FUZZ_WORKER";
const SETUP_MS = 10 * 60 * 1000;
const send = (m) => new Promise((resolve) => process.send(m, resolve));

async function work() {
  const { readerUrl, seed, from, n, dir } = JSON.parse(process.env[WORKER_ENV]);
  const reader = await import(readerUrl);
  const esci = await import(DIST);
  {
    const seeds = await reader.setup(dir, esci);
    await send({ ready: true });
    for (let i = from; i < from + n; i++) {
      const rng = prng((seed * 1_000_003 + i) | 0);
      const input = reader.mutate(rng, seeds);
      await send({ start: i, input: Buffer.isBuffer(input) ? input : Buffer.from(JSON.stringify(input)) });
      let outcome;
      try {
        outcome = await reader.check(input, dir, esci);
      } catch (e) {
        if (e instanceof esci.EsciError) outcome = `EsciError ${e.code}`;
        else {
          await send({ crash: i, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
          outcome = "crash";
        }
      }
      await send({ done: i, outcome });
    }
    await reader.teardown?.();
  }
}

// Not awaited: the reader module that work() imports imports this module in turn.
if (process.env[WORKER_ENV] !== undefined && process.send) {
  work().then(
    () => process.disconnect(),
    (e) => {
      process.stderr.write(`fuzz worker failed: ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------- main side

function flag(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/**
 * Runs the reader module at `readerUrl` (named `name`; not imported here, since a reader run
 * directly calls this while it is still being evaluated) over its cases in a worker; prints a
 * summary and returns it:
 * { reader, seed, inputs, outcomes: {outcome: count}, crashes: [{i, error}], hangs: [{i}], seconds }.
 */
export async function fuzz(readerUrl, name, argv = process.argv.slice(2)) {
  const n = flag(argv, "--n", 10_000);
  const seed = flag(argv, "--seed", 1);
  const from = flag(argv, "--from", 0);
  const timeoutMs = flag(argv, "--timeout-ms", 10_000);
  const result = { reader: name, seed, inputs: 0, outcomes: {}, crashes: [], hangs: [], seconds: 0 };
  const crashDir = join(ROOT, "scripts", "fuzz", "crashes");
  const t0 = performance.now();
  let next = from;
  while (next < from + n) {
    // One child per stretch of cases: a hang ends the child, and the next stretch starts after it.
    const stop = await new Promise((resolve) => {
      // Mutants are files: on a RAM-backed /dev/shm where there is one, the disk is no bottleneck.
      // The parent owns the directory, so a child killed by the watchdog leaves nothing behind.
      const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), `esci-fuzz-${name}-`));
      const env = { ...process.env, [WORKER_ENV]: JSON.stringify({ readerUrl, seed, from: next, n: from + n - next, dir }) };
      const w = fork(fileURLToPath(import.meta.url), [], { env, serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
      let current = next;
      let input;
      let timer;
      // Until the child reports its setup done (loading models can take minutes on a busy
      // machine), the limit is SETUP_MS; then each case gets timeoutMs.
      const arm = (ms = timeoutMs) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          result.hangs.push({ i: current });
          mkdirSync(crashDir, { recursive: true });
          writeFileSync(join(crashDir, `${name}-seed${seed}-case${current}-hang.bin`), input ?? Buffer.alloc(0));
          w.kill("SIGKILL");
          resolve(current + 1);
        }, ms);
      };
      arm(SETUP_MS);
      w.on("message", (m) => {
        if (m.ready) clearTimeout(timer);
        else if (m.start !== undefined) {
          current = m.start;
          input = Buffer.from(m.input);
          arm();
        } else if (m.crash !== undefined) {
          result.crashes.push({ i: m.crash, error: m.error });
          mkdirSync(crashDir, { recursive: true });
          writeFileSync(join(crashDir, `${name}-seed${seed}-case${m.crash}.bin`), input);
        } else if (m.done !== undefined) {
          result.inputs++;
          result.outcomes[m.outcome] = (result.outcomes[m.outcome] ?? 0) + 1;
          if (result.inputs % 1000 === 0) process.stderr.write(`${name}: ${result.inputs}/${n}\n`);
        }
      });
      w.on("error", (e) => {
        clearTimeout(timer);
        result.crashes.push({ i: current, error: `worker error: ${e.stack ?? e}` });
        resolve(current + 1);
      });
      w.on("exit", (code, signal) => {
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
        if (code !== 0 && signal !== "SIGKILL") {
          // The child died on its own (a native abort, an out-of-memory): a crash of case `current`.
          result.crashes.push({ i: current, error: `the fuzz process exited with code ${code}, signal ${signal}` });
          resolve(current + 1);
        } else resolve(from + n);
      });
    });
    next = stop;
  }
  result.seconds = (performance.now() - t0) / 1000;
  const crashes = result.crashes.length + result.hangs.length;
  console.log(
    `${name}: ${result.inputs} inputs (seed ${seed}), ${crashes} crashes/hangs in ${result.seconds.toFixed(0)} s; outcomes: ` +
      Object.entries(result.outcomes)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
  );
  for (const c of result.crashes.slice(0, 5)) console.log(`  crash at case ${c.i}: ${c.error.split("\n").slice(0, 4).join("\n    ")}`);
  for (const h of result.hangs.slice(0, 5)) console.log(`  hang at case ${h.i} (over ${timeoutMs} ms)`);
  return result;
}

/** True when the calling module was run directly (`node scripts/fuzz/x.mjs`). */
export function isMain(moduleUrl) {
  return process.env[WORKER_ENV] === undefined && process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === moduleUrl;
}
