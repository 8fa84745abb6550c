/**
 * Per-request limits. They protect the shared queue from one huge request (a thousand pairs of
 * megabyte texts would hold every other client up) and answer TOO_LARGE (413) with the limit's
 * value and the flag that sets it, so a client knows what to split.
 */
import { EsciError } from "../errors/index.js";

export interface RequestLimits {
  /** Most pairs (or texts to embed) in one request (--max-pairs). */
  maxPairs: number;
  /** Most characters in one text: a query, a product, a document (--max-chars). */
  maxChars: number;
  /** Most bytes in a request body (--max-body). */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxPairs: 1000, maxChars: 20_000, maxBodyBytes: 16 * 1024 * 1024 };

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
