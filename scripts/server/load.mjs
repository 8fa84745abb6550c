#!/usr/bin/env node
// Load test of `esci serve` (run `npm run build` first): N concurrent clients POST /rerank with
// D documents each for S seconds against a server on loopback, then the same pairs are scored
// offline in one process (CrossEncoder.predict, the CLI's batch path) for comparison.
//
// Reports: requests, statuses (5xx must be 0), p50/p90/p99 latency, pairs/s served vs offline
// pairs/s (the queue batches across requests, so the two should be close) — also per CPU-second
// of the scoring process, which other work on a shared machine changes much less than pairs/s —
// the server's batch sizes and padding ratio (from /metrics), and its memory over time (RSS, V8
// heap, external; the second half of the load must not grow).
//
//   node scripts/server/load.mjs                       # DistilRoBERTa-sized random model, 32 clients, 60 s
//   node scripts/server/load.mjs --model test/fixtures/models/tiny-roberta-esci --seconds 3 --clients 4 --no-offline
//
// Bounded: loopback only, --seconds (at most 600) and --max-requests stop it; the server child is
// killed on exit. --json prints the figures as one JSON object on stdout; --trace FILE writes one
// line per request (seconds since start when sent, latency ms, status).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request, Agent } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const ESCI_LABELS = ["exact", "substitute", "complement", "irrelevant"];

const { values: o } = parseArgs({
  options: {
    model: { type: "string" },
    "random-dir": { type: "string", default: join(tmpdir(), "esci-load-distilroberta-esci") },
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "32" },
    docs: { type: "string", default: "20" },
    "max-requests": { type: "string", default: "1000000" },
    threads: { type: "string" },
    quantize: { type: "string" },
    "offline-pairs": { type: "string", default: "640" },
    "no-offline": { type: "boolean", default: false },
    trace: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const seconds = Math.min(600, Number(o.seconds));
const clients = Number(o.clients);
const docsPer = Number(o.docs);
const maxRequests = Number(o["max-requests"]);
const log = (m) => process.stderr.write(`load: ${m}\n`);

// ---------------------------------------------------------------- the model

async function modelDir() {
  if (o.model) return o.model;
  const dir = o["random-dir"];
  if (!existsSync(join(dir, "model.safetensors"))) {
    log(`writing a random DistilRoBERTa-sized ESCI checkpoint to ${dir}`);
    const { writeRandomCheckpoint, DISTILROBERTA_SIZES } = await import(join(ROOT, "dist/src/models/random-checkpoint.js"));
    mkdirSync(dir, { recursive: true });
    writeRandomCheckpoint(dir, { ...DISTILROBERTA_SIZES, labels: ESCI_LABELS, tokenizerFrom: join(ROOT, "test/fixtures/models/tiny-roberta-esci") });
  }
  return dir;
}

// ---------------------------------------------------------------- the workload

/** Product titles of the demo catalog and queries made from them: deterministic, realistic lengths. */
function workload() {
  const titles = [];
  for (const f of ["demo/catalog.jsonl", "demo/hand-written.jsonl"]) {
    const p = join(ROOT, f);
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, "utf8").split("\n")) if (line.trim()) titles.push(JSON.parse(line).title);
  }
  if (titles.length < docsPer) throw new Error("demo/catalog.jsonl is missing: it supplies the product titles");
  const queries = titles.map((t) => t.toLowerCase().split(/\W+/).filter((w) => w.length > 2).slice(0, 3).join(" "));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  /** Request i: a query and `docsPer` titles. */
  return (i) => {
    seed = 1 + i * 7919;
    const q = queries[Math.floor(rand() * queries.length)];
    const texts = Array.from({ length: docsPer }, () => titles[Math.floor(rand() * titles.length)]);
    return { query: q, texts, truncate: true };
  };
}

// ---------------------------------------------------------------- the server

