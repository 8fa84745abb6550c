/**
 * `esci serve`: the HTTP API and web UI (server/). This file holds only the process concerns: flags,
 * loading the models with progress bars, SIGTERM/SIGINT → graceful drain, and the exit status. A
 * model that is missing or corrupt fails the start (non-zero exit, the loader's message).
 */
import { existsSync, statSync } from "node:fs";
import { EsciError } from "../errors/index.js";
import { openStore, type CatalogStore } from "../search/store.js";
import { rerankScoring } from "../esci/gains.js";
import { DEFAULT_QUEUE } from "../models/engine/queue.js";
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, startServer, type LoadedParts } from "../server/index.js";
import { num, parseFlags, str } from "./args.js";
import { CASCADE_FLAGS, CASCADE_FLAGS_HELP, cacheSizes, loadSecondReranker, rerankCandidates, secondRerankTop } from "./cascade-flags.js";
import type { Command } from "./command.js";
import { DEFAULT_CROSS_ENCODER, loadBiEncoder, loadCrossEncoder } from "./model-flags.js";

const HELP = `Usage:
  esci serve --model M [--embed-model B] [--store STORE] [--port 8080] [--quantize int8] [--reports DIR]

An HTTP API over the cross-encoder M (default ${DEFAULT_CROSS_ENCODER}), described at /docs:
  POST /v1/classify, POST /rerank (text-embeddings-inference shape), POST /v1/rerank (Cohere/Jina
  shape), POST /v1/search and /v1/substitutes (with --store), POST /v1/embed (with a bi-encoder),
  GET /health, /ready, /metrics (Prometheus); the web UI at /.
All routes share one batching queue per model, which packs pairs from concurrent requests.

Models:
  --model M            ESCI cross-encoder or one-logit reranker: hub id or local directory
  --embed-model B      bi-encoder for /v1/embed and the vector leg of search (default: the one
                       recorded in --store, if any)
  --store STORE        catalog store built by esci index (sqlite:PATH or postgres://…)
  --labels a,b,…       label names in the model's id order (for LABEL_0… checkpoints)
  --quantize int8      dynamic int8 quantization of the models' encoder weights
  --no-calibration     serve raw softmax probabilities by default, even with an esci_calibration.json
                       (a request's "calibration": false does so for that request)
  --revision R, --threads N, --quiet
Search (with --store; a request's rerank_candidates and second_rerank_top override per request):
${CASCADE_FLAGS_HELP}
Server:
  --host H             address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N             (default 8080; 0 picks a free port)
  --api-key KEY        require Authorization: Bearer KEY on API routes (repeatable; also
                       ESCI_API_KEYS=k1,k2). /health, /ready, /metrics, /docs and the UI stay open.
  --cors O1,O2         allow these browser origins ("*" for any)
  --reports DIR        directory of evaluation reports (esci evaluate --report) for the UI's viewer
  --drain-timeout S    on SIGTERM/SIGINT, wait at most S seconds for in-flight work (default 30)
  --header-timeout S   a request's headers must arrive within S seconds of connecting, else 408
                       and the connection is closed (default ${DEFAULT_TIMEOUTS.headersMs / 1000})
  --body-timeout S     the whole request, headers and body, within S seconds, else 408 and the
                       connection is closed (default ${DEFAULT_TIMEOUTS.requestMs / 1000})
  --idle-timeout S     close a kept-alive connection idle for S seconds (default ${DEFAULT_TIMEOUTS.idleMs / 1000})
Batching queue (per model):
  --batch-size N       most pairs in one model call (default ${DEFAULT_QUEUE.maxBatch})
  --token-budget N     most padded tokens (pairs × longest pair) in one call (default ${DEFAULT_QUEUE.tokenBudget})
  --max-wait-ms N      how long an idle model waits to fill a batch (default ${DEFAULT_QUEUE.maxWaitMs})
  --max-queue N        most pairs waiting; beyond it requests get 429 + Retry-After (default ${DEFAULT_QUEUE.maxQueuedRows})
Limits per request:
  --max-pairs N        pairs, texts or documents per request (default ${DEFAULT_LIMITS.maxPairs}; more: 413)
  --max-chars N        characters per text (default ${DEFAULT_LIMITS.maxChars}; more: 413); catalog
                       products are cut to N characters before they are tokenized
  --max-body BYTES     request body size (default ${DEFAULT_LIMITS.maxBodyBytes}; more: 413)`;

