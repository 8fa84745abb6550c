/**
 * The two hub requests esci makes, in huggingface_hub's protocol, and the one table that turns
 * hub answers into EsciErrors.
 *
 * - `GET {endpoint}/api/models/{repo}/revision/{rev}` → `{ sha, siblings: [{ rfilename }] }`: the
 *   commit a branch/tag points at and the files it has (what `snapshot_download` lists).
 * - `HEAD {endpoint}/{repo}/resolve/{commit}/{file}` → the file's metadata, as `get_hf_file_metadata`
 *   reads it: `X-Repo-Commit`, the etag (`X-Linked-Etag` for LFS files, whose answer is a redirect
 *   to a CDN, else `ETag`; quotes and `W/` stripped) and the size (`X-Linked-Size`, else
 *   `Content-Length`, asked with `Accept-Encoding: identity` so it is the stored size).
 *
 * Redirects are followed by hand rather than by fetch: the LFS redirect's own headers carry the
 * etag we name the blob after, and the token is only sent to the endpoint's origin, never to the
 * CDN a redirect points at (as `requests` drops Authorization when the host changes).
 *
 * Errors: the hub's `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`,
 * `GatedRepo`) refines the status. 401/403 → UNAUTHORIZED (the hub answers 401 for private, gated
 * and missing repos alike when no token is sent, so the message covers all three), 404 →
 * NOT_FOUND, and connection failures, timeouts, 429 and 5xx → NETWORK marked `retryable`.
 */
import { EsciError } from "../errors/index.js";

export interface HubClient {
  /** e.g. https://huggingface.co, no trailing slash. */
  endpoint: string;
  token?: string;
  fetchImpl: typeof fetch;
  /** Abort a request (or a stalled download) after this long without progress. */
  timeoutMs: number;
}

/** What a failing request was about, so errors can name it. */
export interface RequestSubject {
  repoId: string;
  revision: string;
  file?: string;
}

const USER_AGENT = `esci/0.1; node/${process.versions.node}`;
const MAX_REDIRECTS = 10;

/** huggingface_hub quotes the revision with `safe=""` (so `refs/pr/1` is one path segment). */
export function revisionUrl(endpoint: string, repoId: string, revision: string): string {
  return `${endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
}

/** `HUGGINGFACE_CO_URL_TEMPLATE`: `{endpoint}/{repo_id}/resolve/{revision}/{filename}`. */
export function resolveUrl(endpoint: string, repoId: string, revision: string, file: string): string {
  const path = file.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** `W/"abc"` → `abc`, as huggingface_hub's `_normalize_etag`. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1") || undefined;
}

export function isRetryable(e: unknown): boolean {
  return e instanceof EsciError && e.code === "NETWORK" && e.details?.retryable === true;
}

function describe(subject: RequestSubject): string {
  const what = subject.file ? `${subject.file} of ${subject.repoId}` : subject.repoId;
  return `${what} (revision ${subject.revision})`;
}

/** Wraps a fetch/stream failure (connection refused, reset, timeout) as a retryable NETWORK error. */
export function networkError(e: unknown, client: HubClient, subject: RequestSubject, url: string): EsciError {
  if (e instanceof EsciError) return e;
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const timeout = err?.name === "TimeoutError" || err?.name === "AbortError";
  const cut = err?.message === "terminated" || err?.cause?.code === "UND_ERR_SOCKET" || err?.cause?.code === "ECONNRESET";
  const reason = timeout
    ? `no data for ${client.timeoutMs / 1000} s (HF_HUB_DOWNLOAD_TIMEOUT)`
    : cut
      ? "the connection was closed mid-transfer"
      : [err?.message, err?.cause?.code ?? err?.cause?.message].filter(Boolean).join(": ") || String(e);
  return new EsciError(
    "NETWORK",
    `Could not fetch ${describe(subject)} from ${new URL(url).origin}: ${reason}. ` +
      `Check your connection and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache`,
    { ...subject, url, retryable: true },
    { cause: e },
  );
}

/** The EsciError for a non-2xx hub answer. */
export function statusError(res: Response, subject: RequestSubject, client: HubClient, url: string): EsciError {
  const code = res.headers.get("x-error-code");
  const hubMessage = res.headers.get("x-error-message");
  const details = { ...subject, url, status: res.status, errorCode: code ?? undefined };
  const suffix = hubMessage ? ` Hub says: ${hubMessage}` : "";
  const { repoId, revision, file } = subject;
  if (res.status === 401 || res.status === 403) {
    let message: string;
    if (code === "GatedRepo") {
      message =
        `${repoId} is a gated repo (HTTP ${res.status}): accept its conditions at ${client.endpoint}/${repoId} ` +
        `while logged in, then set HF_TOKEN to a read token of that account.`;
    } else if (client.token) {
      message =
        `The hub refused the token for ${describe(subject)} (HTTP ${res.status}): HF_TOKEN is invalid or expired, ` +
        `or its account cannot read this private or gated repo.`;
    } else {
      message =
        `${client.endpoint} refused access to ${describe(subject)} (HTTP ${res.status}): the repo is private or gated, ` +
        `or does not exist. Check the repo id; for a private or gated repo set HF_TOKEN (or run \`huggingface-cli login\`).`;
    }
    return new EsciError("UNAUTHORIZED", message + suffix, details);
  }
  if (res.status === 404) {
    let message: string;
    if (code === "RevisionNotFound") {
      message = `Revision "${revision}" does not exist in ${repoId} on ${client.endpoint}: check \`revision\` (a branch, tag or full commit sha).`;
    } else if (code === "EntryNotFound" && file) {
      message = `${file} does not exist in ${repoId} at revision ${revision} on ${client.endpoint}.`;
    } else {
      message = `${repoId} (revision ${revision}) was not found on ${client.endpoint}: check the repo id and \`revision\`.`;
    }
    return new EsciError("NOT_FOUND", message + suffix, code === "EntryNotFound" && file ? details : { ...details, options: ["revision"] });
  }
  const retryable = res.status === 429 || res.status >= 500;
  return new EsciError(
    "NETWORK",
    `The hub answered HTTP ${res.status} for ${describe(subject)} at ${url}.${suffix}`,
    { ...details, retryable },
  );
}

