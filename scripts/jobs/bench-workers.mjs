// 1 versus 2 esci workers (one ONNX Runtime thread each) on the same queue: throughput ratio.
//
//   npm run build && node scripts/jobs/bench-workers.mjs [--pairs 4096] [--layers 6]
//
// The model is a random DistilRoBERTa-sized cross-encoder (src/models/random-checkpoint.ts, 768
// wide, --layers deep), so compute dominates and Redis' share is small, as with the real ESCI
// model. Each worker first scores one warm-up shard (model load and ONNX graph build are not
// timed), then the same input is classified through the queue with one worker and with two; the
// script checks that both outputs equal each other byte for byte and prints pairs/s and the ratio.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, scratch, startRedis, startWorker, stopWorker, timed } from "./lib.mjs";

const { values } = parseArgs({ options: { pairs: { type: "string", default: "4096" }, layers: { type: "string", default: "6" } } });
const PAIRS = Number(values.pairs);
const dir = scratch("esci-bench-workers-");
const env = { ESCI_CACHE: join(dir, "cache") };

const { DISTILROBERTA_SIZES, writeRandomCheckpoint } = await import(join(ROOT, "dist/src/models/random-checkpoint.js"));
const model = join(dir, "model");
writeRandomCheckpoint(model, { ...DISTILROBERTA_SIZES, numLayers: Number(values.layers), labels: ["exact", "substitute", "complement", "irrelevant"], tokenizerFrom: join(ROOT, "test/fixtures/models/tiny-roberta-esci") });

const words = "red running shoe usb cable blue hat phone case wireless charger leather wallet kitchen knife set".split(" ");
const write = (path, n, seed) => {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const w = (k) => words[(i * k + seed) % words.length];
    lines.push(JSON.stringify({ query: `${w(1)} ${w(3)}`, product: `${w(5)} ${w(7)} ${w(11)} ${w(13)} model ${i} ${w(2)} ${w(9)} for ${w(4)} ${w(6)}` }));
  }
  writeFileSync(path, lines.join("\n") + "\n");
};
const input = join(dir, "pairs.jsonl");
write(input, PAIRS, 0);
const warm = join(dir, "warm.jsonl");
write(warm, 2048, 1);

const url = startRedis();
const classify = (inp, out) => ["classify", "--model", model, "--input", inp, "--output", out, "--queue", url, "--quiet"];
const results = {};
for (const n of [1, 2]) {
  const workers = [];
  for (let i = 0; i < n; i++) workers.push(await startWorker(url, env));
  timed(classify(warm, join(dir, `warm-${n}.jsonl`)), env); // 2 shards: each worker loads the model
  const s = timed(classify(input, join(dir, `out-${n}.jsonl`)), env);
  results[n] = { seconds: s, pairsPerSecond: PAIRS / s };
  console.log(`${n} worker${n > 1 ? "s" : ""}: ${PAIRS} pairs in ${s.toFixed(1)} s = ${(PAIRS / s).toFixed(1)} pairs/s`);
  for (const w of workers) await stopWorker(w);
}
const same = readFileSync(join(dir, "out-1.jsonl")).equals(readFileSync(join(dir, "out-2.jsonl")));
const ratio = results[2].pairsPerSecond / results[1].pairsPerSecond;
console.log(`2 workers / 1 worker: ${ratio.toFixed(2)}× (target ≥ 1.8×); outputs identical: ${same}`);
console.log(JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, pairs: PAIRS, layers: Number(values.layers), results, ratio, identical: same }));
if (!same) process.exitCode = 1;
