/**
 * What every route reads: the loaded models (absent while they load), the server's settings and
 * its metrics; and the route table's row type, from which Fastify registers each route with its
 * TypeBox schemas (api.ts) and /docs describes what Fastify registered — one declaration, so the
 * OpenAPI document cannot drift from the routes.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { ContextConfigDefault, FastifyReply, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface } from "fastify";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EsciError } from "../errors/index.js";
import type { BiEncoder } from "../models/bi-encoder.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import type { SearchCaches } from "../search/cache.js";
import type { CatalogStore } from "../search/store.js";
import type { Static, TSchema } from "typebox";
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

/** The media type of an answer that is not JSON (a page, Prometheus text, a file). */
export interface MediaType {
  mediaType: string;
}

/** What /docs says about a route, besides its schemas. */
export interface RouteInfo {
  method: "GET" | "POST";
  url: string;
  tag: string;
  summary: string;
  description: string;
  /** Needs a bearer key when the server has keys. */
  auth: boolean;
  /** Error statuses worth documenting besides those of every route (app.ts errorStatuses); each answers an ErrorBody. */
  errors?: number[];
  /** A request body for the docs' curl example. */
  example?: unknown;
  /** Left out of /docs (the web UI's assets). */
  hidden?: boolean;
}

type Optional = TSchema | undefined;

/** The part of a route's Fastify schema that types its handler. */
interface HandlerSchema<B extends Optional, P extends Optional, R extends TSchema | MediaType> {
  body: B;
  params: P;
  // (TypeBox's TSchema is `{}`, which a MediaType matches too: test for the MediaType.)
  response: R extends MediaType ? undefined : { 200: R };
}

/** Fastify's request and reply for these schemas, as resolved by the TypeBox type provider (typed `body`, `params`). */
export type RouteRequest<S extends HandlerSchema<Optional, Optional, TSchema | MediaType>> = FastifyRequest<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, S, TypeBoxTypeProvider>;
export type RouteReply<S extends HandlerSchema<Optional, Optional, TSchema | MediaType>> = FastifyReply<
  RouteGenericInterface,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  ContextConfigDefault,
  S,
  TypeBoxTypeProvider
>;

/** One route as written in routes/: its schemas, and a handler typed by them. */
export interface RouteDefinition<B extends Optional, P extends Optional, R extends TSchema | MediaType> extends RouteInfo {
  /** The JSON request body. */
  body?: B;
  /** The URL parameters. */
  params?: P;
  /** The 200 answer: a schema, or the media type of a non-JSON answer. */
  response: R;
  handler(request: RouteRequest<HandlerSchema<B, P, R>>, reply: RouteReply<HandlerSchema<B, P, R>>): Promise<R extends MediaType ? unknown : Static<R>>;
}

/** A row of the route table: a RouteDefinition whose schema types have done their work (typing its handler). */
export interface ApiRoute extends RouteInfo {
  body?: TSchema;
  params?: TSchema;
  response: TSchema | MediaType;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * A route-table row. The handler's `request.body` and `request.params` and its return value are
 * typed from the row's own schemas (no casts in handlers); the table then holds rows of different
 * schemas side by side, so the row type forgets them here, in one place. Fastify validates the
 * body and params against the same schemas before the handler runs, which is what makes the
 * types true.
 */
export function apiRoute<B extends Optional = undefined, P extends Optional = undefined, R extends TSchema | MediaType = MediaType>(route: RouteDefinition<B, P, R>): ApiRoute {
  return route as unknown as ApiRoute;
}

export function isMediaType(r: TSchema | MediaType): r is MediaType {
  return typeof (r as Partial<MediaType>).mediaType === "string";
}

/**
 * Aborts when the client goes away before its answer is sent, so the queue can drop its work.
 * (The response's "close" with the response unfinished; request "close" also fires once a body is
 * read, which would cancel every request.)
 */
export function clientSignal(reply: Pick<FastifyReply, "raw">): AbortSignal {
  const ac = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.once("close", onClose);
  return ac.signal;
}
