/**
 * An in-process server over the committed tiny models, for `app.inject()` tests (no port), and a
 * demo-catalog store indexed with the tiny bi-encoder. Random weights: the tests check wiring,
 * shapes, statuses and batched == single, never relevance.
 */
import { join } from "node:path";
import { BiEncoder } from "../../src/models/bi-encoder.js";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { indexCatalog } from "../../src/search/indexer.js";
import { openStore, type CatalogStore } from "../../src/search/store.js";
import { buildApp, closeModels, queuedModels, ServerState, type QueueOptions, type ServerSettings } from "../../src/server/index.js";
import { DEFAULT_LIMITS } from "../../src/server/limits.js";
import type { ServerMetrics } from "../../src/server/metrics.js";
import type { SearchCacheSizes } from "../../src/search/cache.js";
import { fixtureModel, REPO_ROOT, tempDir } from "../helpers/paths.js";

export const ESCI_MODEL = fixtureModel("tiny-roberta-esci");
export const ONE_LOGIT_MODEL = fixtureModel("tiny-bert-1logit");
export const THREE_LABEL_MODEL = fixtureModel("tiny-bert-3label");
export const EMBED_MODEL = fixtureModel("tiny-st-roberta");
export const DEMO_CATALOG = join(REPO_ROOT, "demo", "catalog.jsonl");

/** How `esci serve` loads its models: session and tokenizer in worker threads. */
export const WORKERS = { session: "worker", tokenizer: "worker" } as const;

export interface TestServerOptions {
  model?: string;
  /** Load a bi-encoder: true for EMBED_MODEL, or a model directory. */
  embed?: boolean | string;
  store?: CatalogStore;
  /** The cascade's second reranker (a model directory). */
  secondModel?: string;
  caches?: SearchCacheSizes;
  settings?: Partial<ServerSettings>;
  queue?: Partial<QueueOptions>;
  /** Leave the models unloaded (state.models undefined), as while a server starts. */
  unloaded?: boolean;
}

export async function testServer(o: TestServerOptions = {}) {
  const state = new ServerState();
  const settings: ServerSettings = { limits: DEFAULT_LIMITS, apiKeys: [], cors: [], ...o.settings };
  const { app, metrics } = await buildApp(state, settings);
  // Worker-thread sessions and tokenizers, as `esci serve` loads them.
  const crossEncoder = await CrossEncoder.load(o.model ?? ESCI_MODEL, WORKERS);
  const biEncoder = o.embed ? await BiEncoder.load(o.embed === true ? EMBED_MODEL : o.embed, WORKERS) : undefined;
  const secondCrossEncoder = o.secondModel ? await CrossEncoder.load(o.secondModel, WORKERS) : undefined;
  const models = await queuedModels({ crossEncoder, secondCrossEncoder, biEncoder, store: o.store }, { queue: o.queue, caches: o.caches }, metrics);
  if (!o.unloaded) state.models = models;
  return {
    app,
    state,
    metrics: metrics as ServerMetrics,
    models,
    async close() {
      await app.close();
      // The store belongs to the test that made it.
      await closeModels({ ...models, store: undefined });
    },
  };
}

/** The demo catalog in a fresh SQLite store, embedded by the tiny bi-encoder. */
export async function demoStore(): Promise<CatalogStore> {
  const dir = tempDir("esci-server-store-");
  const store = await openStore(`sqlite:${join(dir, "demo.db")}`);
  const embedder = await BiEncoder.load(EMBED_MODEL);
  try {
    await indexCatalog(store, { catalog: DEMO_CATALOG, embedder });
  } finally {
    await embedder.dispose();
  }
  return store;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
  }
}

/** A POST body for inject. */
export function json(url: string, body: unknown, headers: Record<string, string> = {}) {
  return { method: "POST" as const, url, payload: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } };
}
