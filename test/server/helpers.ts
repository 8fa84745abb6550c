/**
 * An in-process server over the committed tiny models, for `app.inject()` tests (no port), and a
 * demo-catalog store indexed with the tiny bi-encoder. Random weights: the tests check wiring,
 * shapes, statuses and batched == single, never relevance.
 *
 * Every JSON answer a test server sends is checked on its way out: against the schema its route
 * registered for that status (TypeBox's Value.Check), and against the handler's own value, which
 * Fastify's serializer must not have changed (it writes only declared fields, so a field missing
 * from a schema would vanish silently). `close()` fails with the answers that broke either.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
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
  const { app, metrics, routes, registered } = await buildApp(state, settings);
  const violations = checkAnswers(app);
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
    routes,
    registered,
    /** Answers that broke their schema or lost something to the serializer (close() fails on any). */
    violations,
    async close() {
      await app.close();
      // The store belongs to the test that made it.
      await closeModels({ ...models, store: undefined });
      if (violations.length) throw new Error(`answers that do not match their route's schema:\n${violations.join("\n")}`);
    },
  };
}

/** Hooks that check each JSON answer of `app` (see the module comment); returns the list they fill. */
export function checkAnswers(app: FastifyInstance): string[] {
  const violations: string[] = [];
  const values = new WeakMap<FastifyRequest, unknown>();
  // preSerialization sees the handler's (or the error handler's) value; onSend the bytes that go out.
  app.addHook("preSerialization", async (req, _reply, payload) => {
    values.set(req, payload);
    return payload;
  });
  app.addHook("onSend", async (req, reply, payload) => {
    if (!values.has(req) || typeof payload !== "string") return payload;
    const what = `${req.method} ${req.url} → ${reply.statusCode}`;
    const sent: unknown = JSON.parse(payload);
    const value: unknown = JSON.parse(JSON.stringify(values.get(req)));
    if (!isDeepStrictEqual(sent, value)) violations.push(`${what}: the serializer changed the answer: sent ${payload}, the handler's value was ${JSON.stringify(value)}`);
    const schema = (req.routeOptions.schema?.response as Record<number, TSchema> | undefined)?.[reply.statusCode];
    if (schema && !Value.Check(schema, sent)) violations.push(`${what}: ${JSON.stringify([...Value.Errors(schema, sent)].slice(0, 3))} in ${payload}`);
    return payload;
  });
  return violations;
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
