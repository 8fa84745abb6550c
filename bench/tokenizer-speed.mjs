/**
 * The scoring hot path's tokenizing: 2,000 distinct short query–product pairs encoded (longest-first
 * truncation, special tokens) and padded by esci's PairTokenizer, against the same pairs encoded
 * by @huggingface/tokenizers' Tokenizer straight from tokenizer.json (its own pair encoding, no
 * padding) — the peer, measured in the same run. Formerly a timed test
 * (test/tokenizer/speed.test.ts, "well under a second"); a timing belongs in a script.
 *
 *   node bench/tokenizer-speed.mjs [--reps N]     (after npm run build)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { loadTokenizer } from "../dist/src/tokenizer/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const REPS = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : 5;
const QUERIES = ["wireless headphones", "16 oz water bottle", "iphone 12 case", "running shoes men", "coffee maker", "dog toys large", "usb c charger"];
const PRODUCTS = [
  "Sony WH-1000XM4 Wireless Noise Cancelling Over-Ear Headphones, Black",
  "Hydro Flask 16 oz Standard Mouth Water Bottle, Stainless Steel",
  "Spigen Ultra Hybrid Case for iPhone 12 / 12 Pro – Crystal Clear",
  "Nike Air Zoom Pegasus 38 Men's Road Running Shoes, size 10.5",
  "Keurig K-Classic Coffee Maker, Single Serve K-Cup Pod",
  "Kong Classic Dog Toy, Large, Red",
  "Anker USB C Charger 20W, PIQ 3.0 Durable Compact Fast Charger",
];

/** Fastest of REPS runs of `f` over fresh pairs (distinct texts each rep, so no cache hits carry over). */
function fastest(f) {
  let best = Infinity;
  for (let r = 0; r < REPS; r++) {
    const pairs = Array.from({ length: 2000 }, (_, i) => [`${QUERIES[i % 7]} ${i % 50} r${r}`, `${PRODUCTS[(i * 3) % 7]} #${i} r${r}`]);
    const t0 = performance.now();
    f(pairs);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

console.log(`# tokenizing 2,000 short pairs — ${new Date().toISOString()}, Node ${process.version}, fastest of ${REPS}\n`);
console.log("| model | esci encodePairs + padBatch ms | @huggingface/tokenizers encode ms | esci ÷ peer |");
console.log("|---|---|---|---|");
for (const name of ["tiny-roberta-esci", "tiny-bert-3label"]) {
  const dir = join(ROOT, "test", "fixtures", "models", name);
  const tok = await loadTokenizer(dir, { maxPositions: 64 });
  const peer = new Tokenizer(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")), JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")));
  const esci = fastest((pairs) => tok.padBatch(tok.encodePairs(pairs)));
  const lib = fastest((pairs) => {
    for (const [q, p] of pairs) peer.encode(q, { text_pair: p });
  });
  console.log(`| ${name} | ${esci.toFixed(1)} | ${lib.toFixed(1)} | ${(esci / lib).toFixed(2)} |`);
}
