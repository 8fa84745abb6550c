/**
 * The OpenAPI 3.1 description of the server, walked from the routes as Fastify registered them
 * (app.ts's onRoute hook): each operation's request body, parameters and answers are the very
 * TypeBox schemas Fastify validates and serializes with (api.ts), so the document cannot drift
 * from the routes; and a readable HTML rendering of it for /docs: every operation with its fields,
 * error statuses and a curl example — inline CSS, no scripts, no CDN assets.
 */
import type { TSchema } from "typebox";
import { ERROR_TABLE, type ErrorCode } from "../errors/index.js";
import { errorSchema } from "./api.js";
import { apiRoute, VERSION, type ApiRoute, type RouteInfo } from "./context.js";

/** A JSON Schema read as data (TypeBox's schemas are plain JSON Schema objects). */
type JsonSchema = Record<string, unknown>;

/** The part of a route's Fastify schema esci sets: body and params to validate, each status's answer. */
export interface RouteSchema {
  body?: TSchema;
  params?: TSchema;
  response: Record<number, TSchema>;
}

/** A route as Fastify registered it (onRoute), with its route-table description (`doc`, absent on routes that are not API). */
export interface DocumentedRoute {
  method: string | string[];
  url: string;
  schema: Partial<RouteSchema>;
  doc?: RouteInfo & {
    /** The media type of a non-JSON 200 answer. */
    mediaType?: string;
  };
}

/** An API operation of /docs: a documented GET or POST route (not HEAD, not CORS preflight, not a UI asset). */
type Operation = DocumentedRoute & { method: "GET" | "POST"; doc: NonNullable<DocumentedRoute["doc"]> };

function operations(routes: readonly DocumentedRoute[]): Operation[] {
  return routes.filter((r): r is Operation => (r.method === "GET" || r.method === "POST") && r.doc !== undefined && !r.doc.hidden);
}

const STATUS_TEXT: Record<number, string> = {
  400: "Malformed request (body is not JSON, or not application/json)",
  401: "Missing or unknown API key",
  404: "Not found, or the part of the server this route needs is not configured",
  409: "Conflict (e.g. the store's vectors come from another embedding model)",
  413: "A limit was exceeded (pairs per request, characters per text, tokens per pair, body size); the message names it",
  422: "Invalid request (a field has the wrong type or value, or the model cannot do this)",
  429: "The batching queue is full; retry after the Retry-After header's seconds",
  500: "Internal error",
  503: "Models still loading, or the server is shutting down",
};

