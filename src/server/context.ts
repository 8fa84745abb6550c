/**
 * What every route reads: the loaded models (absent while they load), the server's settings and
 * its metrics; and the route table's row type, from which Fastify registers each route and
 * /docs describes it — one declaration, so the OpenAPI document cannot drift from the routes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EsciError } from "../errors/index.js";
import type { BiEncoder } from "../models/bi-encoder.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import type { SearchCaches } from "../search/cache.js";
import type { CatalogStore } from "../search/store.js";
import type { JsonSchema } from "./api.js";
import type { RequestLimits, ServerTimeouts } from "./limits.js";
import type { ServerMetrics } from "./metrics.js";

/** The package root (dist/src/server/ → ../../../), where web/ and package.json are. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const VERSION: string = (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, "utf8")) as { version: string }).version;

/** The loaded models, each with its batching queue started (index.ts queuedModels). */
export interface ServerModels {
  scorer: CrossEncoder;
  /** The cascade's second, larger reranker over the first one's top hits (search only). */
  secondScorer?: CrossEncoder;
  embedder?: BiEncoder;
  store?: CatalogStore;
  /** Query embeddings, stage-1 lists and predictions shared by all search requests. */
  caches: SearchCaches;
}

export interface ServerSettings {
  limits: RequestLimits;
  /** Connection timeouts (default DEFAULT_TIMEOUTS); they apply to real sockets, not to inject(). */
  timeouts?: ServerTimeouts;
  /** Bearer keys; empty: no authentication. */
  apiKeys: readonly string[];
  /** Origins allowed by CORS ("*": any); empty: no CORS headers (same origin only). */
  cors: readonly string[];
  /** Directory searched for evaluation reports (report.html + metrics.json). */
  reportsDir?: string;
  /** The web UI's files (default: the package's web/). */
  webDir?: string;
  /** Default of a search request's rerank_candidates (default: every candidate). */
  rerankCandidates?: number;
  /** Default of a search request's second_rerank_top (the cascade; default 10). */
  secondRerankTop?: number;
  /** Where unexpected (INTERNAL) errors are reported with their stack; default stderr. */
  logError?: (message: string) => void;
}

/** The models, set once they have loaded; `draining` once shutdown began. */
export class ServerState {
  models: ServerModels | undefined;
  draining = false;

  get ready(): boolean {
    return this.models !== undefined && !this.draining;
  }

  /** The models, or UNAVAILABLE while they load. */
  require(): ServerModels {
    if (!this.models) throw new EsciError("UNAVAILABLE", "the models are still loading; retry in a few seconds (GET /ready says when)", { retry_after_s: 2 });
    return this.models;
  }
}

export interface RouteContext {
  state: ServerState;
  settings: ServerSettings;
  metrics: ServerMetrics;
}

export interface ApiRoute {
  method: "GET" | "POST";
  url: string;
  tag: string;
  summary: string;
  description: string;
  /** Needs a bearer key when the server has keys. */
  auth: boolean;
  body?: JsonSchema;
  /** The 200 answer: a JSON Schema, or the media type of a non-JSON answer. */
  response: JsonSchema | { mediaType: string };
  /** Error statuses worth documenting besides 400/401/422/500. */
  errors?: number[];
  /** A request body for the docs' curl example. */
  example?: unknown;
  /** Left out of /docs (the web UI's assets). */
  hidden?: boolean;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * Aborts when the client goes away before its answer is sent, so the queue can drop its work.
 * (The response's "close" with the response unfinished; request "close" also fires once a body is
 * read, which would cancel every request.)
 */
export function clientSignal(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.once("close", onClose);
  return ac.signal;
}
