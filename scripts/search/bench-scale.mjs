#!/usr/bin/env node
// Scale measurements for docs/search.md: indexing throughput, search latency and peak RSS of the
// catalog stores on synthetic products, with random-weight models of real sizes (no download).
//
//   npm run build
//   node scripts/search/bench-scale.mjs gen 100000               # synthetic catalog (JSONL)
//   node scripts/search/bench-scale.mjs models                   # random DistilRoBERTa- and MiniLM-sized checkpoints
//   node scripts/search/bench-scale.mjs index STORE MODEL ROWS   # index the first ROWS products; prints JSON
//   node scripts/search/bench-scale.mjs fill STORE [ROWS]        # 768-d vectors from a fast stand-in (store-side timing)
//   node scripts/search/bench-scale.mjs latency STORE RERANK [QUERIES]   # p50/p99 of stage 1 and of stage 1 + rerank(50)
//
// MODEL: distilroberta | minilm | tiny | DIR. Every command runs in its own process, so the
// reported peak RSS (getrusage maxrss) is that command's alone. Work files go to $ESCI_BENCH_DIR
// (default /tmp/esci-bench). Random weights make the rankings meaningless; sizes, token counts
// and therefore timings are those of the real models (the tokenizer is the tiny fixture's, whose
// small vocabulary splits words into more pieces than RoBERTa's: token counts are, if anything,
// higher than with the real tokenizer).
import { existsSync, mkdirSync, writeFileSync, createWriteStream } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = join(ROOT, "dist", "src");
export const WORK = process.env.ESCI_BENCH_DIR ?? "/tmp/esci-bench";
mkdirSync(WORK, { recursive: true });

export const LABELS = ["exact", "substitute", "complement", "irrelevant"];
export const MODELS = {
  distilroberta: join(WORK, "st-distilroberta"),
  minilm: join(WORK, "st-minilm"),
  tiny: join(ROOT, "test", "fixtures", "models", "tiny-st-roberta"),
  reranker: join(WORK, "ce-distilroberta"),
};

// The seeded PRNG of src/models/random-checkpoint.ts (mulberry32).
const { mulberry32: rng } = await import(join(DIST, "models", "random-checkpoint.js"));

export const W = {
  brand: "Acme Peak Zoom Volt Hush Clicky Bean Brew Boil Chef Kera Grove Zen Flex Green Torq Nova Apex Orbit Lumen Terra Vega Atlas Aero Polar Summit Echo Pixel Stellar Quanta".split(" "),
  adj: "wireless portable compact ergonomic waterproof lightweight heavy-duty stainless rechargeable foldable adjustable vintage premium smart mini large organic cotton leather bamboo ceramic magnetic insulated".split(" "),
  noun: "headphones earbuds speaker charger cable mouse keyboard monitor lamp kettle grinder blender knife pan backpack jacket shoes socks mat bottle drill saw hose tent pillow towel blanket watch camera tripod router".split(" "),
  color: "black white grey silver red blue green yellow pink purple brown beige navy orange".split(" "),
  spec: "2-pack, 10 inch, 1.5 L, 65 W, 20000 mAh, size M, size L, 4K, USB-C, Bluetooth 5.3, 500 ml, 3 m, set of 6, 12 V, 1080p".split(", "),
  bullet: ["Durable construction for everyday use", "Easy to clean and maintain", "Backed by a two-year warranty", "Ships in recyclable packaging", "Compatible with most standard accessories", "Designed for comfort over long sessions", "Energy efficient and quiet", "Includes a travel pouch"],
};
export const pick = (r, a) => a[Math.floor(r() * a.length)];

function product(i, r) {
  const brand = pick(r, W.brand);
  const color = pick(r, W.color);
  const title = `${brand} ${pick(r, W.adj)} ${pick(r, W.adj)} ${pick(r, W.noun)}, ${pick(r, W.spec)}, ${color}`;
  const bullets = [pick(r, W.bullet), pick(r, W.bullet), pick(r, W.bullet)];
  return { id: `B${String(i).padStart(9, "0")}`, title, brand, color, bullet_points: bullets, locale: "us", material: pick(r, W.adj) };
}

export function queries(n, seed = 7) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const k = r();
    return k < 0.4 ? `${pick(r, W.adj)} ${pick(r, W.noun)}` : k < 0.7 ? `${pick(r, W.color)} ${pick(r, W.noun)} ${pick(r, W.brand)}` : `${pick(r, W.noun)} ${pick(r, W.spec)}`;
  });
}

