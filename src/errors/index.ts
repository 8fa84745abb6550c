/**
 * esci's typed errors and the one table that maps them to CLI exit codes and HTTP statuses.
 *
 * Everything below the CLI and the server throws an `EsciError` with a `code`; only `cli/` turns a
 * code into a process exit status and only `server/` turns it into an HTTP status, both by reading
 * `ERROR_TABLE` so the two never disagree. Messages name the file, row, field or tensor at fault
 * and, where there is one, what would fix it.
 *
 * Options are worded at the edges. Below `cli/` and `server/` a message names an option of the
 * TypeScript API, in backticks — `rerankCandidates`, or with a value, `onError: "skip"` (the value
 * as JSON) — and lists it in `details.option` (the option at fault) or `details.options` (others
 * the message names, e.g. the one that would fix it). `wordOptions` rewrites exactly those: `cli/`
 * as flags (`--rerank-candidates`, `--on-error skip`), `server/` as JSON fields
 * (`rerank_candidates`), each through its one table. No `--flag` is written below them.
 */

export type ErrorCode =
  | "INVALID_ARGUMENT" // a flag, option or request field has a bad value
  | "INVALID_INPUT" // a data file or request body is malformed (row/column named)
  | "NOT_FOUND" // a model, file, product or route does not exist
  | "UNAUTHORIZED" // the hub or the server refused our credentials
  | "OFFLINE" // HF_HUB_OFFLINE=1 and the file is not cached
  | "NETWORK" // a download failed after retries
  | "CORRUPT_FILE" // a checkpoint/safetensors/tokenizer file is truncated or inconsistent
  | "UNSUPPORTED" // a model_type, architecture, dtype or option esci does not implement
  | "TOO_LARGE" // a request exceeds a configured limit
  | "OVERLOADED" // the batching queue is full
  | "CONFLICT" // e.g. a store made by another embedding model
  | "MALFORMED" // a request body that does not parse at all (bad JSON, wrong content type)
  | "UNAVAILABLE" // the service is starting, draining for shutdown, or lacks the part a route needs
  | "JOB_FAILED" // shards of a queued job failed on every retry (the rows are named)
  | "CANCELLED" // the caller went away (a client disconnected) before the work ran
  | "TIMEOUT" // a client took too long to send its request (the server's header/body timeouts)
  | "INTERNAL";

export interface ErrorTableRow {
  exitCode: number;
  httpStatus: number;
}

/** The one mapping from error codes to exit codes (cli/) and HTTP statuses (server/). */
export const ERROR_TABLE: Record<ErrorCode, ErrorTableRow> = {
  INVALID_ARGUMENT: { exitCode: 2, httpStatus: 422 },
  INVALID_INPUT: { exitCode: 3, httpStatus: 422 },
  NOT_FOUND: { exitCode: 4, httpStatus: 404 },
  UNAUTHORIZED: { exitCode: 5, httpStatus: 401 },
  OFFLINE: { exitCode: 6, httpStatus: 503 },
  NETWORK: { exitCode: 7, httpStatus: 502 },
  CORRUPT_FILE: { exitCode: 8, httpStatus: 500 },
  UNSUPPORTED: { exitCode: 9, httpStatus: 422 },
  TOO_LARGE: { exitCode: 10, httpStatus: 413 },
  OVERLOADED: { exitCode: 11, httpStatus: 429 },
  CONFLICT: { exitCode: 12, httpStatus: 409 },
  MALFORMED: { exitCode: 13, httpStatus: 400 },
  UNAVAILABLE: { exitCode: 14, httpStatus: 503 },
  JOB_FAILED: { exitCode: 15, httpStatus: 500 },
  // 499: nginx's "client closed request"; no client reads it, but logs and metrics do.
  CANCELLED: { exitCode: 130, httpStatus: 499 },
  TIMEOUT: { exitCode: 16, httpStatus: 408 },
  INTERNAL: { exitCode: 1, httpStatus: 500 },
};

export class EsciError extends Error {
  readonly code: ErrorCode;
  /**
   * Optional structured details for reports and HTTP bodies: `path`/`file`, `row`, `column`,
   * `tensor`, `value`, `limit`…, and `option`/`options` (the API options the message names).
   */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EsciError";
    this.code = code;
    this.details = details;
  }
}

export function isEsciError(e: unknown): e is EsciError {
  return e instanceof EsciError;
}

/** An option as a message names it: `name`, or `name: value`. */
export interface NamedOption {
  /** The API's option name (camelCase, as in the TypeScript options). */
  option: string;
  /** The value after the colon, parsed as JSON (a bare word stays a string); absent for a bare name. */
  value?: unknown;
}

/** The options an error's message names: `details.option`, then `details.options`. */
export function optionsOf(e: EsciError): string[] {
  const d = e.details ?? {};
  const out = typeof d.option === "string" ? [d.option] : [];
  if (Array.isArray(d.options)) for (const o of d.options) if (typeof o === "string" && !out.includes(o)) out.push(o);
  return out;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

const NAMED_OPTION = /`([A-Za-z][A-Za-z0-9]*)(?::\s*([^`]*))?`/g;

/**
 * `e.message` with each backticked option that `optionsOf(e)` lists worded by `word` (cli/: as a
 * flag, server/: as a JSON field), backticks included. Other backticked text, and an option that
 * `word` returns undefined for, stay as they are.
 */
export function wordOptions(e: EsciError, word: (o: NamedOption) => string | undefined): string {
  const named = new Set(optionsOf(e));
  if (!named.size) return e.message;
  return e.message.replace(NAMED_OPTION, (whole, option: string, raw: string | undefined) => {
    if (!named.has(option)) return whole;
    return word(raw === undefined ? { option } : { option, value: parseValue(raw.trim()) }) ?? whole;
  });
}
