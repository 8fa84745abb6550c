/**
 * server/: esci over HTTP. `startServer` opens the port first (so /health answers and /ready
 * says 503 while a large model builds), then loads the models through the caller's `load` (with
 * `{ session: "worker", tokenizer: "worker" }`, so neither ONNX Runtime nor the tokenizer blocks
 * the event loop), starts each model's batching queue, and flips /ready. `close()` is the graceful
 * shutdown: /ready turns 503, new requests are refused, in-flight ones — and the rows they
 * queued — finish, then the models and the store are released.
 *
 * No queue and no model internals here: routes call the models' predict and embed, the CLI's
 * calls; the batching queue is the models' engine (models/engine/).
 *
 * Process concerns (signals, exit codes) stay in cli/serve.ts.
 */
import type { FastifyInstance } from "fastify";
import type { BiEncoder } from "../models/bi-encoder.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import type { QueueOptions } from "../models/engine/queue.js";
import { SearchCaches, type SearchCacheSizes } from "../search/cache.js";
import type { CatalogStore } from "../search/store.js";
import { buildApp } from "./app.js";
import { ServerState, type ServerModels, type ServerSettings } from "./context.js";
import { ServerMetrics } from "./metrics.js";

export { buildApp } from "./app.js";
export { ServerState, type ServerModels, type ServerSettings } from "./context.js";
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type RequestLimits, type ServerTimeouts } from "./limits.js";
export { ServerMetrics } from "./metrics.js";
// startServer's `queue` option: the models' batching queue (models/engine/queue.ts).
export { DEFAULT_QUEUE, type QueueOptions } from "../models/engine/queue.js";

export interface LoadedParts {
  crossEncoder: CrossEncoder;
  /** The cascade's second reranker (search only). */
  secondCrossEncoder?: CrossEncoder;
  biEncoder?: BiEncoder;
  store?: CatalogStore;
}

export interface QueuedModelsOptions {
  queue?: Partial<QueueOptions>;
  /** Entry bounds of the search caches (search/cache.ts DEFAULT_CACHE_SIZES). */
  caches?: SearchCacheSizes;
}

/**
 * Loaded models → the server's models (taking them over): each one's batching queue started
 * (concurrent requests share its batches), reporting to `metrics`.
 */
export async function queuedModels(parts: LoadedParts, o: QueuedModelsOptions, metrics: ServerMetrics): Promise<ServerModels> {
  try {
    const named: [CrossEncoder | BiEncoder, string][] = [[parts.crossEncoder, parts.crossEncoder.model.id]];
    if (parts.secondCrossEncoder) named.push([parts.secondCrossEncoder, parts.secondCrossEncoder.model.id]);
    if (parts.biEncoder) named.push([parts.biEncoder, parts.biEncoder.modelId]);
    for (const [m, id] of named) {
      const queue = m.engine.startQueue(o.queue, metrics.queueObserver(id));
      metrics.queueDepth.set({ model: id }, () => queue.depth);
    }
    const caches = new SearchCaches(o.caches);
    metrics.watchCaches(caches);
    return { scorer: parts.crossEncoder, secondScorer: parts.secondCrossEncoder, embedder: parts.biEncoder, store: parts.store, caches };
  } catch (e) {
    await Promise.all([parts.crossEncoder.dispose(), parts.secondCrossEncoder?.dispose(), parts.biEncoder?.dispose()]);
    throw e;
  }
}

/** Release the models (after their queues drain) and the store. */
export async function closeModels(m: ServerModels): Promise<void> {
  await Promise.all([m.scorer.dispose(), m.secondScorer?.dispose(), m.embedder?.dispose()]);
  await m.store?.close();
}

export interface StartOptions extends QueuedModelsOptions {
  host: string;
  port: number;
  settings: ServerSettings;
  /** Loads the models (and opens the store); called once the port is open. */
  load: () => Promise<LoadedParts>;
}

export interface RunningServer {
  app: FastifyInstance;
  state: ServerState;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Resolves when the models are loaded; rejects (after closing the server) when loading failed. */
  loaded: Promise<void>;
  close(): Promise<void>;
}

export async function startServer(o: StartOptions): Promise<RunningServer> {
  const state = new ServerState();
  const metrics = new ServerMetrics();
  const { app } = await buildApp(state, o.settings, metrics);
  const url = await app.listen({ host: o.host, port: o.port });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state.draining = true;
      // Fastify stops accepting, answers 503 on kept-alive connections and waits for in-flight requests.
      await app.close();
      if (state.models) await closeModels(state.models);
    })());
  const loaded = o.load().then(
    async (parts) => {
      const models = await queuedModels(parts, o, metrics);
      if (state.draining) await closeModels(models); // shut down while loading
      else state.models = models;
    },
    async (e: unknown) => {
      await close();
      throw e;
    },
  );
  return { app, state, url, loaded, close };
}
