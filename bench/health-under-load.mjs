/**
 * How fast `esci serve` answers GET /health while it works on the largest requests it accepts
 * (issue 14: "/health answers in < 50 ms while a maximal request is processed"). A real
 * `esci serve` child over the committed tiny fixture models (the tokenizer, whose cost is the
 * point here, is a full byte-level BPE; the tiny encoder keeps the model's share small) and a
 * SQLite catalog of the demo products plus one product whose title is 5 MB. The parent polls
 * /health every 10 ms on a fresh connection and records each answer's latency:
 *
 *   idle      nothing else in flight (the peer the other rows are compared with)
 *   classify  one maximal POST /v1/classify: as many pairs as the default --max-body (16 MiB)
 *             holds with both texts at the default --max-chars (20,000)
 *   search    POST /v1/search whose candidates include the 5 MB-title product
 *
 *   node bench/health-under-load.mjs [--pairs N]     (after npm run build)
 *
 * Prints a Markdown table (p50, p99, max of /health; duration of the big request), the ratio of
 * each row's p99 to the idle p99, and the longest task on the server's main thread in each row's
 * window: the server runs with --cpu-prof, and a task is a run of consecutive non-idle samples of
 * its main-thread profile (V8's profile clock is the monotonic clock this script reads). On a
 * loaded machine the /health times mostly measure the scheduler; the longest task is what the
 * server itself holds the event loop for. A timing script, not a test: results depend on the machine.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const MODEL = join(ROOT, "test", "fixtures", "models", "tiny-roberta-esci");
const EMBED = join(ROOT, "test", "fixtures", "models", "tiny-st-roberta");
const args = process.argv.slice(2);
const MAX_CHARS = 20_000;
// The most pairs of two MAX_CHARS texts that fit the default --max-body (16 MiB).
const PAIRS = args.includes("--pairs") ? Number(args[args.indexOf("--pairs") + 1]) : Math.floor((16 * 1024 * 1024) / (2 * MAX_CHARS + 32));

const tmp = mkdtempSync(join(tmpdir(), "esci-bench-health-"));
const env = { ...process.env, HF_HUB_OFFLINE: "1", ESCI_CACHE: join(tmp, "cache") };

function send(url, body) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: body === undefined ? "GET" : "POST", agent: false, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve({ status: res.statusCode, body: s, ms: performance.now() - t0 }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** /health latencies while `work()` runs (or for `idleMs` when there is no work). */
async function pollHealth(url, work, idleMs = 2000) {
  const lat = [];
  let done = false;
  const t0 = performance.now();
  const running = work ? work().finally(() => (done = true)) : new Promise((r) => setTimeout(() => ((done = true), r()), idleMs));
  while (!done) {
    lat.push((await send(`${url}/health`)).ms);
    await new Promise((r) => setTimeout(r, 10));
  }
  const result = await running;
  return { lat: lat.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000, result };
}

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
/** Microseconds on the monotonic clock, V8's profile clock. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Busy stretches [start, end] µs of a .cpuprofile: runs of consecutive samples that are not "(idle)". */
function busyStretches(profile) {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const out = [];
  let t = profile.startTime;
  let cur;
  profile.samples.forEach((id, i) => {
    const prev = t;
    t += profile.timeDeltas[i];
    if (idle.has(id)) cur = undefined;
    else if (cur) cur[1] = t;
    else out.push((cur = [prev, t]));
  });
  return out;
}

// A catalog: the demo products plus one with a 5 MB title that matches the query.
const catalog = join(tmp, "catalog.jsonl");
const huge = "car stereo bluetooth receiver ".repeat(Math.ceil(5e6 / 30)).slice(0, 5e6);
writeFileSync(catalog, readFileSync(join(ROOT, "demo", "catalog.jsonl"), "utf8") + JSON.stringify({ id: "HUGE", title: huge }) + "\n");
const store = `sqlite:${join(tmp, "store.db")}`;
const ix = spawnSync(process.execPath, [CLI, "index", "--catalog", catalog, "--store", store, "--embed-model", EMBED, "--quiet"], { env, encoding: "utf8" });
if (ix.status !== 0) throw new Error(`esci index failed: ${ix.stderr}`);

const profDir = join(tmp, "profile");
const child = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profDir}`, CLI, "serve", "--model", MODEL, "--store", store, "--port", "0", "--quiet"], {
  env,
  stdio: ["ignore", "ignore", "pipe"],
});
try {
  const url = await new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m && err.includes("ready:")) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`esci serve exited ${code}: ${err}`)));
  });
  const text = "wireless optical mouse with nano receiver ".repeat(Math.ceil(MAX_CHARS / 42)).slice(0, MAX_CHARS);
  // Encoded once, here: writing a 16 MB string would stall this process's own loop (and its
  // /health timings) while it converts the string to bytes.
  const body = Buffer.from(JSON.stringify({ pairs: Array.from({ length: PAIRS }, (_, i) => [`${i} ${text}`.slice(0, MAX_CHARS), text]) }));
  await send(`${url}/health`); // warm the connection path
  const rows = [];
  const run = async (name, work) => {
    const from = nowUs();
    const r = await pollHealth(url, work);
    if (r.result && r.result.status !== 200) throw new Error(`${name}: HTTP ${r.result.status} ${r.result.body.slice(0, 300)}`);
    rows.push({ name, n: r.lat.length, p50: q(r.lat, 0.5), p99: q(r.lat, 0.99), max: r.lat[r.lat.length - 1], seconds: r.result ? r.result.ms / 1000 : undefined, from, to: nowUs() });
  };
  await run("idle", undefined);
  await run(`classify: ${PAIRS} pairs × 2 × ${MAX_CHARS} chars (${(body.length / 1e6).toFixed(1)} MB body)`, () => send(`${url}/v1/classify`, body));
  await run("search: candidates include a 5 MB title", () => send(`${url}/v1/search`, JSON.stringify({ query: "car stereo bluetooth", k: 10, candidates: 100, rerank: true })));
  // The profile is written when the server exits.
  child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  const mainProfile = readdirSync(profDir).find((f) => /^CPU\.[\d.]+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const stretches = mainProfile ? busyStretches(JSON.parse(readFileSync(join(profDir, mainProfile), "utf8"))) : [];
  const idle = rows[0].p99;
  console.log(`# /health under load — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}\n`);
  console.log("| while | /health answers | p50 ms | p99 ms | max ms | p99 ÷ idle p99 | longest main-thread task ms | request s |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const longest = Math.max(0, ...stretches.filter(([a, b]) => b > r.from && a < r.to).map(([a, b]) => (b - a) / 1000));
    console.log(`| ${r.name} | ${r.n} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.p99 / idle).toFixed(2)} | ${mainProfile ? longest.toFixed(1) : "?"} | ${r.seconds?.toFixed(2) ?? "–"} |`);
  }
} finally {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
  rmSync(tmp, { recursive: true, force: true });
}
