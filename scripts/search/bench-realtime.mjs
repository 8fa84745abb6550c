#!/usr/bin/env node
// The real-time measurements of issue 17 for docs/search.md: two-stage search at 100,000
// products with a small int8 reranker ("the student"), its DistilRoBERTa-sized teacher beside it,
// a Zipf-distributed query log replayed through the caches, the HNSW recall against the exact
// scan, and `esci serve` under 32 concurrent /v1/search clients.
//
//   npm run build
//   node scripts/search/bench-realtime.mjs prepare [ROWS]          # catalog, models, SQLite store (+ PostgreSQL with ESCI_BENCH_PG=postgres://…;
//                                                                  #   ESCI_BENCH_STORES="SPEC …" for only those stores)
//   node scripts/search/bench-realtime.mjs latency STORE [QUERIES]  # recall@100, p50/p99 student and teacher, Zipf replay; JSON
//   node scripts/search/bench-realtime.mjs recall STORE [QUERIES]   # recall@100 of kNN against the exact scan; JSON
//   node scripts/search/bench-realtime.mjs serve STORE [SECONDS]    # esci serve with the student, 32 clients on /v1/search; JSON
//   node scripts/search/bench-realtime.mjs cold STORE [RUNS]        # time to esci serve's first answer, esci predict's fixed cost; JSON
//
// Data. Titles come from bench-scale.mjs's word lists (brand, one or two adjectives, noun, spec,
// colour); the bench tokenizer (the tiny fixture's byte-level BPE) cuts them into a median of
// ≈ 22 tokens — `prepare` prints the distribution — as RoBERTa's BPE cuts real ESCI titles
// (median ≈ 20–25). Product vectors are bench-scale's 768-d stand-in (each word a fixed random
// vector, a product the normalised sum) recorded under the random DistilRoBERTa bi-encoder's id;
// every query goes through that bi-encoder's real 768-d forward pass.
//
// Models (random weights, real sizes; writeRandomCheckpoint): the teacher is a DistilRoBERTa
// ESCI cross-encoder (6 × 768); the student a 2-layer × 384 RoBERTa-style one (6 heads, FFN
// 1536) run with --quantize int8. Speed depends on sizes and token counts, not on whether the
// weights were distilled, so random weights time an `esci distill` student exactly.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { LABELS, MODELS, W, WORK, WordProjection, models, pct, pick, rssMiB } from "./bench-scale.mjs";

