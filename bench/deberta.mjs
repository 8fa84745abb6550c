/**
 * DeBERTa-v3-small-sized cross-encoder speed: esci fp32 and int8 against sentence-transformers'
 * CrossEncoder.predict on PyTorch CPU (issue 16's bench row), on the same ESCI-like pairs at
 * max_length 64, batch size 32, the same thread count. The random model (microsoft/deberta-v3-small's
 * config, 4 ESCI labels) is made once under bench/.cache/ by bench/deberta_peer.py. Each engine's
 * fastest of `--passes` passes counts (other jobs only slow a pass down); esci and torch run one
 * after the other, so compare ratios from one run only. Needs `npm run build` and /tmp/ref.
 *
 *   node bench/deberta.mjs [--pairs 256] [--passes 3] [--threads 2]
 *
 * Prints a Markdown row set and writes bench/results/deberta.md.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BENCH, CACHE, ESCI_CACHE } from "./lib.mjs";
import { esciPairs } from "./workload.mjs";

const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const nPairs = arg("--pairs", 256);
const passes = arg("--passes", 3);
const threads = arg("--threads", cpus().length);
const PY = "/tmp/ref/bin/python";

process.env.ESCI_CACHE = ESCI_CACHE;
const { CrossEncoder } = await import("../dist/src/models/cross-encoder.js");

const dir = join(CACHE, "deberta-v3-small-random");
if (!existsSync(join(dir, "model.safetensors"))) {
  mkdirSync(dir, { recursive: true });
  execFileSync(PY, [join(BENCH, "deberta_peer.py"), "make", dir], { stdio: "inherit" });
}
const pairs = esciPairs(nPairs);
const pairsFile = join(CACHE, "deberta-pairs.json");
writeFileSync(pairsFile, JSON.stringify(pairs));

async function esci(quantize) {
  const ce = await CrossEncoder.load(dir, { threads, ...(quantize ? { quantize } : {}) });
  await ce.predict(pairs.slice(0, 8), { maxLength: 64 }); // warm-up (and graph build on a cache miss)
  let best = Infinity;
  let first;
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    const out = await ce.predict(pairs, { maxLength: 64 });
    best = Math.min(best, (performance.now() - t0) / 1000);
    first = out.slice(0, 4).map((x) => x.logits);
  }
  await ce.dispose();
  return { seconds: best, logits: first };
}

const fp32 = await esci(undefined);
const int8 = await esci("int8");
const torch = JSON.parse(execFileSync(PY, [join(BENCH, "deberta_peer.py"), "time", dir, pairsFile, String(threads), String(passes)], { encoding: "utf8" }).trim().split("\n").pop());
const agree = Math.max(...fp32.logits.flatMap((row, i) => row.map((x, j) => Math.abs(x - torch.logits[i][j]))));
const rate = (r) => (nPairs / r.seconds).toFixed(1);
const when = new Date().toISOString().slice(0, 16).replace("T", " ");
const md = [
  `# DeBERTa-v3-small-sized cross-encoder (bench/deberta.mjs)`,
  ``,
  `${when} UTC, ${cpus()[0].model}, ${threads} threads; ${nPairs} ESCI-like pairs, max_length 64, batch 32, fastest of ${passes} passes; fp32 logits agree with torch to ${agree.toExponential(1)}.`,
  ``,
  `| engine | pairs/s | vs sentence-transformers (torch CPU) |`,
  `|---|---|---|`,
  `| sentence-transformers 6 CrossEncoder.predict, torch CPU fp32 | ${rate(torch)} | 1.00× |`,
  `| esci fp32 | ${rate(fp32)} | ${(torch.seconds / fp32.seconds).toFixed(2)}× |`,
  `| esci int8 | ${rate(int8)} | ${(torch.seconds / int8.seconds).toFixed(2)}× |`,
  ``,
].join("\n");
mkdirSync(join(BENCH, "results"), { recursive: true });
writeFileSync(join(BENCH, "results", "deberta.md"), md);
process.stdout.write(md);