function startServer(model) {
  const args = [CLI, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", "--quiet"];
  if (o.threads) args.push("--threads", o.threads);
  if (o.quantize) args.push("--quantize", o.quantize);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, HF_HUB_OFFLINE: "1" } });
  let err = "";
  return new Promise((resolveUrl, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m && /ready:/.test(err)) resolveUrl({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`esci serve exited (${code}) before it was ready:\n${err}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: clients });

function post(url, path, body) {
  const data = JSON.stringify(body);
  return new Promise((res) => {
    const t0 = performance.now();
    const req = request(`${url}${path}`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (r) => {
      const chunks = [];
      r.on("data", (c) => chunks.push(c));
      r.on("end", () => res({ status: r.statusCode, ms: performance.now() - t0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", (e) => res({ status: 0, ms: performance.now() - t0, body: e.message }));
    req.end(data);
  });
}

function getText(url) {
  return new Promise((res, rej) => request(url, { agent }, (r) => {
    let s = "";
    r.on("data", (c) => (s += c));
    r.on("end", () => res(s));
  }).on("error", rej).end());
}

/** Sum of a metric's samples (optionally only the _bucket/_sum/_count suffix) from the exposition text. */
function metricSum(text, name) {
  let s = 0;
  for (const line of text.split("\n")) if (line.startsWith(name) && (line[name.length] === "{" || line[name.length] === " ")) s += Number(line.split(" ").pop());
  return s;
}

/**
 * Offline batch scoring of the same kind of pairs, in this process (the server idle or stopped):
 * CrossEncoder.predict, the CLI's path. Pairs/s. Measured before and after the load, because the
 * machine may be shared: the mean of the two is the baseline.
 */
async function offline() {
  const { CrossEncoder } = await import(join(ROOT, "dist/src/index.js"));
  const ce = await CrossEncoder.load(model, { ...(o.threads ? { threads: Number(o.threads) } : {}), ...(o.quantize ? { quantize: o.quantize } : {}) });
  const n = Number(o["offline-pairs"]);
  const pairs = [];
  for (let i = 0; pairs.length < n; i++) {
    const r = make(i);
    for (const t of r.texts) pairs.push([r.query, t]);
  }
  pairs.length = n;
  // Untimed first pass: ONNX Runtime grows its memory arena for each new batch shape, which the
  // server did during its own warm-up and first seconds.
  await ce.predict(pairs);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await ce.predict(pairs);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  await ce.dispose();
  const r = { pairs_per_s: +(n / wall).toFixed(1), pairs_per_cpu_s: +(n / ((c.user + c.system) / 1e6)).toFixed(2) };
  log(`offline: ${r.pairs_per_s} pairs/s, ${r.pairs_per_cpu_s} pairs per CPU-second`);
  return r;
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc (Linux). */
function cpuSecondsOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// ---------------------------------------------------------------- run

const model = await modelDir();
log(`starting esci serve --model ${model}`);
const { child, url } = await startServer(model);
process.on("exit", () => child.kill("SIGKILL"));
const make = workload();

const offlineBefore = o["no-offline"] ? undefined : await offline();

// Warm-up (first ONNX runs allocate); not counted.
await Promise.all(Array.from({ length: Math.min(clients, 4) }, (_, i) => post(url, "/rerank", make(1_000_000 + i))));

log(`${clients} clients × ${docsPer} documents for ${seconds} s against ${url}/rerank`);
const statuses = {};
const latencies = [];
/** [seconds since start when sent, latency in ms, status] per request, for --trace. */
const trace = [];
const memory = [];
let sent = 0;
const start = performance.now();
const cpuStart = cpuSecondsOf(child.pid);
const end = start + seconds * 1000;
// Memory, from the server's own /metrics (answered by the event loop while ONNX Runtime computes).
const sampler = setInterval(async () => {
  const t = (performance.now() - start) / 1000;
  const m = await getText(`${url}/metrics`).catch(() => "");
  if (m) memory.push({ t, rss: metricSum(m, "process_resident_memory_bytes"), heap: metricSum(m, "nodejs_heap_used_bytes"), external: metricSum(m, "nodejs_external_memory_bytes") });
}, 2000);
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() < end && sent < maxRequests) {
      const sentAt = (performance.now() - start) / 1000;
      const r = await post(url, "/rerank", make(sent++));
      trace.push([+sentAt.toFixed(3), +r.ms.toFixed(1), r.status]);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) latencies.push(r.ms);
      else if (Object.keys(statuses).length < 8) log(`status ${r.status}: ${r.body.slice(0, 200)}`);
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpuUsed = cpuStart === undefined ? undefined : cpuSecondsOf(child.pid) - cpuStart;
clearInterval(sampler);
const metrics = await getText(`${url}/metrics`);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
agent.destroy();

latencies.sort((a, b) => a - b);
const ok = statuses[200] ?? 0;
const servedPairs = ok * docsPer;
const batches = metricSum(metrics, "esci_batch_size_count");
const rows = metricSum(metrics, "esci_batch_size_sum");
const tokens = metricSum(metrics, "esci_tokens_total");
const padded = metricSum(metrics, "esci_padded_tokens_total");
/** Least-squares slope (MiB per minute) of `key` over the second half of the load (the drain after it excluded). */
const second = memory.filter((x) => x.t >= seconds / 2 && x.t <= seconds);
const slope = (key) => {
  if (second.length < 3) return null;
  const mt = second.reduce((s, x) => s + x.t, 0) / second.length;
  const mv = second.reduce((s, x) => s + x[key], 0) / second.length;
  const num = second.reduce((s, x) => s + (x.t - mt) * (x[key] - mv), 0);
  const den = second.reduce((s, x) => s + (x.t - mt) ** 2, 0);
  return +(((num / den) * 60) / 2 ** 20).toFixed(2);
};
const mib = (v) => (v === undefined ? null : Math.round(v / 2 ** 20));
const memoryFigures = (key) => ({
  first: mib(memory[0]?.[key]),
  half_time: mib(second[0]?.[key]),
  end_of_load: mib(second[second.length - 1]?.[key]),
  after_drain: mib(memory[memory.length - 1]?.[key]),
  second_half_mib_per_min: slope(key),
});

const result = {
  date: new Date().toISOString(),
  model,
  clients,
  docs_per_request: docsPer,
  seconds: Number(elapsed.toFixed(1)),
  requests: Object.values(statuses).reduce((a, b) => a + b, 0),
  statuses,
  errors_5xx: Object.entries(statuses).filter(([s]) => Number(s) >= 500 || Number(s) === 0).reduce((a, [, n]) => a + n, 0),
  latency_ms: latencies.length ? { p50: +pct(latencies, 50).toFixed(1), p90: +pct(latencies, 90).toFixed(1), p99: +pct(latencies, 99).toFixed(1), max: +latencies[latencies.length - 1].toFixed(1) } : null,
  served_pairs_per_s: +(servedPairs / elapsed).toFixed(1),
  ...(cpuUsed ? { server_cpu_s: +cpuUsed.toFixed(1), served_pairs_per_cpu_s: +(servedPairs / cpuUsed).toFixed(2) } : {}),
  batches,
  mean_batch_rows: batches ? +(rows / batches).toFixed(1) : 0,
  padding_ratio: padded ? +(1 - tokens / padded).toFixed(3) : 0,
  memory_mib: { rss: memoryFigures("rss"), heap: memoryFigures("heap"), external: memoryFigures("external") },
};

// ---------------------------------------------------------------- offline baseline

if (!o["no-offline"]) {
  const offlineAfter = await offline();
  result.offline_runs = [offlineBefore, offlineAfter];
  result.offline_pairs_per_s = +((offlineBefore.pairs_per_s + offlineAfter.pairs_per_s) / 2).toFixed(1);
  result.served_vs_offline = +(result.served_pairs_per_s / result.offline_pairs_per_s).toFixed(3);
  // Per CPU-second: what a shared machine's other load does not change much.
  result.offline_pairs_per_cpu_s = +((offlineBefore.pairs_per_cpu_s + offlineAfter.pairs_per_cpu_s) / 2).toFixed(2);
  if (result.served_pairs_per_cpu_s) result.served_vs_offline_per_cpu_s = +(result.served_pairs_per_cpu_s / result.offline_pairs_per_cpu_s).toFixed(3);
}

if (o.trace) writeFileSync(o.trace, trace.map((x) => x.join("\t")).join("\n") + "\n");
if (o.json) process.stdout.write(JSON.stringify(result) + "\n");
else {
  log(`requests ${result.requests} (${JSON.stringify(statuses)}), 5xx ${result.errors_5xx}`);
  if (result.latency_ms) log(`latency p50 ${result.latency_ms.p50} ms, p90 ${result.latency_ms.p90} ms, p99 ${result.latency_ms.p99} ms`);
  log(`served ${result.served_pairs_per_s} pairs/s; ${result.batches} batches of ${result.mean_batch_rows} pairs on average; padding ${(result.padding_ratio * 100).toFixed(1)}%`);
  if (result.offline_pairs_per_s) log(`offline ${result.offline_pairs_per_s} pairs/s → served/offline = ${result.served_vs_offline}`);
  if (result.served_vs_offline_per_cpu_s) log(`per CPU-second: served ${result.served_pairs_per_cpu_s}, offline ${result.offline_pairs_per_cpu_s} → ${result.served_vs_offline_per_cpu_s}`);
  for (const [k, v] of Object.entries(result.memory_mib)) log(`${k}: ${v.first} MiB at start, ${v.half_time} at half time, ${v.end_of_load} at the end of the load, ${v.after_drain} after the drain (second half: ${v.second_half_mib_per_min} MiB/min)`);
}
process.exit(result.errors_5xx === 0 ? 0 : 1);
