/**
 * `resolveModel`: turn a `--model` value into a directory of model files, the way transformers'
 * `from_pretrained` does — local directory → Hugging Face cache → hub download — and return paths
 * only; parsing config, tokenizer and weights is other modules' work.
 *
 * For a repo id it follows `snapshot_download`: ask the hub which commit the revision points at
 * and which files it has, keep those matching the allow patterns, and make sure each one is in
 * `snapshots/<commit>/`. A file already linked there costs nothing; a file whose blob (same etag)
 * is cached under another commit is only linked; the rest are downloaded (download.ts). The ref
 * (`refs/main`) is written last, so a half-finished run never redirects a branch to an incomplete
 * snapshot. The second resolve of the same model therefore makes one listing request and no file
 * request, and Python tools find and reuse everything esci fetched, and the other way round.
 *
 * Offline (`HF_HUB_OFFLINE=1` or `offline: true`) never opens a connection: the snapshot comes from
 * `refs/<revision>` or the commit sha, or the call fails with OFFLINE saying how to fill the cache.
 * Online, when the hub cannot be reached but a snapshot for the revision is cached, that snapshot
 * is used and `onWarning` says it may be stale — the same fallback huggingface_hub makes.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { EsciError } from "../errors/index.js";
import { assertSafeRepoPath, findSnapshot, hfDownloadCommand, isCompleteFile, linkBlob, repoCache, writeRef, type RepoCache } from "./cache.js";
import { DEFAULT_RETRY, downloadBlob, type DownloadProgress, type RetryPolicy } from "./download.js";
import { fetchFileMetadata, fetchRevisionInfo, type HubClient, type RevisionInfo } from "./http.js";
import { COMMIT_SHA, parseModelRef } from "./model-id.js";
import { DEFAULT_ALLOW_PATTERNS, filterByPatterns } from "./patterns.js";
import { defaultCacheDir, defaultEndpoint, offlineFromEnv, tokenFromEnv, type Env } from "./settings.js";

export interface ResolveModelOptions {
  /** Branch, tag or full commit sha; default "main". */
  revision?: string;
  /** fnmatch patterns of repo files to fetch; default DEFAULT_ALLOW_PATTERNS (a BERT/RoBERTa checkpoint). */
  allowPatterns?: readonly string[];
  /** Never use the network; default from HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Default from HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME, as huggingface_hub. */
  cacheDir?: string;
  /** Default from HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default from HF_TOKEN, else the file at HF_TOKEN_PATH / $HF_HOME/token. */
  token?: string;
  /** Bytes received per file, for a progress bar (see `downloadProgressTo`). */
  onProgress?: (p: DownloadProgress) => void;
  /** Told when a stale cached snapshot is used because the hub could not be reached. */
  onWarning?: (message: string) => void;
  /** Environment to read the HF_* variables from; default process.env. */
  env?: Env;
  fetchImpl?: typeof fetch;
  /** Per-request timeout, and how long a download may stall; default HF_HUB_DOWNLOAD_TIMEOUT or 10 s. */
  timeoutMs?: number;
  /** Retries of a broken download; default 5 tries from 500 ms backoff. */
  retry?: Partial<RetryPolicy>;
  /** Files fetched at once; default 4. */
  concurrency?: number;
}

export interface ResolvedModel {
  /** The directory holding the model files (a snapshot folder for a repo id). */
  dir: string;
  source: "local" | "cache" | "hub";
  repoId?: string;
  /** The revision asked for (e.g. "main"). */
  revision?: string;
  /** The commit sha the snapshot belongs to. */
  commit?: string;
  /** Every file of the repo at `commit`, when the hub was asked (not offline, not a stale fallback). */
  repoFiles?: string[];
  /** Repo-relative paths downloaded by this call ([] when everything was cached). */
  downloaded: string[];
  /** True when resolved without the hub (offline mode or network fallback): missing files cannot be fetched. */
  offline?: boolean;
}

