/**
 * Per-request limits. They protect the shared queue from one huge request (a thousand pairs of
 * megabyte texts would hold every other client up) and answer TOO_LARGE (413) with the limit's
 * value and the flag that sets it, so a client knows what to split. The connection timeouts
 * protect the sockets: a client that sends half a request and stalls gets 408 and is cut off.
 */
import { EsciError } from "../errors/index.js";
import { DEFAULT_MAX_CHARS } from "../tokenizer/index.js";

export interface RequestLimits {
  /** Most pairs (or texts to embed) in one request (--max-pairs). */
  maxPairs: number;
  /** Most characters in one text: a query, a product, a document (--max-chars). */
  maxChars: number;
  /** Most bytes in a request body (--max-body). */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxPairs: 1000, maxChars: DEFAULT_MAX_CHARS, maxBodyBytes: 16 * 1024 * 1024 };

/**
 * How long a connection may take, in milliseconds. Node's http server enforces them (Node's
 * `headersTimeout`, `requestTimeout` and `keepAliveTimeout`): the first two answer 408 and close
 * the connection, the idle one closes a kept-alive connection that sends no next request. Time
 * spent computing an answer counts against none of them.
 */
export interface ServerTimeouts {
  /** From connecting to the end of the request's headers (--header-timeout). */
  headersMs: number;
  /** From connecting to the end of the request's body; at least `headersMs` (--body-timeout). */
  requestMs: number;
  /** A kept-alive connection waiting for its next request (--idle-timeout). */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, idleMs: 5_000 };

/** `t` checked: positive, headers within the whole request (Node refuses the opposite). */
export function checkTimeouts(t: ServerTimeouts): ServerTimeouts {
  for (const [k, v] of Object.entries(t)) {
    if (!(Number.isFinite(v) && v > 0)) throw new EsciError("INVALID_ARGUMENT", `timeout ${k} must be a positive number of milliseconds, got ${v}`);
  }
  if (t.headersMs > t.requestMs) {
    throw new EsciError("INVALID_ARGUMENT", `the header timeout (${t.headersMs / 1000} s) must not exceed the body timeout (${t.requestMs / 1000} s), which covers headers and body`);
  }
  return t;
}

/** `n` items of `what` (e.g. "texts") in one request: at most `maxPairs`, and at least one. */
export function checkCount(n: number, what: string, limits: RequestLimits): void {
  if (n === 0) throw new EsciError("INVALID_INPUT", `${what} is empty: send at least one`);
  if (n > limits.maxPairs) {
    throw new EsciError("TOO_LARGE", `${n} ${what} in one request; this server takes at most ${limits.maxPairs} per request (--max-pairs): split the request`, {
      limit: "max_pairs",
      max_pairs: limits.maxPairs,
      got: n,
    });
  }
}

/** One text named `where` (e.g. `texts[3]`): at most `maxChars` characters. */
export function checkText(text: string, where: string, limits: RequestLimits): void {
  if (text.length > limits.maxChars) {
    throw new EsciError("TOO_LARGE", `${where} is ${text.length} characters long; this server takes at most ${limits.maxChars} characters per text (--max-chars)`, {
      limit: "max_chars",
      max_chars: limits.maxChars,
      got: text.length,
      field: where,
    });
  }
}

export function checkTexts(texts: readonly string[], field: string, limits: RequestLimits): void {
  checkCount(texts.length, field, limits);
  texts.forEach((t, i) => checkText(t, `${field}[${i}]`, limits));
}
