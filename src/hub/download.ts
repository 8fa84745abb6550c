/**
 * Fetching one file into `blobs/<etag>` so that nothing unverified is ever under that name.
 *
 * Bytes stream into a temporary file next to the blob (`.<etag>.<pid>-<random>.incomplete`, a
 * unique name from io/atomic.ts, so concurrent downloaders never share one) while a sha256 is computed on the fly when the etag is
 * an LFS sha256. When the transfer breaks — socket reset, stall past the timeout, a body shorter
 * than announced, 429/5xx — it is retried with exponential backoff, resuming with
 * `Range: bytes=<have>-` (a server that ignores the range and answers 200 restarts the file and the
 * hash). Only once the size matches `X-Linked-Size`/`Content-Length` and the hash matches the etag
 * is the file renamed onto the blob name; rename is atomic, so a reader sees the whole blob or none.
 * On final failure the temporary file is deleted and a NETWORK (or CORRUPT_FILE) error names the
 * file. huggingface_hub checks the size the same way ("Consistency check failed"); the hash check
 * is esci's addition, cheap while streaming.
 *
 * Concurrent calls in one process for the same blob share one transfer (progress is reported to
 * the call that started it); across processes each downloads on its own and the last rename wins
 * with identical content, so no lock file is needed.
 */
import { createHash, type Hash } from "node:crypto";
import { mkdir, open, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { EsciError } from "../errors/index.js";
import { moveIntoPlace, tempSibling } from "../io/atomic.js";
import { hubRequest, isRetryable, networkError, statusError, type HubClient, type RequestSubject } from "./http.js";

export interface DownloadProgress {
  /** Repo-relative path of the file, e.g. "1_Pooling/config.json". */
  file: string;
  /** Bytes received so far (may go back to 0 if a retry has to restart). */
  loaded: number;
  total?: number;
}

export interface RetryPolicy {
  /** Tries in all, first one included. */
  attempts: number;
  /** Wait before the first retry; doubles each time, capped at 8 s. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500 };

export interface BlobDownload {
  subject: Required<RequestSubject>;
  url: string;
  blobPath: string;
  etag: string;
  size?: number;
  retry: RetryPolicy;
  onProgress?: (p: DownloadProgress) => void;
}

const SHA256 = /^[0-9a-f]{64}$/;

const inflight = new Map<string, Promise<void>>();

/** Downloads `job.url` into `job.blobPath`, verified; joins a transfer of the same blob already running here. */
export function downloadBlob(client: HubClient, job: BlobDownload): Promise<void> {
  const running = inflight.get(job.blobPath);
  if (running) return running;
  const p = downloadVerified(client, job).finally(() => inflight.delete(job.blobPath));
  inflight.set(job.blobPath, p);
  return p;
}

/** State of one partial file across attempts: what is on disk and the hash of exactly those bytes. */
interface Partial {
  handle: FileHandle;
  written: number;
  hash?: Hash;
}

async function downloadVerified(client: HubClient, job: BlobDownload): Promise<void> {
  await mkdir(dirname(job.blobPath), { recursive: true });
  const tmp = tempSibling(job.blobPath, ".incomplete");
  const verifySha = SHA256.test(job.etag);
  const partial: Partial = { handle: await open(tmp, "w"), written: 0, hash: verifySha ? createHash("sha256") : undefined };
  let done = false;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await fetchInto(client, job, partial);
        break;
      } catch (e) {
        if (!isRetryable(e) || attempt >= job.retry.attempts) throw finalError(e, job, attempt);
        await sleep(Math.min(8000, job.retry.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
    if (partial.hash) {
      const actual = partial.hash.digest("hex");
      if (actual !== job.etag) {
        throw new EsciError(
          "CORRUPT_FILE",
          `${job.subject.file} of ${job.subject.repoId} downloaded with sha256 ${actual}, but the hub announced ${job.etag}; ` +
            `the download was discarded. Retry later; if it persists, the server at HF_ENDPOINT serves a damaged copy.`,
          { ...job.subject, expected: job.etag, actual },
        );
      }
    }
    await partial.handle.sync();
    await partial.handle.close();
    await moveIntoPlace(tmp, job.blobPath);
    done = true;
  } finally {
    if (!done) {
      await partial.handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}

function finalError(e: unknown, job: BlobDownload, attempts: number): unknown {
  if (!(e instanceof EsciError) || e.code !== "NETWORK") return e;
  return new EsciError(
    "NETWORK",
    `Downloading ${job.subject.file} of ${job.subject.repoId} failed after ${attempts} attempt(s): ${e.message}`,
    { ...e.details, attempts, retryable: false },
    { cause: e },
  );
}

/** One attempt: GET (resuming from what is on disk) and append until the body ends. */
async function fetchInto(client: HubClient, job: BlobDownload, partial: Partial): Promise<void> {
  const { subject, size } = job;
  if (size !== undefined && partial.written === size) return; // a previous attempt got everything
  const headers: Record<string, string> = { "Accept-Encoding": "identity" };
  if (partial.written > 0) headers.Range = `bytes=${partial.written}-`;

  // An idle timeout rather than a total one: a large file may take minutes, a stalled one must not.
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), client.timeoutMs);
  const bump = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), client.timeoutMs);
  };
  try {
    const { response, url } = await hubRequest(client, job.url, { method: "GET", headers, signal: idle.signal }, subject);
    if (response.status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
      if (Number(start) !== partial.written) {
        // Bytes from elsewhere than asked for cannot be appended: start over on the next attempt.
        await response.body?.cancel().catch(() => undefined);
        await restart(partial);
        throw new EsciError("NETWORK", `the server resumed ${subject.file} at the wrong offset`, { ...subject, url, retryable: true });
      }
    } else if (response.ok) {
      if (partial.written > 0) await restart(partial); // the server ignored Range: start over
    } else {
      await response.body?.cancel().catch(() => undefined);
      throw statusError(response, subject, client, url);
    }
    const total = size ?? announcedTotal(response, partial.written);
    job.onProgress?.({ file: subject.file, loaded: partial.written, total });
    if (!response.body) throw shortBody(job, partial.written, url);
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        bump();
        if (total !== undefined && partial.written + chunk.byteLength > total) {
          throw new EsciError(
            "CORRUPT_FILE",
            `${subject.file} of ${subject.repoId} is longer than the ${total} bytes the hub announced; the download was discarded.`,
            { ...subject, expectedSize: total, url },
          );
        }
        await partial.handle.write(chunk, 0, chunk.byteLength, partial.written);
        partial.hash?.update(chunk);
        partial.written += chunk.byteLength;
        job.onProgress?.({ file: subject.file, loaded: partial.written, total });
      }
    } catch (e) {
      throw networkError(e, client, subject, url);
    }
    if (total !== undefined && partial.written !== total) throw shortBody(job, partial.written, url, total);
  } finally {
    clearTimeout(timer);
  }
}

function announcedTotal(res: Response, have: number): number | undefined {
  const len = res.headers.get("content-length");
  if (len === null || !/^\d+$/.test(len)) return undefined;
  return (res.status === 206 ? have : 0) + Number(len);
}

async function restart(partial: Partial): Promise<void> {
  await partial.handle.truncate(0);
  partial.written = 0;
  if (partial.hash) partial.hash = createHash("sha256");
}

function shortBody(job: BlobDownload, got: number, url: string, total?: number): EsciError {
  return new EsciError(
    "NETWORK",
    `the connection ended after ${got}${total !== undefined ? ` of ${total}` : ""} bytes of ${job.subject.file}`,
    { ...job.subject, url, received: got, expectedSize: total, retryable: true },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