const FLAGS = {
  ...CASCADE_FLAGS,
  model: { type: "string" },
  "embed-model": { type: "string" },
  store: { type: "string" },
  labels: { type: "string" },
  quantize: { type: "string" },
  revision: { type: "string" },
  threads: { type: "string" },
  quiet: { type: "boolean" },
  "no-calibration": { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  "api-key": { type: "string", multiple: true },
  cors: { type: "string" },
  reports: { type: "string" },
  "drain-timeout": { type: "string" },
  "header-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  "idle-timeout": { type: "string" },
  "batch-size": { type: "string" },
  "token-budget": { type: "string" },
  "max-wait-ms": { type: "string" },
  "max-queue": { type: "string" },
  "max-pairs": { type: "string" },
  "max-chars": { type: "string" },
  "max-body": { type: "string" },
} as const;

/** How the server loads its models: session and tokenizer off the event loop. */
const WORKERS = { session: "worker", tokenizer: "worker" } as const;

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, FLAGS);
  const log = (m: string) => process.stderr.write(`esci: ${m}\n`);
  const reportsDir = str(p, "reports");
  if (reportsDir !== undefined && !(existsSync(reportsDir) && statSync(reportsDir).isDirectory())) {
    throw new EsciError("NOT_FOUND", `--reports ${reportsDir}: no such directory`);
  }
  const apiKeys = [...((p.values["api-key"] as string[] | undefined) ?? []), ...list(process.env.ESCI_API_KEYS)];
  const limits = {
    maxPairs: num(p, "max-pairs", { integer: true, min: 1 }) ?? DEFAULT_LIMITS.maxPairs,
    maxChars: num(p, "max-chars", { integer: true, min: 1 }) ?? DEFAULT_LIMITS.maxChars,
    maxBodyBytes: num(p, "max-body", { integer: true, min: 1024 }) ?? DEFAULT_LIMITS.maxBodyBytes,
  };
  const queue = {
    maxBatch: num(p, "batch-size", { integer: true, min: 1 }) ?? DEFAULT_QUEUE.maxBatch,
    tokenBudget: num(p, "token-budget", { integer: true, min: 1 }) ?? DEFAULT_QUEUE.tokenBudget,
    maxWaitMs: num(p, "max-wait-ms", { min: 0, max: 1000 }) ?? DEFAULT_QUEUE.maxWaitMs,
    maxQueuedRows: num(p, "max-queue", { integer: true, min: 1 }) ?? DEFAULT_QUEUE.maxQueuedRows,
  };
  if (queue.maxQueuedRows < limits.maxPairs) {
    throw new EsciError("INVALID_ARGUMENT", `--max-queue (${queue.maxQueuedRows}) must be at least --max-pairs (${limits.maxPairs}), or a full-size request could never be queued`);
  }
  const drainSeconds = num(p, "drain-timeout", { min: 0 }) ?? 30;
  const seconds = (flag: string, fallbackMs: number) => {
    const s = num(p, flag, { min: 0.001, max: 3600 });
    return s === undefined ? fallbackMs : Math.round(s * 1000);
  };
  const timeouts = {
    headersMs: seconds("header-timeout", DEFAULT_TIMEOUTS.headersMs),
    requestMs: seconds("body-timeout", DEFAULT_TIMEOUTS.requestMs),
    idleMs: seconds("idle-timeout", DEFAULT_TIMEOUTS.idleMs),
  };
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new EsciError("INVALID_ARGUMENT", `--header-timeout (${timeouts.headersMs / 1000} s) must not exceed --body-timeout (${timeouts.requestMs / 1000} s), which covers headers and body`);
  }
  const host = str(p, "host") ?? "127.0.0.1";
  const port = num(p, "port", { integer: true, min: 0, max: 65535 }) ?? 8080;
  const cascade = { rerankCandidates: rerankCandidates(p), secondRerankTop: secondRerankTop(p) };
  const caches = cacheSizes(p);

  const load = async (): Promise<LoadedParts> => {
    let store: CatalogStore | undefined;
    const parts: Partial<LoadedParts> = {};
    try {
      const storeSpec = str(p, "store");
      store = storeSpec === undefined ? undefined : await openStore(storeSpec, { mustExist: true });
      const space = await store?.embedding();
      const embedModel = str(p, "embed-model") ?? space?.model;
      // Sessions and tokenizers in worker threads: onnxruntime-node's run blocks its thread
      // (onnx/worker-session.ts), and so does tokenizing a large request.
      // The models load side by side (each session's set-up runs on its own thread): a large part of
      // the time to the first answer. allSettled, so that every loaded model is released on failure.
      // With more than one model, idle ONNX Runtime threads sleep rather than spin (onnx/session.ts).
      const several = embedModel !== undefined || str(p, "second-rerank-model") !== undefined;
      const session = { ...WORKERS, ...(several ? { spinning: false } : {}) };
      const loads = await Promise.allSettled([
        loadCrossEncoder(p, undefined, "cross-encoder", session).then((m) => (parts.crossEncoder = m)),
        loadSecondReranker(p, session).then((m) => (parts.secondCrossEncoder = m)),
        embedModel ? loadBiEncoder(p, embedModel, "bi-encoder", session).then((m) => (parts.biEncoder = m)) : undefined,
        // One vector search meanwhile reads the SQLite store's HNSW file, which the first request would wait for.
        space ? store!.searchVector(new Float32Array(space.dimension).fill(1), 1) : undefined,
      ]);
      const failed = loads.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      return { crossEncoder: parts.crossEncoder!, secondCrossEncoder: parts.secondCrossEncoder, biEncoder: parts.biEncoder, store };
    } catch (e) {
      await parts.crossEncoder?.dispose();
      await parts.secondCrossEncoder?.dispose();
      await parts.biEncoder?.dispose();
      await store?.close();
      throw e;
    }
  };

  const stop = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
  });
  const server = await startServer({
    host,
    port,
    settings: { limits, timeouts, apiKeys, cors: list(str(p, "cors")), reportsDir, ...cascade },
    queue,
    caches,
    load,
  });
  log(`listening on ${server.url} (API docs at ${server.url}/docs); loading models…`);
  const first = await Promise.race([server.loaded.then(() => undefined), stop]);
  if (first === undefined) {
    const m = server.state.models!;
    log(
      `ready: ${m.scorer.model.id} (${m.scorer.labels.join(", ")}; rerank score: ${rerankScoring(m.scorer.labels).mode})` +
        `${m.embedder ? `, bi-encoder ${m.embedder.modelId}` : ""}${m.store ? `, store ${m.store.location}` : ""}${apiKeys.length ? `, ${apiKeys.length} API key(s)` : ""}`,
    );
  }
  const signal = first ?? (await stop);
  log(`${signal}: draining in-flight requests (at most ${drainSeconds} s)…`);
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    server.close().then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), drainSeconds * 1000))),
  ]);
  clearTimeout(timer);
  if (!drained) {
    log(`drain timed out after ${drainSeconds} s; exiting with work unfinished`);
    // Open sockets and model threads would keep the process alive: the one forced exit of serve.
    process.exit(1);
  }
  log("stopped");
  return 0;
}

export const serveCommand: Command = {
  name: "serve",
  summary: "HTTP API (classify, rerank, search, embed) with a shared batching queue, metrics and a web UI",
  help: HELP,
  run,
};
