/**
 * The benchmark's inputs, identical for every engine (each tokenizes them itself):
 *
 * - `esci`: synthetic (query, product title) pairs with an ESCI-like length distribution —
 *   queries of 2–10 words skewed short (mean ≈ 4.7), titles of 5–40 words (mean ≈ 19) — drawn
 *   from a fixed seed. Words come from an e-commerce vocabulary chosen so the benchmark model's
 *   small BPE tokenizer gives ≈ 1.5 tokens per word, about what RoBERTa's 50k vocabulary gives on
 *   real ESCI titles; a pair is then ≈ 40 tokens on average, as on the real data.
 * - `fixed`: 32 pairs whose text is far longer than 64 tokens, scored with max_length 64, so every
 *   engine runs exactly 32 × 64 tokens after longest_first truncation.
 * - `single`: one pair of the fixed kind, for single-pair latency at 64 tokens.
 */

// The seeded PRNG of src/models/random-checkpoint.ts (the benchmark runs after `npm run build`).
import { mulberry32 } from "../dist/src/models/random-checkpoint.js";

// Whole words of the tokenizer's vocabulary (one token each with a leading space)…
const COMMON = `for with and Water Pro inch Battery Black Case Count Charging Coffee Free Laptop Pack Size Steel
iPhone Air Back Bag Bottle Batteries Blue Bluetooth Cable Cancelling Car Double Fit Hour Headphones Large Men
Noise Over Phone Running Safe Set Stainless Stand Tea USB White Wipes Wireless Women Waterproof best`.split(/\s+/);
// …and other catalogue words, numbers and model codes (two to five tokens each).
const RARE = `organic portable adjustable kitchen knife dog toy cat frying pan lamp yoga mat jacket backpack gaming
mouse keyboard speaker rechargeable lightweight durable premium compatible replacement holder cordless drill
shampoo serum vitamin protein chocolate 12 16 24 32 oz ft 2-Pack 100W XL Sony Nike Adidas Samsung Galaxy
Hydro Flask Keurig Spigen Duracell Energizer sneakers charger earbuds glass ceramic cotton leather`.split(/\s+/);

function words(rand, n, lower) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const list = rand() < 0.7 ? COMMON : RARE;
    const w = list[Math.floor(rand() * list.length)];
    out.push(lower ? w.toLowerCase() : w);
  }
  return out.join(" ");
}

/** `n` ESCI-like (query, title) pairs from `seed`. */
export function esciPairs(n, seed = 2022) {
  const rand = mulberry32(seed);
  const pairs = [];
  for (let i = 0; i < n; i++) {
    const qWords = 2 + Math.round(8 * rand() ** 2); // 2–10, skewed short
    const tWords = 5 + Math.round(35 * rand() ** 1.5); // 5–40
    pairs.push([words(rand, qWords, true), words(rand, tWords, false)]);
  }
  return pairs;
}

/** `n` pairs whose two sides each exceed 64 tokens, for runs at max_length 64. */
export function longPairs(n, seed = 64) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => [words(rand, 40, true), words(rand, 60, false)]);
}

export const FIXED_BATCH = 32;
export const FIXED_LENGTH = 64;
/** The "pad every pair to 512" approach of the model card. */
export const PAD_LENGTH = 512;
