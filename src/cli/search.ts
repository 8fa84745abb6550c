/**
 * `esci search`: the two-stage pipeline (search/pipeline.ts) from the command line, printed as a
 * table or as JSON. Also the helpers the other catalog commands share (index, substitutes, and
 * evaluate's --store mode): opening a store, loading its bi-encoder and the reranker with progress
 * bars, and printing hits. Everything else — retrieval, fusion, reranking — is search/.
 */
import { existsSync, readFileSync } from "node:fs";
import { EsciError } from "../errors/index.js";
import { esciProbability, ESCI_LABELS, parseEsciLabel, type EsciLabel } from "../esci/labels.js";
import type { BiEncoder } from "../models/bi-encoder.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import type { EsciFilter } from "../esci/dataset.js";
import type { EsciGains } from "../esci/gains.js";
import { evaluateStoreTask1, type StoreTask1Result } from "../search/evaluate.js";
import { DEFAULT_CANDIDATES, DEFAULT_K, SearchPipeline, type SearchHit } from "../search/pipeline.js";
import { openStore, type CatalogStore } from "../search/store.js";
import { hitRate, SearchCaches } from "../search/cache.js";
import { bool, num, parseFlags, requireStr, str, type Options, type Parsed } from "./args.js";
import { CASCADE_FLAGS, CASCADE_FLAGS_HELP, cacheSizes, loadSecondReranker, rerankCandidates, secondRerankTop } from "./cascade-flags.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";
import { DEFAULT_CROSS_ENCODER, loadBiEncoder, loadCrossEncoder } from "./model-flags.js";

/** Flags of the commands that load models for a store. */
export const STORE_MODEL_FLAGS: Options = {
  store: { type: "string" },
  "embed-model": { type: "string" },
  "rerank-model": { type: "string" },
  labels: { type: "string" },
  revision: { type: "string" },
  threads: { type: "string" },
  "batch-size": { type: "string" },
  "max-length": { type: "string" },
  "max-chars": { type: "string" },
  quantize: { type: "string" },
  quiet: { type: "boolean" },
  "no-calibration": { type: "boolean" },
};

/**
 * The pipeline for a store: its own bi-encoder (the model recorded in the store, unless
 * --embed-model names another, which the pipeline then refuses with CONFLICT), when `rerank`
 * the --rerank-model cross-encoder (and --second-rerank-model, the cascade's second), and the
 * search caches (--cache-*). `dispose` releases the models and closes the store.
 */