/** Finds (and if needed downloads) a model's files; see the module comment for the order. */
export async function resolveModel(idOrPath: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const env = options.env ?? process.env;
  const ref = parseModelRef(idOrPath, env);
  if (ref.kind === "local") return { dir: ref.dir, source: "local", downloaded: [] };

  const repoId = ref.repoId;
  const revision = options.revision ?? "main";
  validateRevision(revision);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir(env));
  const cache = repoCache(cacheDir, repoId);

  if (options.offline ?? offlineFromEnv(env)) {
    const snap = await findSnapshot(cache, revision);
    if (!snap) throw notCachedOffline(repoId, revision, cache);
    return { dir: snap.dir, source: "cache", repoId, revision, commit: snap.commit, downloaded: [], offline: true };
  }

  const client: HubClient = {
    endpoint: (options.endpoint ?? defaultEndpoint(env)).replace(/\/+$/, ""),
    token: options.token ?? tokenFromEnv(env),
    fetchImpl: options.fetchImpl ?? fetch,
    timeoutMs: options.timeoutMs ?? timeoutFromEnv(env),
  };

  let info: RevisionInfo;
  try {
    info = await fetchRevisionInfo(client, repoId, revision);
  } catch (e) {
    const snap = e instanceof EsciError && e.code === "NETWORK" ? await findSnapshot(cache, revision) : undefined;
    if (!snap) throw e;
    options.onWarning?.(
      `${(e as Error).message}. Using the cached snapshot ${snap.commit} of ${repoId}@${revision}, which may be out of date.`,
    );
    return { dir: snap.dir, source: "cache", repoId, revision, commit: snap.commit, downloaded: [], offline: true };
  }

  const wanted = filterByPatterns(info.files, options.allowPatterns ?? DEFAULT_ALLOW_PATTERNS);
  for (const f of wanted) assertSafeRepoPath(f, repoId);
  const dir = join(cache.snapshots, info.commit);
  await mkdir(dir, { recursive: true });
  const missing: string[] = [];
  for (const f of wanted) if (!(await isCompleteFile(join(dir, ...f.split("/"))))) missing.push(f);

  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const downloaded: string[] = [];
  await forEachLimited(missing, options.concurrency ?? 4, async (file) => {
    const subject = { repoId, revision, file };
    const meta = await fetchFileMetadata(client, subject, info.commit);
    const blobPath = join(cache.blobs, meta.etag);
    if (!(await isCompleteFile(blobPath, meta.size))) {
      await downloadBlob(client, {
        subject,
        url: meta.downloadUrl,
        blobPath,
        etag: meta.etag,
        size: meta.size,
        retry,
        onProgress: options.onProgress,
      });
      downloaded.push(file);
    }
    await linkBlob(dir, file, blobPath);
  });
  if (revision !== info.commit) await writeRef(cache, revision, info.commit);

  return {
    dir,
    source: downloaded.length > 0 ? "hub" : "cache",
    repoId,
    revision,
    commit: info.commit,
    repoFiles: info.files,
    downloaded: wanted.filter((f) => downloaded.includes(f)),
  };
}

function validateRevision(revision: string): void {
  const parts = revision.split("/");
  if (!revision || revision.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new EsciError("INVALID_ARGUMENT", `\`revision\` ${JSON.stringify(revision)} is not a branch, tag or commit sha`, {
      revision,
      option: "revision",
      value: revision,
    });
  }
}

/** huggingface_hub's HF_HUB_DOWNLOAD_TIMEOUT (seconds), default 10. */
function timeoutFromEnv(env: Env): number {
  const s = Number(env.HF_HUB_DOWNLOAD_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 10_000;
}

function notCachedOffline(repoId: string, revision: string, cache: RepoCache): EsciError {
  const where = COMMIT_SHA.test(revision) ? join(cache.snapshots, revision) : join(cache.refs, revision);
  return new EsciError(
    "OFFLINE",
    `Offline mode (HF_HUB_OFFLINE) is on and ${repoId} at revision ${revision} is not in the Hugging Face cache ` +
      `(${where} does not exist). Run once without HF_HUB_OFFLINE=1 to download it, or ` +
      `\`${hfDownloadCommand(repoId, revision)}\`, or load the model from a local directory.`,
    { repoId, revision, cacheDir: dirname(cache.root), missing: where },
  );
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. On failure, stops starting new items, waits
 * for the running ones (so nothing keeps writing into the cache after we return) and throws the
 * first error.
 */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
