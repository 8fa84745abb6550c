// 1,000,000 synthetic pairs through the queue with the tiny fixture model: the output must equal a
// single-process `esci classify` run byte for byte.
//
//   npm run build && node scripts/jobs/million-pairs.mjs [--pairs 1000000] [--workers 2] [--shard-size 8192]
//
// Prints both run times and whether the files are identical (exit 1 if not). test/jobs runs the
// same comparison on 3,000 pairs.
import { createWriteStream, readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, scratch, startRedis, startWorker, stopWorker, timed } from "./lib.mjs";

const { values } = parseArgs({ options: { pairs: { type: "string", default: "1000000" }, workers: { type: "string", default: "2" }, "shard-size": { type: "string", default: "8192" } } });
const PAIRS = Number(values.pairs);
const dir = scratch("esci-million-");
const env = { ESCI_CACHE: join(dir, "cache") };
const model = join(ROOT, "test/fixtures/models/tiny-roberta-esci");

const input = join(dir, "pairs.jsonl");
const words = "red running shoe usb cable blue hat phone case wireless charger leather wallet kitchen knife set garden hose lamp".split(" ");
await new Promise((res, rej) => {
  const out = createWriteStream(input);
  out.on("error", rej);
  let i = 0;
  const more = () => {
    let ok = true;
    while (i < PAIRS && ok) {
      const w = (k) => words[(i * k + (i >> 7)) % words.length];
      ok = out.write(JSON.stringify({ query_id: `q${i >> 5}`, product_id: `P${i}`, query: `${w(1)} ${w(3)}`, product: `${w(5)} ${w(7)} ${w(11)} ${i}` }) + "\n");
      i++;
    }
    if (i < PAIRS) out.once("drain", more);
    else out.end(res);
  };
  more();
});

const single = join(dir, "single.jsonl");
const tSingle = timed(["classify", "--model", model, "--input", input, "--output", single, "--quiet"], env);
console.log(`single process: ${PAIRS.toLocaleString("en-US")} pairs in ${tSingle.toFixed(1)} s`);

const url = startRedis();
const workers = [];
for (let i = 0; i < Number(values.workers); i++) workers.push(await startWorker(url, env));
const queued = join(dir, "queued.jsonl");
const tQueue = timed(["classify", "--model", model, "--input", input, "--output", queued, "--queue", url, "--shard-size", values["shard-size"], "--quiet"], env);
for (const w of workers) await stopWorker(w);
console.log(`queue, ${values.workers} workers: ${PAIRS.toLocaleString("en-US")} pairs in ${tQueue.toFixed(1)} s`);

const same = readFileSync(single).equals(readFileSync(queued));
console.log(`outputs identical: ${same} (${statSync(single).size.toLocaleString("en-US")} bytes)`);
console.log(JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, pairs: PAIRS, workers: Number(values.workers), shardSize: Number(values["shard-size"]), singleSeconds: tSingle, queueSeconds: tQueue, identical: same }));
if (!same) process.exitCode = 1;