async function gen(n) {
  const r = rng(1);
  const path = join(WORK, `catalog-${n}.jsonl`);
  const out = createWriteStream(path);
  for (let i = 0; i < n; i++) if (!out.write(JSON.stringify(product(i, r)) + "\n")) await new Promise((res) => out.once("drain", res));
  await new Promise((res) => out.end(res));
  console.log(JSON.stringify({ catalog: path, products: n }));
}

export function writeSt(dir, spec, tokenizerFrom, maxSeq) {
  return import(join(DIST, "models", "random-checkpoint.js")).then(({ writeRandomCheckpoint }) => {
    writeRandomCheckpoint(dir, { ...spec, tokenizerFrom });
    writeFileSync(join(dir, "modules.json"), JSON.stringify([
      { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
      { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
      { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
    ]));
    writeFileSync(join(dir, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: maxSeq, do_lower_case: false }));
    mkdirSync(join(dir, "1_Pooling"), { recursive: true });
    writeFileSync(join(dir, "1_Pooling", "config.json"), JSON.stringify({ word_embedding_dimension: spec.hiddenSize, pooling_mode_mean_tokens: true, pooling_mode_cls_token: false, pooling_mode_max_tokens: false, pooling_mode_mean_sqrt_len_tokens: false }));
    mkdirSync(join(dir, "2_Normalize"), { recursive: true });
  });
}

export async function models() {
  const { DISTILROBERTA_SIZES, writeRandomCheckpoint } = await import(join(DIST, "models", "random-checkpoint.js"));
  const tok = join(ROOT, "test", "fixtures", "models", "tiny-st-roberta");
  // all-distilroberta-v1: DistilRoBERTa, mean pooling, normalised, max_seq_length 128.
  if (!existsSync(join(MODELS.distilroberta, "model.safetensors"))) await writeSt(MODELS.distilroberta, { ...DISTILROBERTA_SIZES }, tok, 128);
  // all-MiniLM-L6-v2 sizes (6 layers, 384 wide, 12 heads), max_seq_length 256, here on the RoBERTa family.
  if (!existsSync(join(MODELS.minilm, "model.safetensors"))) {
    await writeSt(MODELS.minilm, { ...DISTILROBERTA_SIZES, hiddenSize: 384, numHeads: 12, intermediateSize: 1536 }, tok, 256);
  }
  if (!existsSync(join(MODELS.reranker, "model.safetensors"))) {
    writeRandomCheckpoint(MODELS.reranker, { ...DISTILROBERTA_SIZES, labels: LABELS, tokenizerFrom: join(ROOT, "test", "fixtures", "models", "tiny-roberta-esci") });
  }
  console.log(JSON.stringify(MODELS));
}

export function rssMiB() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function index(spec, modelName, rows) {
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { indexCatalog } = await import(join(DIST, "search", "indexer.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const n = Number(rows);
  const full = join(WORK, "catalog-100000.jsonl");
  const source = n === 100000 ? full : join(WORK, `catalog-first-${n}.jsonl`);
  if (!existsSync(source)) {
    const { readFileSync } = await import("node:fs");
    const lines = readFileSync(full, "utf8").split("\n").slice(0, n);
    writeFileSync(source, lines.join("\n") + "\n");
  }
  const embedder = await BiEncoder.load(MODELS[modelName] ?? modelName);
  const store = await openStore(spec);
  const t0 = performance.now();
  let last = t0;
  const r = await indexCatalog(store, {
    catalog: source,
    embedder,
    batchRows: 512,
    onProgress: (p) => {
      const now = performance.now();
      if (now - last > 30000) {
        last = now;
        process.stderr.write(`${p.phase} ${p.done}/${p.total} ${((p.done / (now - t0)) * 1000).toFixed(0)}/s\n`);
      }
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  await embedder.dispose();
  console.log(JSON.stringify({ store: spec.replace(/\?.*/, ""), model: modelName, dimension: embedder.dimension, rows: r.rows, embedded: r.embedded, seconds: +seconds.toFixed(1), products_per_s: +(r.rows / seconds).toFixed(1), peak_rss_mib: rssMiB(), info: r.info }));
}

// A fast stand-in for the DistilRoBERTa bi-encoder when only the store side is measured: each word
// gets a fixed random dense 768-vector, a text the normalised sum of its words'. Same dimension and
// model id as the random DistilRoBERTa checkpoint, so queries embedded by the real (random) model
// search these vectors; both are meaningless as relevance, and the timings are the store's.
export class WordProjection {
  constructor(modelId, dimension) {
    this.modelId = modelId;
    this.dimension = dimension;
    this.words = new Map();
  }
  word(w) {
    let v = this.words.get(w);
    if (!v) {
      const r = rng([...w].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
      v = Float32Array.from({ length: this.dimension }, () => r() * 2 - 1);
      this.words.set(w, v);
    }
    return v;
  }
  async embed(texts) {
    return texts.map((t) => {
      const out = new Float32Array(this.dimension);
      for (const w of t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
        const v = this.word(w);
        for (let i = 0; i < out.length; i++) out[i] += v[i];
      }
      let n = 0;
      for (const x of out) n += x * x;
      n = Math.sqrt(n) || 1;
      for (let i = 0; i < out.length; i++) out[i] /= n;
      return out;
    });
  }
}

async function fill(spec, rows = "100000") {
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { indexCatalog } = await import(join(DIST, "search", "indexer.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const real = await BiEncoder.load(MODELS.distilroberta); // the id the store records, as `index` would
  const embedder = new WordProjection(real.modelId, real.dimension);
  await real.dispose();
  const store = await openStore(spec);
  const t0 = performance.now();
  const r = await indexCatalog(store, { catalog: join(WORK, `catalog-${rows}.jsonl`), embedder, batchRows: 512 });
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await store.optimize();
  await store.close();
  console.log(JSON.stringify({ store: spec.replace(/\?.*/, ""), rows: r.rows, seconds: +seconds.toFixed(1), products_per_s: +(r.rows / seconds).toFixed(0), optimize_s: +((performance.now() - t1) / 1000).toFixed(1), peak_rss_mib: rssMiB() }));
}

export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(1);
}

async function latency(spec, rerankName, nq = "200") {
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { SearchPipeline } = await import(join(DIST, "search", "pipeline.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const { CrossEncoder } = await import(join(DIST, "models", "cross-encoder.js"));
  const store = await openStore(spec, { mustExist: true });
  const space = await store.embedding();
  const embedder = await BiEncoder.load(space.model);
  // ESCI_BENCH_QUANTIZE=int8: the reranker with dynamic int8 MatMul weights.
  const quantize = process.env.ESCI_BENCH_QUANTIZE === "int8" ? "int8" : undefined;
  const scorer = await CrossEncoder.load(MODELS[rerankName] ?? rerankName, { quantize });
  const pipeline = new SearchPipeline({ store, embedder, scorer });
  const qs = queries(Number(nq));
  for (const q of qs.slice(0, 5)) await pipeline.search(q, { candidates: 50, k: 10 }); // warm-up
  const time = async (fn) => {
    const out = [];
    for (const q of qs) {
      const t = performance.now();
      await fn(q);
      out.push(performance.now() - t);
    }
    return out;
  };
  const parts = { embed: [], bm25: [], knn: [] };
  for (const q of qs) {
    let t = performance.now();
    const v = (await embedder.embed([q]))[0];
    parts.embed.push(performance.now() - t);
    t = performance.now();
    await store.searchText(q, 100);
    parts.bm25.push(performance.now() - t);
    t = performance.now();
    await store.searchVector(v, 100);
    parts.knn.push(performance.now() - t);
  }
  const s1 = await time((q) => pipeline.search(q, { candidates: 100, k: 10, rerank: false }));
  const s2 = await time((q) => pipeline.search(q, { candidates: 50, k: 10 }));
  const info = await store.info();
  await store.close();
  await embedder.dispose();
  await scorer.dispose();
  const summary = (xs) => ({ p50: pct(xs, 50), p99: pct(xs, 99) });
  console.log(JSON.stringify({
    store: spec.replace(/\?.*/, ""),
    products: info.products,
    dimension: space.dimension,
    embed_model: space.model,
    reranker_quantize: quantize ?? "none",
    queries: qs.length,
    ms: { query_embedding: summary(parts.embed), bm25_top100: summary(parts.bm25), knn_top100: summary(parts.knn), stage1_100: summary(s1), stage1_plus_rerank_50: summary(s2) },
    peak_rss_mib: rssMiB(),
  }));
}

// Run as a script (scripts/search/bench-realtime.mjs imports the helpers above).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [cmd, ...args] = process.argv.slice(2);
  const cmds = { gen: (n = "100000") => gen(Number(n)), models, index, fill, latency };
  if (!cmds[cmd]) {
    console.error("usage: bench-scale.mjs gen N | models | index STORE MODEL ROWS | fill STORE [ROWS] | latency STORE RERANK [QUERIES]");
    process.exit(2);
  }
  await cmds[cmd](...args);
}
