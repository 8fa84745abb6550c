/**
 * Issue 16's speed rows: a base-sized random checkpoint of a family (bench/make_arch_model.py,
 * written by transformers), esci fp32 and int8 against sentence-transformers' CrossEncoder on
 * PyTorch CPU, each in its own child, alternating engines over `--rounds` rounds (the fastest
 * round of each engine is kept, so the host's busy phases hit every engine alike). Measures one
 * fixed batch of 32 pairs at 64 tokens (both sides longer, truncated) and one pair at 64 tokens;
 * checks the engines' logits agree. Writes bench/results/architectures-<family>.{json,md}.
 *
 *   node bench/architectures.mjs [--family modernbert|distilroberta] [--rounds 2] [--reps 3]
 *
 * The torch dynamic-int8 peer (quantize_dynamic of every nn.Linear) runs beside esci int8.
 *
 * Needs `npm run build` and the reference Python stack (/tmp/ref: torch, transformers 5,
 * sentence-transformers 6).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { longPairs } from "./workload.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PY = "/tmp/ref/bin/python";
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const family = arg("--family", "modernbert");
const rounds = Number(arg("--rounds", 2));
const reps = Number(arg("--reps", 3));
const threads = cpus().length;

const modelDir = join(ROOT, ".cache", "bench", `${family}-base-random`);
if (!existsSync(modelDir)) {
  mkdirSync(dirname(modelDir), { recursive: true });
  process.stderr.write(`writing the random ${family} checkpoint with transformers → ${modelDir}\n`);
  execFileSync(PY, [join(ROOT, "bench/make_arch_model.py"), family, modelDir], { stdio: ["ignore", "ignore", "inherit"] });
}
const [single, ...rest] = longPairs(33);
const settings = { root: ROOT, modelDir, threads, maxLength: 64, batch: rest, single, reps, singleReps: 4 * reps };
const ENGINES = [
  { id: "esci-fp32", label: "esci fp32", cmd: process.execPath, script: "bench/engines/esci_arch.mjs", extra: {} },
  { id: "st-torch", label: "sentence-transformers CrossEncoder, PyTorch CPU", cmd: PY, script: "bench/engines/st_cross_encoder.py", extra: {} },
  { id: "esci-int8", label: "esci int8", cmd: process.execPath, script: "bench/engines/esci_arch.mjs", extra: { quantize: "int8" } },
  { id: "st-torch-int8", label: "sentence-transformers CrossEncoder, PyTorch CPU dynamic int8", cmd: PY, script: "bench/engines/st_cross_encoder.py", extra: { int8: true } },
];

const best = {};
for (let r = 0; r < rounds; r++) {
  for (const e of ENGINES) {
    const out = execFileSync(e.cmd, [join(ROOT, e.script), JSON.stringify({ ...settings, ...e.extra })], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 });
    const res = JSON.parse(out.trim().split("\n").pop());
    process.stderr.write(`round ${r + 1} ${e.id}: 32 × 64 ${res.batchMs.toFixed(0)} ms, one pair ${res.singleMs.toFixed(1)} ms\n`);
    const b = best[e.id];
    best[e.id] = b ? { ...b, batchMs: Math.min(b.batchMs, res.batchMs), singleMs: Math.min(b.singleMs, res.singleMs) } : res;
  }
}
const peer = best["st-torch"];
const drift = (id) => Math.max(...best[id].logits.flat().map((x, i) => Math.abs(x - peer.logits.flat()[i])));
const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
const rows = ENGINES.map((e) => ({
  engine: e.label,
  batchMs: best[e.id].batchMs,
  singleMs: best[e.id].singleMs,
  speedupBatch: peer.batchMs / best[e.id].batchMs,
  speedupSingle: peer.singleMs / best[e.id].singleMs,
  maxAbsLogitDiff: e.id === "st-torch" ? 0 : drift(e.id),
}));
const md = [
  `# ${family}: esci against sentence-transformers on PyTorch CPU`,
  "",
  `\`node bench/architectures.mjs --family ${family} --rounds ${rounds} --reps ${reps}\`, ${date}, ${cpus()[0].model}, ${threads} threads, torch ${peer.torch}; ` +
    `random ${family}-base-sized checkpoint (bench/make_arch_model.py). Fastest of ${rounds} rounds of each engine (each a median of ${reps} batches / ${4 * reps} single pairs), engines alternating.`,
  "",
  "| engine | 32 pairs × 64 tokens (ms) | × PyTorch | one pair at 64 tokens (ms) | × PyTorch | max \\|Δ logit\\| vs PyTorch (4 pairs) |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.engine} | ${r.batchMs.toFixed(0)} | ${r.speedupBatch.toFixed(2)}× | ${r.singleMs.toFixed(1)} | ${r.speedupSingle.toFixed(2)}× | ${r.maxAbsLogitDiff.toExponential(1)} |`),
  "",
].join("\n");
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, `bench/results/architectures-${family}.json`), JSON.stringify({ family, date, threads, rounds, reps, rows }, null, 1) + "\n");
writeFileSync(join(ROOT, `bench/results/architectures-${family}.md`), md);
process.stdout.write(md);