function codesFor(status: number): ErrorCode[] {
  return (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((c) => ERROR_TABLE[c].httpStatus === status);
}

/** The statuses a route answers with an error body, from its registered answers. */
function errorStatuses(r: Operation): number[] {
  return Object.keys(r.schema.response ?? {})
    .map(Number)
    .filter((s) => s >= 400)
    .sort((a, b) => a - b);
}

/** OpenAPI's name of a URL parameter: Fastify's wildcard `*` is `{path}`. */
const paramName = (name: string) => (name === "*" ? "path" : name);
const openApiPath = (url: string) => url.replace(/\/\*$/, "/{path}");

/** The schema of an answer: the shared error body by reference, any other inline. */
function answerSchema(s: TSchema): JsonSchema {
  return s === errorSchema ? { $ref: "#/components/schemas/Error" } : (s as JsonSchema);
}

/** The OpenAPI document of the registered routes. `auth`: whether the server has API keys (adds the bearer scheme). */
export function openApiDocument(routes: readonly DocumentedRoute[], auth: boolean): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of operations(routes)) {
    const path = openApiPath(r.url);
    const answers = r.schema.response ?? {};
    const responses: Record<string, unknown> = {
      200: answers[200] ? { description: "OK", content: { "application/json": { schema: answerSchema(answers[200]) } } } : { description: "OK", content: { [r.doc.mediaType ?? "application/octet-stream"]: {} } },
    };
    for (const s of errorStatuses(r)) {
      responses[s] = { description: `${STATUS_TEXT[s] ?? "Error"} (error_type ${codesFor(s).join(" | ")})`, content: { "application/json": { schema: answerSchema(answers[s]) } } };
    }
    const params = Object.entries(((r.schema.params as JsonSchema | undefined)?.properties ?? {}) as Record<string, JsonSchema>);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      tags: [r.doc.tag],
      summary: r.doc.summary,
      description: r.doc.description,
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
      ...(params.length ? { parameters: params.map(([name, schema]) => ({ name: paramName(name), in: "path", required: true, ...(schema.description ? { description: schema.description } : {}), schema })) } : {}),
      ...(r.schema.body ? { requestBody: { required: true, content: { "application/json": { schema: r.schema.body, ...(r.doc.example ? { example: r.doc.example } : {}) } } } } : {}),
      ...(r.doc.auth && auth ? { security: [{ bearer: [] }] } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "esci serve",
      version: VERSION,
      description:
        "ESCI relevance models over HTTP: classify query–product pairs, rerank (text-embeddings-inference and Cohere/Jina shapes), search a catalog store, find substitutes, embed. Errors answer {error, error_type, details?}.",
    },
    paths,
    components: {
      schemas: { Error: errorSchema },
      ...(auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "One of the server's --api-key / ESCI_API_KEYS keys." } } } : {}),
    },
  };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.oneOf)) return (s.oneOf as JsonSchema[]).map(typeOf).join(" | ");
  if (s.type === "array") {
    const inner = typeOf((s.items as JsonSchema) ?? {});
    return inner.includes(" | ") ? `(${inner})[]` : `${inner}[]`;
  }
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  // A record (TypeBox's Record: keys are data, e.g. label names).
  const byName = Object.values((s.patternProperties ?? {}) as Record<string, JsonSchema>)[0];
  if (byName !== undefined && !s.properties) return `{[name]: ${typeOf(byName)}}`;
  return typeof s.type === "string" ? s.type : "any";
}

/** Rows (name, type, required, description) of a schema's fields, nested ones with dotted names. */
function fieldRows(s: JsonSchema, prefix: string, out: string[][]): string[][] {
  const props = s.properties as Record<string, JsonSchema> | undefined;
  if (s.type === "array" && s.items) return fieldRows(s.items as JsonSchema, `${prefix}[]`, out);
  if (!props) return out;
  const required = new Set((s.required as string[] | undefined) ?? []);
  for (const [name, p] of Object.entries(props)) {
    const full = prefix ? `${prefix}.${name}` : name;
    const range = p.minimum === undefined ? "" : p.maximum === Number.MAX_SAFE_INTEGER ? ` (≥ ${p.minimum})` : ` (${p.minimum}–${p.maximum})`;
    out.push([full, typeOf(p), required.has(name) ? "yes" : "", `${(p.description as string | undefined) ?? ""}${range}`]);
    const inner = p.type === "array" ? (p.items as JsonSchema) : p;
    if (inner?.properties) fieldRows(inner, p.type === "array" ? `${full}[]` : full, out);
    if (Array.isArray(inner?.oneOf)) for (const alt of inner.oneOf as JsonSchema[]) if (alt.properties) fieldRows(alt, p.type === "array" ? `${full}[]` : full, out);
  }
  return out;
}

function fieldsTable(s: JsonSchema): string {
  const rows = fieldRows(s, "", []);
  const head = typeof s.description === "string" ? `<p>${esc(s.description)}</p>` : "";
  if (!rows.length) return `${head}<p><code>${esc(typeOf(s))}</code></p>`;
  return `${head}<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>${rows
    .map(([n, t, r, d]) => `<tr><td><code>${esc(n)}</code></td><td><code>${esc(t)}</code></td><td>${r}</td><td>${esc(d)}</td></tr>`)
    .join("")}</table>`;
}

const CSS = `body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;margin:0;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0}h2{font-size:17px;margin:28px 0 6px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:16px 0}
.m{display:inline-block;min-width:44px;text-align:center;border-radius:4px;color:#fff;font-weight:600;font-size:12px;padding:1px 6px;margin-right:8px}
.GET{background:#2f7d32}.POST{background:#1f5fa8}h3{font-size:15px;margin:0 0 6px}h4{font-size:13px;margin:12px 0 4px;color:#444}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border:1px solid #e2e2e2;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
code,pre{background:#f3f3f3;border-radius:3px}pre{padding:8px;overflow-x:auto;font-size:12px}.muted{color:#666;font-size:12px}nav a{margin-right:12px}`;

