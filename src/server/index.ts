/**
 * server/: esci over HTTP. `startServer` opens the port first (so /health answers and /ready
 * says 503 while a large model builds), then loads the models through the caller's `load`, wraps
 * each in its batching queue, and flips /ready. `close()` is the graceful shutdown: /ready turns
 * 503, new requests are refused, in-flight ones — and the rows they queued — finish, then the
 * models and the store are released.
 *
 * Process concerns (signals, exit codes) stay in cli/serve.ts.
 */
import type { FastifyInstance } from "fastify";
import type { BiEncoder } from "../models/bi-encoder.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import { SearchCaches, type SearchCacheSizes } from "../search/cache.js";
import type { CatalogStore } from "../search/store.js";
import { buildApp } from "./app.js";
import { ServerState, type ServerModels, type ServerSettings } from "./context.js";
import { ServerMetrics } from "./metrics.js";
import type { QueueOptions } from "./queue.js";
import { QueuedBiEncoder, QueuedCrossEncoder } from "./scoring.js";

export { buildApp } from "./app.js";
export { ServerState, type ServerModels, type ServerSettings } from "./context.js";
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type RequestLimits, type ServerTimeouts } from "./limits.js";
export { ServerMetrics } from "./metrics.js";
export { BatchQueue, DEFAULT_QUEUE, type QueueOptions } from "./queue.js";
export { QueuedBiEncoder, QueuedCrossEncoder } from "./scoring.js";

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

/** Loaded models → the server's queued models (taking them over), their queues reporting to `metrics`. */
export async function queuedModels(parts: LoadedParts, o: QueuedModelsOptions, metrics: ServerMetrics): Promise<ServerModels> {
  const common = { queue: o.queue };
  let scorer: QueuedCrossEncoder | undefined;
  let secondScorer: QueuedCrossEncoder | undefined;
  try {
    scorer = await QueuedCrossEncoder.create(parts.crossEncoder, { ...common, observer: metrics.queueObserver(parts.crossEncoder.model.id) });
    const s = scorer;
    metrics.queueDepth.set({ model: s.id }, () => s.queue.depth);
    if (parts.secondCrossEncoder) {
      const s2 = (secondScorer = await QueuedCrossEncoder.create(parts.secondCrossEncoder, { ...common, observer: metrics.queueObserver(parts.secondCrossEncoder.model.id) }));
      metrics.queueDepth.set({ model: s2.id }, () => s2.queue.depth);
    }
    let embedder: QueuedBiEncoder | undefined;
    if (parts.biEncoder) {
      const e = await QueuedBiEncoder.create(parts.biEncoder, { ...common, observer: metrics.queueObserver(parts.biEncoder.modelId) });
      metrics.queueDepth.set({ model: e.modelId }, () => e.queue.depth);
      embedder = e;
    }
    const caches = new SearchCaches(o.caches);
    metrics.watchCaches(caches);
    return { scorer, secondScorer, embedder, store: parts.store, caches };
  } catch (e) {
    await (scorer ? scorer.close() : parts.crossEncoder.dispose());
    await (secondScorer ? secondScorer.close() : parts.secondCrossEncoder?.dispose());
    await parts.biEncoder?.dispose();
    throw e;
  }
}

/** Release the models (after their queues drain) and the store. */
export async function closeModels(m: ServerModels): Promise<void> {
  await Promise.all([m.scorer.close(), m.secondScorer?.close(), m.embedder?.close()]);
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
