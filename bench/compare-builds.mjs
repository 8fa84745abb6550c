/**
 * Two builds of esci on the same work, in one run: does a change (a refactor) cost speed?
 *
 *   node bench/compare-builds.mjs --before DIR [--after DIR] [--rounds 3] [--pairs 400] [--paths http,cli,…]
 *
 * DIR is a checkout with `npm run build` done (default --after: this one). Three paths, each in a
 * child process per build, builds alternating within a round so that load from other jobs falls
 * on both alike; each path's best round is kept (other jobs only ever slow a round down):
 *   library   CrossEncoder.load(M).predict(pairs), fp32 and int8 (model load not timed)
 *   cli       `esci classify --input F --output O` as a whole process, fp32
 *   http      `esci serve`, 16 clients × /v1/classify of 8 pairs each until `pairs` are scored, fp32
 * M is the bench's DistilRoBERTa-sized checkpoint (bench/lib.mjs ensureModel); pairs are the
 * ESCI-like workload (bench/workload.mjs). Prints pairs/s per build and after/before ratios.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureModel, ESCI_CACHE, MODEL_DIR, ROOT } from "./lib.mjs";
import { esciPairs } from "./workload.mjs";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    after: { type: "string", default: ROOT },
    rounds: { type: "string", default: "3" },
    pairs: { type: "string", default: "400" },
    paths: { type: "string" },
    child: { type: "string" },
    dist: { type: "string" },
  },
});
const N = Number(values.pairs);
const pairs = esciPairs(N);

if (values.child) {
  // Child: time one path of one build, print {pairsPerSecond}.
  process.env.ESCI_CACHE = ESCI_CACHE;
  const { CrossEncoder } = await import(join(values.dist, "dist/src/models/cross-encoder.js"));
  const ce = await CrossEncoder.load(MODEL_DIR, values.child === "int8" ? { quantize: "int8" } : {});
  await ce.predict(pairs.slice(0, 32));
  const t = performance.now();
  await ce.predict(pairs);
  console.log(JSON.stringify({ pairsPerSecond: N / ((performance.now() - t) / 1000) }));
  await ce.dispose();
  process.exit(0);
}

if (!values.before) throw new Error("--before DIR is required (a checkout with dist/ built)");
const builds = { before: resolve(values.before), after: resolve(values.after) };
await ensureModel();
const work = mkdtempSync(join(tmpdir(), "esci-compare-builds-"));
const env = { ...process.env, ESCI_CACHE };
const input = join(work, "pairs.jsonl");
writeFileSync(input, pairs.map(([query, product]) => JSON.stringify({ query, product })).join("\n") + "\n");

function library(dir, mode) {
  const r = spawnSync(process.execPath, [import.meta.filename, "--child", mode, "--dist", dir, "--pairs", String(N)], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()).pairsPerSecond;
}

function cli(dir) {
  const out = join(work, "out.jsonl");
  rmSync(out, { force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(dir, "dist/src/cli/main.js"), "classify", "--model", MODEL_DIR, "--input", input, "--output", out, "--quiet"], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return N / ((performance.now() - t) / 1000);
}

function post(port, body) {
  return new Promise((res) => {
    const data = JSON.stringify(body);
    const req = request({ host: "127.0.0.1", port, path: "/v1/classify", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", () => res(0));
    req.end(data);
  });
}

async function http(dir) {
  const port = 20000 + Math.floor(Math.random() * 2000);
  const child = spawn(process.execPath, [join(dir, "dist/src/cli/main.js"), "serve", "--model", MODEL_DIR, "--port", String(port), "--quiet"], { env, stdio: "ignore" });
  try {
    while ((await post(port, { pairs: pairs.slice(0, 1) })) !== 200) await new Promise((r) => setTimeout(r, 50));
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next;
          next += 8;
          const status = await post(port, { pairs: pairs.slice(i, i + 8) });
          if (status !== 200) throw new Error(`HTTP ${status}`);
        }
      }),
    );
    return N / ((performance.now() - t) / 1000);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  }
}

const ALL = { "library fp32": (d) => library(d, "fp32"), "library int8": (d) => library(d, "int8"), "cli fp32": cli, "http fp32": http };
// --paths library,http: the paths whose name starts with one of the words.
const wanted = values.paths?.split(",") ?? [""];
const paths = Object.fromEntries(Object.entries(ALL).filter(([name]) => wanted.some((w) => name.startsWith(w))));
const best = {};
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 ? ["after", "before"] : ["before", "after"];
    for (const [name, run] of Object.entries(paths)) {
      for (const b of order) {
        const v = await run(builds[b]);
        best[name] ??= {};
        best[name][b] = Math.max(best[name][b] ?? 0, v);
        console.error(`round ${round + 1} ${name} ${b}: ${v.toFixed(1)} pairs/s`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\n${N} ESCI-like pairs, DistilRoBERTa-sized, best of ${values.rounds} rounds (pairs/s)`);
console.log("| path | before | after | after / before |\n|---|---|---|---|");
for (const [name, b] of Object.entries(best)) console.log(`| ${name} | ${b.before.toFixed(1)} | ${b.after.toFixed(1)} | ${(b.after / b.before).toFixed(3)} |`);