export interface HubRequest {
  method: "GET" | "HEAD";
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Stop at (and return) the first redirect this accepts instead of following it. */
  stopAtRedirect?: (res: Response) => boolean;
}

export interface HubResponse {
  response: Response;
  /** The URL that gave `response`. */
  url: string;
  /** The first `X-Repo-Commit` seen along the redirect chain. */
  repoCommit?: string;
}

/** One request with redirects followed by hand; throws NETWORK on connection failure. */
export async function hubRequest(client: HubClient, url: string, req: HubRequest, subject: RequestSubject): Promise<HubResponse> {
  const endpointOrigin = new URL(client.endpoint).origin;
  let current = url;
  let repoCommit: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "User-Agent": USER_AGENT, ...req.headers };
    if (client.token && new URL(current).origin === endpointOrigin) headers.Authorization = `Bearer ${client.token}`;
    let res: Response;
    try {
      res = await client.fetchImpl(current, {
        method: req.method,
        headers,
        redirect: "manual",
        signal: req.signal ?? AbortSignal.timeout(client.timeoutMs),
      });
    } catch (e) {
      throw networkError(e, client, subject, current);
    }
    repoCommit ??= res.headers.get("x-repo-commit") ?? undefined;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location && !req.stopAtRedirect?.(res)) {
      await res.body?.cancel().catch(() => undefined);
      current = new URL(location, current).toString();
      continue;
    }
    return { response: res, url: current, repoCommit };
  }
  throw new EsciError("NETWORK", `Too many redirects fetching ${describe(subject)} from ${url}`, { ...subject, url });
}

export interface RevisionInfo {
  /** The commit sha the revision points at. */
  commit: string;
  /** Every file of the repo at that commit (`siblings[].rfilename`). */
  files: string[];
}

/** `GET /api/models/{repo}/revision/{rev}`: the commit and file list of a revision. */
export async function fetchRevisionInfo(client: HubClient, repoId: string, revision: string): Promise<RevisionInfo> {
  const subject = { repoId, revision };
  const url = revisionUrl(client.endpoint, repoId, revision);
  const { response } = await hubRequest(client, url, { method: "GET", headers: { Accept: "application/json" } }, subject);
  if (!response.ok) throw statusError(response, subject, client, url);
  let body: { sha?: unknown; siblings?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch (e) {
    throw networkError(e, client, subject, url);
  }
  const siblings = Array.isArray(body.siblings) ? body.siblings : undefined;
  if (typeof body.sha !== "string" || !body.sha || !siblings) {
    throw new EsciError(
      "NETWORK",
      `${url} did not answer with a repo listing ({sha, siblings}); is HF_ENDPOINT (${client.endpoint}) a Hugging Face hub?`,
      { ...subject, url },
    );
  }
  const files = siblings
    .map((s) => (s as { rfilename?: unknown }).rfilename)
    .filter((f): f is string => typeof f === "string");
  return { commit: body.sha, files };
}

export interface FileMetadata {
  /** Blob name in the cache: the LFS sha256 or the git blob sha1. */
  etag: string;
  /** Bytes as stored on the hub, when announced. */
  size?: number;
  commit?: string;
  /** Where to GET the bytes (the CDN URL for LFS files). */
  downloadUrl: string;
}

function parseSize(v: string | null): number | undefined {
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

/** `HEAD …/resolve/{commit}/{file}`, stopping at the LFS redirect that carries `X-Linked-Etag`. */
export async function fetchFileMetadata(client: HubClient, subject: Required<RequestSubject>, commit: string): Promise<FileMetadata> {
  const url = resolveUrl(client.endpoint, subject.repoId, commit, subject.file);
  const { response, url: at, repoCommit } = await hubRequest(
    client,
    url,
    { method: "HEAD", headers: { "Accept-Encoding": "identity" }, stopAtRedirect: (r) => r.headers.has("x-linked-etag") },
    subject,
  );
  const h = response.headers;
  const redirected = response.status >= 300 && response.status < 400;
  if (!response.ok && !redirected) throw statusError(response, subject, client, at);
  const etag = normalizeEtag(h.get("x-linked-etag") ?? h.get("etag"));
  if (!etag || !/^[\w.-]+$/.test(etag)) {
    throw new EsciError(
      "NETWORK",
      `${at} gave ${etag ? `an unusable ETag ${JSON.stringify(etag)}` : "no ETag"} for ${subject.file}; ` +
        `the cache names files by it. Is HF_ENDPOINT (${client.endpoint}) a Hugging Face hub?`,
      { ...subject, url: at },
    );
  }
  const location = h.get("location");
  return {
    etag,
    size: parseSize(h.get("x-linked-size")) ?? parseSize(h.get("content-length")),
    commit: repoCommit,
    downloadUrl: redirected && location ? new URL(location, at).toString() : at,
  };
}