const ROOT = join(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist", "src");
const CLI = join(DIST, "cli", "main.js");
const { mulberry32: rng, writeRandomCheckpoint, DISTILROBERTA_SIZES } = await import(join(DIST, "models", "random-checkpoint.js"));
const STUDENT = join(WORK, "ce-student-2x384");
const CANDIDATES = 50;

/** A product: as bench-scale's, with the second adjective in half of the titles (median ≈ 22 tokens). */
function product(i, r) {
  const brand = pick(r, W.brand);
  const color = pick(r, W.color);
  const adjs = r() < 0.5 ? `${pick(r, W.adj)} ${pick(r, W.adj)}` : pick(r, W.adj);
  const title = `${brand} ${adjs} ${pick(r, W.noun)}, ${pick(r, W.spec)}, ${color}`;
  return { id: `R${String(i).padStart(9, "0")}`, title, brand, color, bullet_points: [pick(r, W.bullet), pick(r, W.bullet)], locale: "us" };
}

/** `n` distinct queries of 2–4 words from the same lists. */
function distinctQueries(n) {
  const r = rng(11);
  const seen = new Set();
  while (seen.size < n) {
    const k = r();
    seen.add(k < 0.4 ? `${pick(r, W.adj)} ${pick(r, W.noun)}` : k < 0.7 ? `${pick(r, W.color)} ${pick(r, W.noun)} ${pick(r, W.brand)}` : `${pick(r, W.brand)} ${pick(r, W.adj)} ${pick(r, W.noun)} ${pick(r, W.color)}`);
  }
  return [...seen];
}

/** A log of `n` draws from `qs` with P(rank i) ∝ 1/i^s (Zipf), seeded. */
function zipfLog(qs, n, s = 1) {
  const w = qs.map((_, i) => 1 / (i + 1) ** s);
  const cum = [];
  w.reduce((a, x, i) => (cum[i] = a + x), 0);
  const total = cum[cum.length - 1];
  const r = rng(5);
  return Array.from({ length: n }, () => {
    const x = r() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return qs[lo];
  });
}

async function prepare(rows = "100000") {
  const n = Number(rows);
  await models(); // bench-scale's DistilRoBERTa bi-encoder and teacher cross-encoder
  if (!existsSync(join(STUDENT, "model.safetensors"))) {
    writeRandomCheckpoint(STUDENT, { ...DISTILROBERTA_SIZES, numLayers: 2, hiddenSize: 384, numHeads: 6, intermediateSize: 1536, labels: LABELS, tokenizerFrom: join(ROOT, "test", "fixtures", "models", "tiny-roberta-esci") });
  }
  const catalog = join(WORK, `catalog-rt-${n}.jsonl`);
  if (!existsSync(catalog)) {
    const r = rng(3);
    const out = createWriteStream(catalog);
    for (let i = 0; i < n; i++) if (!out.write(JSON.stringify(product(i, r)) + "\n")) await new Promise((res) => out.once("drain", res));
    await new Promise((res) => out.end(res));
  }
  const { loadTokenizer } = await import(join(DIST, "tokenizer", "index.js"));
  const tok = await loadTokenizer(STUDENT, { maxPositions: 512 });
  const titles = readFileSync(catalog, "utf8").split("\n", 5000).filter(Boolean).map((l) => JSON.parse(l).title);
  const lens = titles.map((t) => tok.encodeText(t, 10_000).inputIds.length - 2); // without <s> and </s>
  const tokens = { median: pct(lens, 50), p10: pct(lens, 10), p90: pct(lens, 90) };
  // ESCI_BENCH_STORES="spec …" fills only those (e.g. the two stores from two processes at once).
  const stores = process.env.ESCI_BENCH_STORES?.split(" ").filter(Boolean) ?? [`sqlite:${join(WORK, `rt-${n}.db`)}`, ...(process.env.ESCI_BENCH_PG ? [process.env.ESCI_BENCH_PG] : [])];
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { indexCatalog } = await import(join(DIST, "search", "indexer.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const real = await BiEncoder.load(MODELS.distilroberta);
  const embedder = new WordProjection(real.modelId, real.dimension);
  await real.dispose();
  const built = [];
  for (const spec of stores) {
    const store = await openStore(spec);
    const t0 = performance.now();
    const r = await indexCatalog(store, { catalog, embedder, batchRows: 1024 });
    built.push({ store: spec.replace(/\?.*/, ""), products: r.info.products, seconds: +((performance.now() - t0) / 1000).toFixed(1) });
    await store.close();
  }
  console.log(JSON.stringify({ catalog, title_tokens: tokens, stores: built, student: STUDENT, teacher: MODELS.reranker, bi_encoder: MODELS.distilroberta }));
}

/**
 * Wall-clock p50/p90/p99 of `fn` over `qs`, one at a time, and the process's CPU milliseconds per
 * call (user + system, ONNX Runtime's threads included): on a machine shared with other work the
 * wall clock includes waiting for a core, the CPU time much less so.
 */
async function timed(qs, fn, label) {
  const ms = [];
  const cpu0 = process.cpuUsage();
  for (const q of qs) {
    const t = performance.now();
    await fn(q);
    ms.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  const out = {
    n: qs.length,
    p50: pct(ms, 50),
    p90: pct(ms, 90),
    p99: pct(ms, 99),
    mean: +(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1),
    cpu_ms_per_call: +((cpu.user + cpu.system) / 1000 / qs.length).toFixed(1),
  };
  // Each section as it ends, on stderr: a run cut short still leaves its figures.
  if (label) console.error(JSON.stringify({ [label]: out }));
  return out;
}

/**
 * recall@k of the store's kNN against the exact scan, over `vectors`. Two figures: `ids`, the
 * share of the exact top-k ids returned; and `ties_counted`, the share of returned hits whose
 * similarity reaches the exact k-th one — the stand-in vectors of products made of the same
 * words are equal, so at the k-th place many products tie and any of them is a right answer.
 */
const exactCache = new Map();

async function knnRecall(spec, store, vectors, k = 100, memo = new Map()) {
  const got = await Promise.all(vectors.map((v) => store.searchVector(v, k)));
  let exact = memo.get(vectors); // per query: [{id, score}] best first
  if (exact) {
    // computed for an earlier ef
  } else if (spec.startsWith("sqlite:")) {
    const Database = (await import("better-sqlite3")).default;
    const sqliteVec = await import("sqlite-vec");
    const db = new Database(spec.slice("sqlite:".length), { readonly: true });
    sqliteVec.load(db);
    const st = db.prepare("SELECT p.id AS id, 1.0 - knn.distance AS score FROM (SELECT rowid, distance FROM vectors WHERE embedding MATCH ? AND k = ?) knn JOIN products p ON p.pk = knn.rowid ORDER BY knn.distance");
    exact = vectors.map((v) => st.all(Buffer.from(v.buffer, v.byteOffset, v.byteLength), k));
    db.close();
  } else {
    const { client: c, schema } = await pgClient(spec);
    await c.query("SET enable_indexscan = off"); // the exact scan: no HNSW
    const { vectorLiteral } = await import(join(DIST, "search", "postgres", "store.js"));
    exact = [];
    for (const v of vectors) {
      const r = await c.query(`SELECT p.id, 1 - (v.embedding <=> $1::vector) AS score FROM "${schema}".vectors v JOIN "${schema}".products p ON p.pk = v.pk ORDER BY v.embedding <=> $1::vector LIMIT $2`, [vectorLiteral(v), k]);
      exact.push(r.rows.map((x) => ({ id: x.id, score: Number(x.score) })));
    }
    await c.end();
  }
  memo.set(vectors, exact);
  const mean = (xs) => +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4);
  const ids = exact.map((ex, i) => {
    const g = new Set(got[i].map((h) => h.id));
    return ex.filter((h) => g.has(h.id)).length / ex.length;
  });
  const ties = exact.map((ex, i) => {
    const kth = ex[ex.length - 1].score;
    return Math.min(1, got[i].filter((h) => h.score >= kth - 1e-5).length / ex.length);
  });
  return { k, queries: vectors.length, ids: { mean: mean(ids), min: +Math.min(...ids).toFixed(3) }, ties_counted: { mean: mean(ties), min: +Math.min(...ties).toFixed(3) } };
}

/** A connected pg client for a `postgres://…[?schema=S]` store spec, and the store's schema (default esci). */
async function pgClient(spec) {
  const pg = (await import("pg")).default;
  const url = new URL(spec);
  const schema = url.searchParams.get("schema") ?? "esci";
  url.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return { client, schema };
}

/**
 * Recall@100 against the exact scan as a function of the search-time ef: the HNSW file of a SQLite
 * store (hnswlib-node directly) or pgvector's index (hnsw.ef_search), on the same query vectors,
 * with the CPU milliseconds per search at each ef.
 */
async function recall(spec, nq = "100") {
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const store = await openStore(spec, { mustExist: true });
  const embedder = await BiEncoder.load((await store.embedding()).model);
  const vectors = await embedder.embed(distinctQueries(Number(nq)));
  await embedder.dispose();
  const k = 100;
  const efs = [100, 200, 256, 400, 512, 800, 1000];
  const searchAt = {};
  let done = () => {};
  if (spec.startsWith("sqlite:")) {
    const hnswlib = (await import("hnswlib-node")).default;
    const Database = (await import("better-sqlite3")).default;
    const path = spec.slice("sqlite:".length);
    const db = new Database(path, { readonly: true });
    const idOf = db.prepare("SELECT id FROM products WHERE pk = ?").pluck();
    const index = new hnswlib.HierarchicalNSW("cosine", vectors[0].length);
    index.readIndexSync(`${path}.hnsw`);
    for (const ef of efs) searchAt[ef] = (v) => {
      index.setEf(ef);
      const r = index.searchKnn(Array.from(v), k);
      return r.neighbors.map((pk, i) => ({ id: idOf.get(pk), score: 1 - r.distances[i] }));
    };
  } else {
    const { client: c, schema } = await pgClient(spec);
    done = () => c.end();
    const { vectorLiteral } = await import(join(DIST, "search", "postgres", "store.js"));
    for (const ef of efs) searchAt[ef] = async (v) => {
      await c.query(`SET hnsw.ef_search = ${ef}`);
      const r = await c.query(`SELECT p.id, 1 - (v.embedding <=> $1::vector) AS score FROM (SELECT pk, embedding FROM "${schema}".vectors ORDER BY embedding <=> $1::vector LIMIT $2) v JOIN "${schema}".products p ON p.pk = v.pk`, [vectorLiteral(v), k]);
      return r.rows.map((x) => ({ id: x.id, score: Number(x.score) }));
    };
  }
  const rows = [];
  for (const ef of efs) {
    const fakeStore = { searchVector: async (v) => searchAt[ef](v) };
    const cpu0 = process.cpuUsage();
    const got = [];
    for (const v of vectors) got.push(await fakeStore.searchVector(v));
    const cpu = process.cpuUsage(cpu0);
    const cached = { searchVector: async (v) => got[vectors.indexOf(v)] };
    const r = await knnRecall(spec, cached, vectors, k, exactCache);
    rows.push({ ef, ...r, client_cpu_ms_per_search: +((cpu.user + cpu.system) / 1000 / vectors.length).toFixed(2) });
    console.error(JSON.stringify(rows[rows.length - 1]));
  }
  console.log(JSON.stringify({ store: spec.replace(/\?.*/, ""), recall_at_100_by_ef: rows }));
  await done();
  await store.close();
}

async function latency(spec, nq = "1000") {
  const { openStore } = await import(join(DIST, "search", "store.js"));
  const { SearchPipeline } = await import(join(DIST, "search", "pipeline.js"));
  const { SearchCaches } = await import(join(DIST, "search", "cache.js"));
  const { BiEncoder } = await import(join(DIST, "models", "bi-encoder.js"));
  const { CrossEncoder } = await import(join(DIST, "models", "cross-encoder.js"));
  const store = await openStore(spec, { mustExist: true });
  const info = await store.info();
  // As `esci search` loads them: several models in one process, idle ONNX Runtime threads sleep
  // instead of spinning (ESCI_BENCH_SPINNING=1 keeps ONNX Runtime's default, for comparison).
  const spinning = process.env.ESCI_BENCH_SPINNING === "1" ? undefined : false;
  const embedder = await BiEncoder.load((await store.embedding()).model, { spinning });
  const student = await CrossEncoder.load(STUDENT, { quantize: "int8", spinning });
  const teacher = await CrossEncoder.load(MODELS.reranker, { spinning });
  const qs = distinctQueries(Number(nq));
  const opts = { candidates: CANDIDATES, k: 10 };
  const plain = new SearchPipeline({ store, embedder, scorer: student });
  for (const q of qs.slice(0, 5)) await plain.search(`warm ${q}`, opts); // warm-up (sessions, statements, the HNSW file)

  // ESCI_BENCH_SECTIONS="recall,parts,student,teacher,cascade,zipf" (default: all) runs some of
  // them, e.g. two processes side by side on a machine where time is short.
  const want = new Set((process.env.ESCI_BENCH_SECTIONS ?? "recall,parts,student,teacher,cascade,zipf").split(","));
  const few = qs.slice(0, Math.min(Number(process.env.ESCI_BENCH_TEACHER_QUERIES ?? 20), qs.length));
  const recall = want.has("recall") ? await knnRecall(spec, store, await embedder.embed(qs.slice(0, 100))) : undefined;
  if (recall) console.error(JSON.stringify({ recall }));
  let parts = {};
  if (want.has("parts")) {
    const vectors = await embedder.embed(qs.slice(0, 100));
    parts = {
      query_embedding: await timed(qs.slice(0, 100), (q) => embedder.embed([q]), "query_embedding"),
      bm25_top50: await timed(qs.slice(0, 100), (q) => store.searchText(q, CANDIDATES), "bm25_top50"),
      knn_top50: await timed(vectors.map((_, i) => i), (i) => store.searchVector(vectors[i], CANDIDATES), "knn_top50"),
      stage1_50: await timed(qs.slice(0, 100), (q) => plain.stage1(q, opts), "stage1_50"),
    };
  }
  const studentRun = want.has("student") ? await timed(qs, (q) => plain.search(q, opts), "student") : undefined;
  const teacherPipe = new SearchPipeline({ store, embedder, scorer: teacher });
  const teacherRun = want.has("teacher") ? await timed(few, (q) => teacherPipe.search(q, opts), "teacher") : undefined;
  const cascadePipe = new SearchPipeline({ store, embedder, scorer: student, secondScorer: teacher });
  const cascadeRun = want.has("cascade") ? await timed(few, (q) => cascadePipe.search(q, { ...opts, secondRerankTop: 10 }), "cascade") : undefined;
  const caches = new SearchCaches();
  const cached = new SearchPipeline({ store, embedder, scorer: student, caches });
  // 1,000 draws: ≈ 334 distinct queries (first sight: a miss), the rest repeats.
  const log = zipfLog(qs, Number(process.env.ESCI_BENCH_ZIPF_DRAWS ?? 1000));
  const zipf = want.has("zipf") ? await timed(log, (q) => cached.search(q, opts), "zipf") : undefined;
  const hitRates = Object.fromEntries(Object.entries(caches.stats()).map(([k, s]) => [k, +(s.hits / (s.hits + s.misses)).toFixed(3)]));
  if (zipf) console.error(JSON.stringify({ hit_rates: hitRates, distinct_queries: new Set(log).size }));
  await store.close();
  await Promise.all([embedder.dispose(), student.dispose(), teacher.dispose()]);
  console.log(JSON.stringify({
    store: spec.replace(/\?.*/, ""),
    products: info.products,
    load_average: (await import("node:os")).loadavg().map((x) => +x.toFixed(1)),
    knn_recall_at_100: recall,
    ms: {
      ...parts,
      student_int8_stage1_plus_rerank_50: studentRun,
      teacher_fp32_stage1_plus_rerank_50: teacherRun,
      cascade_student_50_then_teacher_top10: cascadeRun,
      zipf_replay_student: zipf && { ...zipf, distinct_queries: new Set(log).size, hit_rates: hitRates },
    },
    peak_rss_mib: rssMiB(),
  }));
}

function post(agent, port, body, path = "/v1/search") {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const t = performance.now();
    const req = request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - t }));
    });
    req.on("error", () => resolve({ status: 0, ms: performance.now() - t }));
    req.end(data);
  });
}

