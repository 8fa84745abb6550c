/**
 * Any error a request can raise → its HTTP status, headers and body, through ERROR_TABLE (the one
 * code → status table the CLI's exit codes come from too).
 *
 * Fastify's own request errors are first given an esci code: a body that is not JSON (or not
 * `application/json`) is MALFORMED (400), a body over the size limit TOO_LARGE (413), a schema
 * failure INVALID_INPUT (422, as text-embeddings-inference answers validation errors). Anything
 * that is not an EsciError is INTERNAL (500) and its message is not shown to the client.
 *
 * Options are worded as this API names them (errors/index.ts): where a lower layer's message names
 * an API option (`rerankCandidates`), the body names the request's JSON field (`rerank_candidates`),
 * or, for a part of the server's own setup (its bi-encoder, its models), the `esci serve` flag
 * that sets it; `details.option(s)` become `details.field(s)` likewise.
 *
 * Errors on a connection before any request exists (Node's 'clientError': a request that did not
 * arrive in time, headers too large, bytes that are not HTTP) are answered here too, in the same
 * body shape, as a raw HTTP/1.1 response after which the connection closes.
 */
import { STATUS_CODES } from "node:http";
import { ERROR_TABLE, EsciError, isEsciError, wordOptions, type ErrorCode, type NamedOption } from "../errors/index.js";
import type { ServerTimeouts } from "./limits.js";
import type { ErrorBody } from "./api.js";

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: unknown[];
  validationContext?: string;
}

/** An EsciError for anything thrown while answering a request. `bodyLimit` names the size limit. */
export function toEsciError(e: unknown, bodyLimit?: number): EsciError {
  if (isEsciError(e)) return e;
  const f = (e ?? {}) as FastifyLikeError;
  if (f.validation) return new EsciError("INVALID_INPUT", `invalid request: ${f.message}`);
  switch (f.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new EsciError("MALFORMED", `the request body is not valid JSON: ${f.message}`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new EsciError("MALFORMED", `unsupported Content-Type: send the body as JSON with Content-Type: application/json`);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new EsciError("TOO_LARGE", `the request body is larger than the server's limit of ${bodyLimit ?? "?"} bytes (--max-body)`, { max_body_bytes: bodyLimit });
  }
  if (e instanceof SyntaxError && f.statusCode === 400) return new EsciError("MALFORMED", `the request body is not valid JSON: ${f.message}`);
  const status = f.statusCode ?? 500;
  const code: ErrorCode = status === 404 ? "NOT_FOUND" : status === 413 ? "TOO_LARGE" : status === 400 || status === 415 ? "MALFORMED" : status < 500 ? "INVALID_INPUT" : "INTERNAL";
  return new EsciError(code, code === "INTERNAL" ? "internal error" : f.message, undefined, { cause: e });
}

/** API options that are the server's setup, not request fields: the `esci serve` flag that sets each. */
const SETUP_FLAGS: Readonly<Record<string, string>> = {
  scorer: "--model",
  secondScorer: "--second-rerank-model",
  embedder: "--embed-model",
  labels: "--labels",
  revision: "--revision",
};

/** An API option's name in a request body: the snake_case JSON field (rerankCandidates → rerank_candidates). */
export function jsonField(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** An option as an answer words it: `field`, `"field": value`, or the serve flag of a setup option. */
function wordForHttp({ option, value }: NamedOption): string {
  if (Object.hasOwn(SETUP_FLAGS, option)) return SETUP_FLAGS[option];
  return value === undefined ? `\`${jsonField(option)}\`` : `${JSON.stringify(jsonField(option))}: ${JSON.stringify(value)}`;
}

/**
 * `details` as the answer words them: `option` becomes `field` (a request field) or `setting` (a
 * serve flag); `options` becomes `fields` and `settings` likewise.
 */
function httpDetails(details: Record<string, unknown>): Record<string, unknown> {
  const { option, options, ...out } = details;
  const isSetup = (o: string) => Object.hasOwn(SETUP_FLAGS, o);
  if (typeof option === "string") out[isSetup(option) ? "setting" : "field"] = isSetup(option) ? SETUP_FLAGS[option] : jsonField(option);
  const named = Array.isArray(options) ? options.filter((o): o is string => typeof o === "string") : [];
  if (named.some((o) => !isSetup(o))) out.fields = named.filter((o) => !isSetup(o)).map(jsonField);
  if (named.some(isSetup)) out.settings = named.filter(isSetup).map((o) => SETUP_FLAGS[o]);
  return out;
}

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

export function toHttpError(e: EsciError): HttpError {
  const headers: Record<string, string> = {};
  const retry = e.details?.retry_after_s;
  if (typeof retry === "number") headers["retry-after"] = String(retry);
  if (e.code === "UNAUTHORIZED") headers["www-authenticate"] = 'Bearer realm="esci"';
  const body: ErrorBody = { error: wordOptions(e, wordForHttp), error_type: e.code };
  if (e.details && Object.keys(e.details).length) body.details = httpDetails(e.details);
  return { status: ERROR_TABLE[e.code].httpStatus, headers, body };
}

/**
 * The raw response to a connection-level error (Node's 'clientError' event), or undefined when
 * the socket is gone (a reset needs no answer). Header overflow keeps HTTP's own 431, the status
 * meant for it, with the TOO_LARGE body.
 */
export function clientErrorResponse(err: { code?: string }, timeouts: ServerTimeouts): string | undefined {
  if (err.code === "ECONNRESET") return undefined;
  let e: EsciError;
  let status: number | undefined;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    e = new EsciError(
      "TIMEOUT",
      `the request did not arrive in time: headers must arrive within ${timeouts.headersMs / 1000} s of connecting (--header-timeout), the whole request within ${timeouts.requestMs / 1000} s (--body-timeout)`,
      { header_timeout_s: timeouts.headersMs / 1000, body_timeout_s: timeouts.requestMs / 1000 },
    );
  } else if (err.code === "HPE_HEADER_OVERFLOW") {
    e = new EsciError("TOO_LARGE", "the request's headers are larger than the server accepts (16 KiB)", { limit: "max_header_size" });
    status = 431;
  } else {
    e = new EsciError("MALFORMED", `the request is not valid HTTP/1.1 (${err.code ?? "parse error"})`);
  }
  const h = toHttpError(e);
  status ??= h.status;
  const body = JSON.stringify(h.body);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
