/**
 * The measuring protocol every Node engine child runs (bench/engines/torch_peer.py mirrors it):
 *
 *   load → warm up (5 calls: the first few are slow while weights are paged in) → fixed 32 × 64 (median of `reps` calls) → single-pair latency at 64 tokens
 *   (p50/p99 of `latencyIters` calls) → the ESCI-like workload end to end (one warm-up slice,
 *   then `esciPasses` full passes, the fastest kept) → peak RSS.
 *
 * A child gets its settings as one JSON argument and prints one JSON result line; the ESCI
 * workload's logits go to `logitsOut` (float32, row-major [pairs, labels]) so run.mjs can check
 * that every engine computed the same function and compare int8 with fp32.
 *
 * An engine is `{ scoreFixed(pairs, maxLength) → logits[][], scoreAll(pairs) → logits[][] }`:
 * scoreFixed scores one call's pairs as one batch; scoreAll is the engine's own way of scoring
 * a whole list (esci: its length-aware batching; peers: batches of 32 in input order).
 */
import { readFileSync, writeFileSync } from "node:fs";

/** The child's settings (argv[2], JSON) with the workload read from `workloadFile`. */
export function settings() {
  const cfg = JSON.parse(process.argv[2]);
  return { ...cfg, workload: JSON.parse(readFileSync(cfg.workloadFile, "utf8")) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
}

async function timed(fn) {
  const t = performance.now();
  const out = await fn();
  return { ms: performance.now() - t, out };
}

export function peakRssMiB() {
  return (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
}

/** Runs the protocol on `engine` and prints the result line. */
export async function measure(cfg, load) {
  const loaded = await timed(load);
  const engine = loaded.out;
  const { fixed, single, esci, fixedLength } = cfg.workload;
  const result = { engine: cfg.engine, loadMs: loaded.ms };

  if (cfg.fixed) {
    for (let i = 0; i < 5; i++) await engine.scoreFixed(fixed, fixedLength);
    const times = [];
    for (let i = 0; i < cfg.reps; i++) times.push((await timed(() => engine.scoreFixed(fixed, fixedLength))).ms);
    result.fixed = { pairsPerSec: (fixed.length * 1000) / median(times), msPerBatch: median(times), reps: cfg.reps };
  }
  if (cfg.latency) {
    for (let i = 0; i < 5; i++) await engine.scoreFixed([single], fixedLength);
    const times = [];
    for (let i = 0; i < cfg.latencyIters; i++) times.push((await timed(() => engine.scoreFixed([single], fixedLength))).ms);
    result.latency = { p50: percentile(times, 0.5), p99: percentile(times, 0.99), iters: cfg.latencyIters };
  }
  if (cfg.esci) {
    const pairs = esci.slice(0, cfg.esciLimit ?? esci.length);
    await engine.scoreAll(pairs.slice(0, Math.min(pairs.length, cfg.esciWarmup ?? 64)));
    let best = Infinity;
    let logits;
    for (let i = 0; i < (cfg.esciPasses ?? 1); i++) {
      const r = await timed(() => engine.scoreAll(pairs));
      if (r.ms < best) best = r.ms;
      logits = r.out;
    }
    result.esci = { pairs: pairs.length, seconds: best / 1000, pairsPerSec: (pairs.length * 1000) / best };
    if (cfg.logitsOut) writeFileSync(cfg.logitsOut, Buffer.from(Float32Array.from(logits.flat()).buffer));
  }
  result.peakRssMiB = peakRssMiB();
  await engine.dispose?.();
  const cpu = process.cpuUsage();
  result.cpuMs = (cpu.user + cpu.system) / 1000; // run.mjs subtracts this to see other jobs' load
  process.stdout.write(JSON.stringify(result) + "\n");
}

/** Consecutive slices of `size`, input order (how the peers are used: a plain batch loop). */
export function chunks(xs, size) {
  const out = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