/** /docs: the OpenAPI document as a page, walked from the same registered routes. */
export function openApiHtml(routes: readonly DocumentedRoute[], auth: boolean): string {
  const ops = operations(routes);
  const tags = [...new Set(ops.map((r) => r.doc.tag))];
  const sections = tags.map((tag) => {
    const html = ops.filter((r) => r.doc.tag === tag).map(({ method, url, schema, doc }) => {
      const needsKey = doc.auth && auth;
      const curl = schema.body
        ? `curl -s http://localhost:8080${url} -H 'Content-Type: application/json'${needsKey ? ' -H "Authorization: Bearer $KEY"' : ""} -d '${JSON.stringify(doc.example ?? {})}'`
        : `curl -s http://localhost:8080${url.replace("/*", "/DIR/report.html")}`;
      const errs = errorStatuses({ method, url, schema, doc })
        .map((s) => `<tr><td>${s}</td><td>${esc(codesFor(s).join(", "))}</td><td>${esc(STATUS_TEXT[s] ?? "")}</td></tr>`)
        .join("");
      const ok = schema.response?.[200];
      return `<section id="${esc(method + url)}"><h3><span class="m ${method}">${method}</span><code>${esc(url)}</code> — ${esc(doc.summary)}</h3>
<p>${esc(doc.description)}</p>${needsKey ? `<p class="muted">Needs <code>Authorization: Bearer KEY</code>.</p>` : ""}
${schema.body ? `<h4>Request body (application/json)</h4>${fieldsTable(schema.body as JsonSchema)}` : ""}
<h4>Response 200 (${esc(ok ? "application/json" : (doc.mediaType ?? "application/octet-stream"))})</h4>${ok ? fieldsTable(ok as JsonSchema) : ""}
<h4>Errors <span class="muted">(body: {error, error_type, details?})</span></h4><table><tr><th>status</th><th>error_type</th><th>when</th></tr>${errs}</table>
<h4>Example</h4><pre>${esc(curl)}</pre></section>`;
    });
    return `<h2 id="${esc(tag)}">${esc(tag)}</h2>${html.join("\n")}`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>esci serve — API</title><style>${CSS}</style></head>
<body><main><h1>esci serve — HTTP API</h1><p class="muted">esci ${esc(VERSION)} · OpenAPI 3.1 JSON: <a href="/docs/openapi.json">/docs/openapi.json</a> · web UI: <a href="/">/</a></p>
<nav>${tags.map((t) => `<a href="#${esc(t)}">${esc(t)}</a>`).join("")}</nav>
${sections.join("\n")}</main></body></html>`;
}

/** /docs and /docs/openapi.json, built once from `routes()` (read at the first request, once every route is registered). */
export function docsRoutes(routes: () => readonly DocumentedRoute[], auth: boolean): ApiRoute[] {
  let json: string | undefined;
  let html: string | undefined;
  return [
    apiRoute({
      method: "GET",
      url: "/docs/openapi.json",
      tag: "docs",
      summary: "The OpenAPI 3.1 description",
      description: "This API as an OpenAPI 3.1 document.",
      auth: false,
      response: { mediaType: "application/json" },
      async handler(_req, reply) {
        reply.type("application/json; charset=utf-8");
        return (json ??= JSON.stringify(openApiDocument(routes(), auth), null, 2));
      },
    }),
    apiRoute({
      method: "GET",
      url: "/docs",
      tag: "docs",
      summary: "This page",
      description: "The OpenAPI description as a readable page.",
      auth: false,
      response: { mediaType: "text/html" },
      async handler(_req, reply) {
        reply.type("text/html; charset=utf-8");
        reply.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
        return (html ??= openApiHtml(routes(), auth));
      },
    }),
  ];
}