export async function openPipeline(p: Parsed, opts: { rerank: boolean; embed?: boolean; rerankModel?: string }): Promise<{ pipeline: SearchPipeline; dispose: () => Promise<void> }> {
  const rerankModel = opts.rerankModel ?? str(p, "rerank-model") ?? DEFAULT_CROSS_ENCODER;
  const store: CatalogStore = await openStore(requireStr(p, "store"), { mustExist: true });
  let embedder: BiEncoder | undefined;
  let scorer: CrossEncoder | undefined;
  let second: CrossEncoder | undefined;
  const dispose = async () => {
    await embedder?.dispose();
    await scorer?.dispose();
    await second?.dispose();
    await store.close();
  };
  try {
    const space = await store.embedding();
    const embedModel = str(p, "embed-model") ?? space?.model;
    // Several models take turns in this process: their idle threads sleep rather than spin (onnx/session.ts).
    if (opts.embed !== false && space && embedModel) embedder = await loadBiEncoder(p, embedModel, "bi-encoder", { spinning: false });
    if (opts.rerank) scorer = await loadCrossEncoder(p, rerankModel, "reranker", { spinning: false });
    if (opts.rerank) second = await loadSecondReranker(p, { spinning: false });
    const pipeline = new SearchPipeline({ store, embedder, scorer, secondScorer: second, caches: new SearchCaches(cacheSizes(p)) });
    return { pipeline, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** "E=1,S=0.1,C=0.01,I=0" (letters or names) → gains. */
export function parseGains(raw: string | undefined): Partial<EsciGains> | undefined {
  if (raw === undefined) return undefined;
  const out: Partial<Record<EsciLabel, number>> = {};
  for (const part of raw.split(",")) {
    const [k, v] = part.split("=");
    const l = parseEsciLabel(k);
    const n = Number(v);
    if (!l || v === undefined || v.trim() === "" || !Number.isFinite(n)) throw new EsciError("INVALID_ARGUMENT", `--gains must look like "E=1,S=0.1,C=0.01,I=0", got "${raw}"`);
    out[l] = n;
  }
  return out;
}

export function parseOnly(raw: string | undefined): EsciLabel | undefined {
  if (raw === undefined) return undefined;
  const l = parseEsciLabel(raw);
  if (!l) throw new EsciError("INVALID_ARGUMENT", `--only must be exact, substitute, complement or irrelevant (or E, S, C, I), got "${raw}"`);
  return l;
}

/** The JSON form of a hit: `{id, title, score, label, probs, stage1_rank, stage1_score}`; label/probs null without reranking. */
export function hitJson(h: SearchHit): Record<string, unknown> {
  return { id: h.id, title: h.title, score: h.score, label: h.label ?? null, esci: h.esci ?? null, probs: h.probs ?? null, ...(h.calibrated ? { calibrated: true } : {}), stage1_rank: h.stage1_rank, stage1_score: h.stage1_score };
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(1, n - 1)) + "…";
}

/** A readable table of hits, sized to the terminal. */
export function renderHits(hits: readonly SearchHit[], width = process.stdout.columns || 120): string {
  if (!hits.length) return "no results\n";
  const reranked = hits[0].label !== undefined;
  const idW = Math.min(16, Math.max(2, ...hits.map((h) => h.id.length)));
  const head = reranked
    ? `${"#".padStart(3)}  ${"score".padEnd(7)} ${"label".padEnd(11)} ${"P(E)".padStart(5)} ${"P(S)".padStart(5)} ${"P(C)".padStart(5)} ${"P(I)".padStart(5)} ${"s1".padStart(4)}  ${"id".padEnd(idW)}  title`
    : `${"#".padStart(3)}  ${"rrf".padEnd(7)} ${"bm25".padStart(4)} ${"vec".padStart(4)}  ${"id".padEnd(idW)}  title`;
  const lines = [head];
  hits.forEach((h, i) => {
    const pre = reranked
      ? `${String(i + 1).padStart(3)}  ${h.score.toFixed(4).padEnd(7)} ${cut(h.label!, 11).padEnd(11)} ${ESCI_LABELS.map((l) => esciProbability(h.probs!, l).toFixed(2).padStart(5)).join(" ")} ${String(h.stage1_rank).padStart(4)}  ${cut(h.id, idW).padEnd(idW)}  `
      : `${String(i + 1).padStart(3)}  ${h.score.toFixed(4).padEnd(7)} ${String(h.bm25_rank ?? "-").padStart(4)} ${String(h.vector_rank ?? "-").padStart(4)}  ${cut(h.id, idW).padEnd(idW)}  `;
    lines.push(pre + cut(h.title, Math.max(20, width - pre.length)));
  });
  return lines.join("\n") + "\n";
}

/**
 * `esci evaluate --task 1 --store STORE --data DIR --model M`: opens the store's pipeline (its
 * bi-encoder, M as the reranker unless `noRerank`), runs evaluateStoreTask1 with a progress bar,
 * and returns the result with its printable summary. Reads --store, --embed-model,
 * --candidates, --batch-size, --max-length, --threads, --labels, --quantize, --quiet from `p`.
 */
export async function runStoreTask1(
  p: Parsed,
  o: { data: string; filter: EsciFilter; rerankModel?: string; noRerank?: boolean; template?: string },
): Promise<{ result: StoreTask1Result; text: string }> {
  const numbers = {
    candidates: num(p, "candidates", { integer: true, min: 1, max: 10_000 }),
    batchSize: num(p, "batch-size", { integer: true, min: 1 }),
    maxLength: num(p, "max-length", { integer: true, min: 3 }),
  };
  const { pipeline, dispose } = await openPipeline(p, { rerank: !o.noRerank, rerankModel: o.rerankModel });
  const bar = new ProgressBar({ label: "evaluate", unit: "queries", quiet: bool(p, "quiet") });
  try {
    const result = await evaluateStoreTask1(pipeline, {
      data: o.data,
      ...o.filter,
      ...numbers,
      noRerank: o.noRerank,
      productTemplate: o.template,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.finish();
    return { result, text: renderStoreTask1(result) };
  } finally {
    await dispose();
  }
}

/** The summary `esci evaluate --task 1 --store` prints: stage 1 and stage 1 + rerank side by side. */
export function renderStoreTask1(r: StoreTask1Result): string {
  const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(4));
  return [
    `Task 1 over ${r.store}: ${r.queries} queries, ${r.judgements} judgements, ${r.candidates} candidates per query`,
    `  stage-1 recall of judged products ${f(r.recall)}, of Exact products ${f(r.recall_exact)}`,
    `                      nDCG`,
    `  stage 1 (BM25+kNN)  ${f(r.stage1.ndcg)}`,
    `  stage 1 + rerank    ${f(r.reranked?.ndcg)}${r.reranked ? `   (${r.reranked_pairs} pairs scored)` : ""}`,
  ].join("\n") + "\n";
}

const HELP = `Usage:
  esci search --store STORE --query "…" [--rerank-model M] [--k 10] [--candidates 100] [--json]
  esci search --store STORE --query "…" --no-rerank
  esci search --store STORE --queries FILE [--verbose]       (one query per line)

Stage 1 fuses BM25 (full-text) and vector kNN (the query embedded by the store's bi-encoder) by
reciprocal rank fusion; stage 2 scores the candidates with an ESCI cross-encoder and sorts them by
expected gain Σ P(label)·gain (E 1, S 0.1, C 0.01, I 0).

  --store STORE         sqlite:PATH or postgres://user@host:port/db[?schema=NAME] (built by esci index)
  --query Q             the search query
  --queries FILE        one query per line, searched in turn by one process (caches shared)
  --k N                 hits to show (default ${DEFAULT_K})
  --candidates N        stage-1 candidates to rerank (default ${DEFAULT_CANDIDATES})
  --rerank-model M      ESCI cross-encoder, hub id or local directory (default: ${DEFAULT_CROSS_ENCODER})
  --no-rerank           stage 1 only (score = RRF score)
  --only LABEL          keep hits labelled substitute, exact, complement or irrelevant
  --gains G             e.g. "E=1,S=0.1,C=0.01,I=0" (the default)
  --template T          product text the reranker reads (default "{title}"; e.g. "{title} {brand}")
  --embed-model B       query embedder (default: the model recorded in the store)
  --rrf-k N             RRF constant (default 60)
  --json                print a JSON array of {id, title, score, label, esci, probs, calibrated, stage1_rank, stage1_score}
                        (label: the reranker's id2label name, esci: its E/S/C/I letter; calibrated: present
                        when the reranker's esci_calibration.json made probs) (with --queries: one JSON
                        object {query, hits} per line)
  --verbose             on stderr: each query's time and the caches' hits, misses and hit rates
  --labels a,b,…        reranker label names in id order (for LABEL_0… checkpoints)
  --quantize int8       dynamic int8 quantization of the reranker
  --no-calibration      rerank by raw softmax probabilities, not the reranker's esci_calibration.json
  --revision R, --threads N, --batch-size N, --max-length N, --max-chars N, --quiet
Real time:
${CASCADE_FLAGS_HELP}`;

/** The queries of --query or --queries FILE (blank lines skipped). */
function readQueries(p: Parsed): string[] {
  const one = str(p, "query");
  const file = str(p, "queries");
  if ((one === undefined) === (file === undefined)) throw new EsciError("INVALID_ARGUMENT", "give either --query Q or --queries FILE");
  if (one !== undefined) return [one];
  if (!existsSync(file!)) throw new EsciError("NOT_FOUND", `--queries ${file}: no such file`);
  const qs = readFileSync(file!, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  if (!qs.length) throw new EsciError("INVALID_ARGUMENT", `--queries ${file}: no query in the file (one per line)`);
  return qs;
}

/** `--verbose`: the caches' counters, one line per cache. */
export function renderCacheStats(caches: SearchCaches): string {
  return Object.entries(caches.stats())
    .map(([name, s]) => `cache ${name.padEnd(10)} hits ${s.hits}  misses ${s.misses}  hit rate ${(100 * hitRate(s)).toFixed(1)}%  entries ${s.size}/${s.capacity}  evictions ${s.evictions}`)
    .join("\n") + "\n";
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...STORE_MODEL_FLAGS,
    ...CASCADE_FLAGS,
    query: { type: "string" },
    queries: { type: "string" },
    k: { type: "string" },
    candidates: { type: "string" },
    "no-rerank": { type: "boolean" },
    only: { type: "string" },
    gains: { type: "string" },
    template: { type: "string" },
    "rrf-k": { type: "string" },
    json: { type: "boolean" },
    verbose: { type: "boolean" },
  });
  const queries = readQueries(p);
  const rerank = !bool(p, "no-rerank");
  const options = {
    k: num(p, "k", { integer: true, min: 1, max: 10_000 }),
    candidates: num(p, "candidates", { integer: true, min: 1, max: 10_000 }),
    rerankCandidates: rerankCandidates(p),
    secondRerankTop: secondRerankTop(p),
    only: parseOnly(str(p, "only")),
    gains: parseGains(str(p, "gains")),
    productTemplate: str(p, "template"),
    rrfK: num(p, "rrf-k", { min: 0 }),
    batchSize: num(p, "batch-size", { integer: true, min: 1 }),
    maxLength: num(p, "max-length", { integer: true, min: 3 }),
    rerank,
  };
  if (options.only && !rerank) throw new EsciError("INVALID_ARGUMENT", "--only needs the reranker's labels; drop --no-rerank");
  if (!rerank && (options.rerankCandidates !== undefined || str(p, "second-rerank-model") !== undefined)) {
    throw new EsciError("INVALID_ARGUMENT", "--rerank-candidates and --second-rerank-model need reranking; drop --no-rerank");
  }
  const json = bool(p, "json");
  const verbose = bool(p, "verbose");
  const { pipeline, dispose } = await openPipeline(p, { rerank });
  try {
    for (const query of queries) {
      const t0 = performance.now();
      const hits = await pipeline.search(query, options);
      const ms = performance.now() - t0;
      if (json) process.stdout.write(queries.length === 1 ? JSON.stringify(hits.map(hitJson), null, 2) + "\n" : JSON.stringify({ query, hits: hits.map(hitJson) }) + "\n");
      else process.stdout.write((queries.length > 1 ? `query: ${query}\n` : "") + renderHits(hits));
      if (verbose) process.stderr.write(`esci: "${query}": ${hits.length} hits in ${ms.toFixed(1)} ms\n`);
    }
    if (verbose && pipeline.caches) process.stderr.write(renderCacheStats(pipeline.caches));
  } finally {
    await dispose();
  }
  return 0;
}

export const searchCommand: Command = {
  name: "search",
  summary: "search a catalog store: BM25 + vector retrieval, reranked by expected ESCI gain",
  help: HELP,
  run,
};
