/**
 * Fakes for search tests whose outputs follow obviously from the words in their inputs, so a
 * test can say which product must come first and why:
 *
 *  - HashEmbedder: a bag of words hashed into 256 buckets, L2-normalised, so cosine similarity
 *    is (about) the share of words two texts have in common. Words lose a plural "s".
 *  - KeywordScorer: an ESCI "cross-encoder" whose label follows from keywords in the product:
 *    a product sharing a word with the query is a complement if it says "accessory", a
 *    substitute if it says "alternative"; else every query word present → exact; otherwise
 *    irrelevant. The chosen label gets 0.7, the others 0.1, so the expected gains are
 *    E 0.711 > S 0.171 > C 0.117 > I 0.111.
 *
 * And the hand-made catalog the rank-order tests use.
 */
import type { EmbedOptions, Pair, PairPrediction, PairScorer, TextEmbedder } from "../../src/models/types.js";
import type { CatalogProduct } from "../../src/search/product.js";

export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => (w.length > 3 && w.endsWith("s") ? w.slice(0, -1) : w));
}

function bucket(word: string, dim: number): number {
  let h = 2166136261;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % dim;
}

export class HashEmbedder implements TextEmbedder {
  calls = 0;
  texts = 0;
  constructor(
    readonly modelId = "fake/hash-bow",
    readonly dimension = 256,
    /** Milliseconds to wait per call (the crash test needs a slow indexer). */
    private readonly delayMs = 0,
  ) {}

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    for (const w of words(text)) v[bucket(w, this.dimension)] += 1;
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < v.length; i++) v[i] /= n;
    return v;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    this.calls++;
    this.texts += texts.length;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const out = texts.map((t) => this.embedOne(t));
    options.onProgress?.(texts.length, texts.length);
    return out;
  }
}

export const FAKE_LABELS = ["exact", "substitute", "complement", "irrelevant"] as const;

export function keywordLabel(query: string, product: string): (typeof FAKE_LABELS)[number] {
  const p = new Set(words(product));
  const q = words(query);
  const shared = q.some((w) => p.has(w));
  if (shared && p.has("accessory")) return "complement";
  if (shared && p.has("alternative")) return "substitute";
  return q.every((w) => p.has(w)) ? "exact" : "irrelevant";
}

export class KeywordScorer implements PairScorer {
  readonly labels = FAKE_LABELS;
  pairs = 0;

  async predict(pairs: readonly Pair[]): Promise<PairPrediction[]> {
    this.pairs += pairs.length;
    return pairs.map(([q, p]) => {
      const label = keywordLabel(q, p);
      const probs: Record<string, number> = {};
      for (const l of FAKE_LABELS) probs[l] = l === label ? 0.7 : 0.1;
      return { logits: FAKE_LABELS.map((l) => Math.log(probs[l])), probs, label };
    });
  }
}

/**
 * A small catalog for rank-order tests. For the query "running shoes": r1–r3 are exact, s1 a
 * substitute, c1 (whose title repeats the query words, so BM25 puts it first) a complement, the
 * rest irrelevant. For "wireless mouse": i3 and m1 exact, m2 a substitute, m3 a complement; the
 * substitutes of m1 are just m2.
 */
export const HAND_CATALOG: CatalogProduct[] = [
  { id: "r1", title: "Acme running shoes", brand: "Acme", color: "red", locale: "us" },
  { id: "r2", title: "Trail running shoes for men", brand: "Peak", color: "blue", locale: "us", bullet_points: "grippy sole\nwaterproof" },
  { id: "r3", title: "Lightweight running shoes women", brand: "Zoom", color: "black", locale: "us" },
  { id: "s1", title: "Walking shoes, an alternative for running", brand: "Stroll", color: "white", locale: "us" },
  { id: "c1", title: "Running shoes laces, running shoes insoles, running shoes accessory", brand: "Lace", locale: "us" },
  { id: "i1", title: "Garden hose 50 ft", brand: "Green", color: "green", locale: "us", description: "A hose for the garden" },
  { id: "i2", title: "Stainless steel kitchen knife", brand: "Chef", color: "silver", locale: "us" },
  { id: "i3", title: "Wireless mouse", brand: "Clicky", color: "black", locale: "us", attributes: { dpi: "1600", connection: "bluetooth" } },
  { id: "i4", title: "Coffee grinder", brand: "Bean", color: "black", locale: "us" },
  { id: "i5", title: "Yoga mat", brand: "Zen", color: "purple", locale: "us" },
  { id: "m1", title: "Bluetooth wireless mouse, silent clicks", brand: "Hush", color: "grey", locale: "us" },
  { id: "m2", title: "Generic mouse alternative trackball", brand: "Roll", color: "black", locale: "us" },
  { id: "m3", title: "Mouse pad accessory", brand: "Pad", color: "blue", locale: "us" },
  { id: "es1", title: "Zapatillas de correr", brand: "Acme", color: "rojo", locale: "es" },
];