/**
 * Spawn `esci serve ARGS` and wait for its first answered request (503 while the models load,
 * refused before the port opens): the seconds since spawn and the server's CPU seconds by then
 * (/proc: every thread). `probe` "search": a search reranking 50 candidates (its own compute
 * included: ≈ 0.9 s for the DistilRoBERTa-sized teacher on this 2-core machine); "classify": one
 * pair through /v1/classify, answered once every model is loaded — the start-up cost itself.
 * The caller stops the child.
 */
async function startServe(args, probe = "search") {
  const port = 18000 + Math.floor(Math.random() * 1000);
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "serve", ...args, "--port", String(port), "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const stop = async () => {
    agent.destroy();
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  };
  try {
    const ask = () =>
      probe === "search"
        ? post(agent, port, { query: "cold start probe", k: 10, candidates: CANDIDATES })
        : post(agent, port, { pairs: [["cold start probe", "Acme red running shoe, size M"]] }, "/v1/classify");
    while ((await ask()).status !== 200) {
      if (child.exitCode !== null) throw new Error(err);
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const firstAnswerS = +((performance.now() - t0) / 1000).toFixed(2);
  const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
  const cpuS = (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, clock ticks of 1/100 s
  return { port, agent, stop, firstAnswerS, cpuS };
}

async function serve(spec, seconds = "30") {
  const s = await startServe(["--model", STUDENT, "--quantize", "int8", "--store", spec]);
  try {
    const qs = distinctQueries(1000);
    const until = performance.now() + Number(seconds) * 1000;
    let next = 0;
    const results = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < until) results.push(await post(s.agent, s.port, { query: qs[next++ % qs.length], k: 10, candidates: CANDIDATES }));
      }),
    );
    const ms = results.map((r) => r.ms);
    const statuses = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    console.log(JSON.stringify({
      store: spec.replace(/\?.*/, ""),
      clients: 32,
      seconds: Number(seconds),
      first_answer_after_s: s.firstAnswerS,
      requests: results.length,
      distinct_queries_sent: Math.min(next, qs.length),
      statuses,
      five_xx: results.filter((r) => r.status >= 500).length,
      ms: { p50: pct(ms, 50), p90: pct(ms, 90), p99: pct(ms, 99) },
      load_average: (await import("node:os")).loadavg().map((x) => +x.toFixed(1)),
    }));
  } finally {
    await s.stop();
  }
}

