/** The scoring hot path: 2,000 short pairs must encode and pad well under a second. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { modelDir } from "./helpers.js";

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

describe("speed", () => {
  for (const name of ["tiny-roberta-esci", "tiny-bert-3label"]) {
    it(`${name}: 2,000 distinct short pairs in well under a second`, async () => {
      const tok = await loadTokenizer(modelDir(name), { maxPositions: 64 });
      const pairs = Array.from({ length: 2000 }, (_, i) => [`${QUERIES[i % 7]} ${i % 50}`, `${PRODUCTS[(i * 3) % 7]} #${i}`] as const);
      const t0 = performance.now();
      const batch = tok.padBatch(tok.encodePairs(pairs));
      const ms = performance.now() - t0;
      assert.equal(batch.batch, 2000);
      assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    });
  }
});
