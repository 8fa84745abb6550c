/**
 * Tokenizer throughput on the scoring hot path: esci's PairTokenizer (Rust-exact components,
 * tokenizers 0.23's early exit, special-token frame, padding) against @huggingface/tokenizers' own
 * `encode(query, { text_pair })` on the same 2,000 distinct short pairs, for the RoBERTa (byte-level
 * BPE) and BERT (WordPiece) fixtures. Both run in turn in one process, pass after pass; each side's
 * fastest pass is kept (other jobs on a shared machine only ever slow a pass down).
 *
 *   node bench/tokenizer.mjs [--passes N]
 *
 * Prints pairs/s and the ratio esci / library. (Was a timed test; timings are benchmarks here.)
 */
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { loadTokenizer } from "../dist/src/tokenizer/index.js";

const passes = Number(process.argv[process.argv.indexOf("--passes") + 1]) || 5;
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

for (const name of ["tiny-roberta-esci", "tiny-bert-3label"]) {
  const dir = new URL(`../test/fixtures/models/${name}/`, import.meta.url).pathname;
  const esci = await loadTokenizer(dir, { maxPositions: 64 });
  const library = new Tokenizer(JSON.parse(readFileSync(dir + "tokenizer.json", "utf8")), JSON.parse(readFileSync(dir + "tokenizer_config.json", "utf8")));
  const best = { esci: Infinity, library: Infinity };
  for (let p = 0; p < passes; p++) {
    // Fresh texts each pass, so that neither side's word cache carries over.
    const pairs = Array.from({ length: 2000 }, (_, i) => [`${QUERIES[i % 7]} ${i % 50} p${p}`, `${PRODUCTS[(i * 3) % 7]} #${i} p${p}`]);
    let t0 = performance.now();
    esci.padBatch(esci.encodePairs(pairs));
    best.esci = Math.min(best.esci, performance.now() - t0);
    t0 = performance.now();
    for (const [q, d] of pairs) library.encode(q, { text_pair: d });
    best.library = Math.min(best.library, performance.now() - t0);
  }
  const rate = (ms) => Math.round(2000 / (ms / 1000));
  console.log(`${name}: esci ${rate(best.esci)} pairs/s, @huggingface/tokenizers encode ${rate(best.library)} pairs/s, ratio ${(best.library / best.esci).toFixed(2)}×`);
}