/**
 * Cold start with cached graphs: `esci serve` with the DistilRoBERTa-sized cross-encoder and
 * bi-encoder over STORE until its first answered search, and the fixed cost of an `esci predict`
 * process scoring one pair (wall and CPU seconds, /usr/bin/time). Each `runs` times; the first
 * run also fills the graph cache if needed and is reported apart.
 */
async function cold(spec, runs = "3") {
  const { spawnSync } = await import("node:child_process");
  const { writeFileSync } = await import("node:fs");
  const serveRuns = [];
  for (let i = 0; i <= Number(runs); i++) {
    const run = {};
    for (const probe of ["search", "classify"]) {
      const s = await startServe(["--model", MODELS.reranker, "--store", spec], probe);
      await s.stop();
      run[probe] = { first_answer_s: s.firstAnswerS, cpu_s: s.cpuS };
    }
    serveRuns.push(run);
  }
  const input = join(WORK, "cold-pair.jsonl");
  writeFileSync(input, JSON.stringify({ query: "red running shoe", product: "Acme red running shoe, size M" }) + "\n");
  const predictRuns = [];
  for (let i = 0; i <= Number(runs); i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S", process.execPath, CLI, "predict", "--model", MODELS.reranker, "--input", input, "--output", join(WORK, "cold-out.jsonl"), "--quiet"], { encoding: "utf8" });
    const [wall, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
    predictRuns.push({ wall_s: wall, cpu_s: +(user + sys).toFixed(2) });
  }
  console.log(JSON.stringify({
    store: spec.replace(/\?.*/, ""),
    model: "DistilRoBERTa-sized cross-encoder + bi-encoder (random weights)",
    serve_first_answer: { first_run: serveRuns[0], runs: serveRuns.slice(1) },
    predict_one_pair: { first_run: predictRuns[0], runs: predictRuns.slice(1) },
    load_average: (await import("node:os")).loadavg().map((x) => +x.toFixed(1)),
  }));
}

const [cmd, ...args] = process.argv.slice(2);
const cmds = { prepare, latency, recall, serve, cold };
if (!cmds[cmd]) {
  console.error("usage: bench-realtime.mjs prepare [ROWS] | latency STORE [QUERIES] | recall STORE [QUERIES] | serve STORE [SECONDS] | cold STORE [RUNS]");
  process.exit(2);
}
await cmds[cmd](...args);
