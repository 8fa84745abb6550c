/**
 * The Fastify application: the route table (routes/), registered with its TypeBox schemas (api.ts)
 * — the request body and parameters, which Fastify validates, and the answer of every status the
 * route documents, which Fastify serializes with; bearer API keys; CORS; request metrics;
 * connection timeouts; and one error handler that answers every failure through ERROR_TABLE
 * (errors.ts). /docs describes the routes as Fastify registered them (openapi.ts). Building it
 * loads nothing: the models arrive in `state` when ready, so tests call `app.inject()` on an app
 * over tiny models and no port is opened.
 */
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { createHash, timingSafeEqual } from "node:crypto";
import { EsciError } from "../errors/index.js";
import { errorSchema } from "./api.js";
import { isMediaType, type ApiRoute, type RouteContext, type ServerSettings, type ServerState } from "./context.js";
import { clientErrorResponse, toEsciError, toHttpError } from "./errors.js";
import { useJsonBodyParser } from "./json-body.js";
import { checkTimeouts, DEFAULT_TIMEOUTS } from "./limits.js";
import { ServerMetrics } from "./metrics.js";
import { docsRoutes, type DocumentedRoute, type RouteSchema } from "./openapi.js";
import { reportRoutes, webRoutes } from "./routes/files.js";
import { modelRoutes } from "./routes/models.js";
import { opsRoutes } from "./routes/ops.js";
import { searchRoutes } from "./routes/search.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Needs a bearer key when the server has keys. */
    auth?: boolean;
    /** The route-table row's description, for /docs (absent on routes that are not API: CORS preflight). */
    doc?: DocumentedRoute["doc"];
  }
}

/**
 * The statuses a route answers with an ErrorBody: 400 (not JSON), 413 (--max-body) and 422 (schema)
 * where there is a body, 401 where it needs a key of a server that has keys, 500 always, and the
 * row's own.
 */
function errorStatuses(r: ApiRoute, auth: boolean): number[] {
  const base = r.body ? [400, 413, 422, 500] : [500];
  return [...new Set([...base, ...(r.auth && auth ? [401] : []), ...(r.errors ?? [])])].sort((a, b) => a - b);
}

/** The Fastify schema of a row: body and params to validate, the answer of each status to serialize. */
function routeSchema(r: ApiRoute, auth: boolean): RouteSchema {
  const response: RouteSchema["response"] = {};
  if (!isMediaType(r.response)) response[200] = r.response;
  for (const s of errorStatuses(r, auth)) response[s] = errorSchema;
  return { ...(r.body ? { body: r.body } : {}), ...(r.params ? { params: r.params } : {}), response };
}

/** Constant-time key check (keys are hashed first so lengths leak nothing either). */
function keyChecker(keys: readonly string[]): (presented: string) => boolean {
  const digest = (k: string) => createHash("sha256").update(k).digest();
  const known = keys.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(k, d) || ok;
    return ok;
  };
}

function checkAuth(req: FastifyRequest, isKey: (k: string) => boolean): void {
  const h = req.headers.authorization;
  const m = typeof h === "string" ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  if (!m) throw new EsciError("UNAUTHORIZED", "this route needs an API key: send Authorization: Bearer KEY");
  if (!isKey(m[1])) throw new EsciError("UNAUTHORIZED", "unknown API key");
}

export interface BuiltApp {
  app: FastifyInstance;
  metrics: ServerMetrics;
  routes: readonly ApiRoute[];
  /** Every route as Fastify registered it (its onRoute hook), HEAD and CORS preflight included; /docs walks these. */
  registered: readonly DocumentedRoute[];
}

export async function buildApp(state: ServerState, settings: ServerSettings, metrics = new ServerMetrics()): Promise<BuiltApp> {
  const t = checkTimeouts(settings.timeouts ?? DEFAULT_TIMEOUTS);
  const app = Fastify({
    logger: false,
    // Node's http server answers 408 and closes a connection whose headers (or whole request)
    // have not arrived in time; it checks every `connectionsCheckingInterval` ms (Node's default,
    // 30 s, would let a 1-second timeout run 30 s), so check at a quarter of the header timeout.
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(t.headersMs / 4))) },
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.idleMs,
    clientErrorHandler(err, socket) {
      const response = socket.destroyed ? undefined : clientErrorResponse(err as { code?: string }, t);
      if (response !== undefined && socket.writable) socket.end(response);
      else socket.destroy(err);
    },
    bodyLimit: settings.limits.maxBodyBytes,
    // Validation only: no type coercion ("5" stays a string and fails an integer field).
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  });
  // Every route as Fastify registers it (CORS preflight and HEAD too): what /docs describes.
  const registered: DocumentedRoute[] = [];
  app.addHook("onRoute", (o) => {
    registered.push({ method: o.method, url: o.url, schema: (o.schema ?? {}) as RouteSchema, doc: o.config?.doc });
  });
  // Bodies are JSON only: without Fastify's text/plain parser, any other type is MALFORMED (errors.ts).
  app.removeContentTypeParser("text/plain");
  // Large JSON bodies are parsed in a worker thread, so /health does not wait for them (json-body.ts).
  useJsonBodyParser(app);
  const ctx: RouteContext = { state, settings, metrics };
  metrics.ready.set({}, () => (state.ready ? 1 : 0));

  if (settings.cors.length) {
    await app.register(cors, {
      origin: settings.cors.includes("*") ? true : [...settings.cors],
      methods: ["GET", "POST"],
      allowedHeaders: ["content-type", "authorization"],
      maxAge: 600,
    });
  }

  const isKey = settings.apiKeys.length ? keyChecker(settings.apiKeys) : undefined;
  if (isKey) {
    app.addHook("onRequest", async (req) => {
      if (req.routeOptions.config.auth) checkAuth(req, isKey);
    });
  }

  // While draining, answers close their connection, so kept-alive clients do not hold shutdown up.
  app.addHook("onSend", async (_req, reply) => {
    if (state.draining) reply.header("connection", "close");
  });

  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (err, req, reply) => {
    const e = toEsciError(err, settings.limits.maxBodyBytes);
    if (e.code === "INTERNAL") {
      const log = settings.logError ?? ((m: string) => process.stderr.write(`esci: ${m}\n`));
      log(`internal error in ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
    }
    const h = toHttpError(e);
    reply.code(h.status).headers(h.headers).type("application/json; charset=utf-8");
    return h.body;
  });
  app.setNotFoundHandler(async (req) => {
    throw new EsciError("NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]} (the API is described at /docs)`);
  });

  const auth = isKey !== undefined;
  const routes: ApiRoute[] = [];
  routes.push(...modelRoutes(ctx), ...searchRoutes(ctx), ...reportRoutes(ctx), ...opsRoutes(ctx), ...docsRoutes(() => registered, auth), ...webRoutes(settings.webDir));
  for (const r of routes) {
    const { handler, body: _body, params: _params, response, ...info } = r;
    const doc = { ...info, ...(isMediaType(response) ? { mediaType: response.mediaType } : {}) };
    app.route({ method: r.method, url: r.url, config: { auth: r.auth, doc }, schema: routeSchema(r, auth), handler });
  }
  return { app, metrics, routes, registered };
}
