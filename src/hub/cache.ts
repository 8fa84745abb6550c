/**
 * The Hugging Face cache layout, shared byte for byte with Python's huggingface_hub:
 *
 *   <cache>/models--{org}--{name}/
 *     blobs/<etag>                    file contents, named by git blob sha1 or LFS sha256
 *     snapshots/<commit>/<path>       relative symlinks to ../../blobs/<etag> (deeper for nested paths)
 *     refs/<revision>                 the commit sha a branch or tag pointed at, no newline
 *
 * Every write here is atomic (write or link under a unique temporary name in the same folder, then
 * rename), so readers — another esci process, a Python tool — never see a half-written blob, link
 * or ref, and concurrent writers of the same entry simply replace identical content. Blobs are
 * only ever renamed into place after their size and hash were checked (see download.ts), which is
 * why an existing blob of the right size is trusted without re-hashing.
 */
import { copyFile, mkdir, rm, stat, symlink, readFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { EsciError } from "../errors/index.js";
import { moveIntoPlace, tempSibling, writeFileAtomic } from "../io/atomic.js";
import { COMMIT_SHA } from "./model-id.js";

/** huggingface_hub's `repo_folder_name`: "models--" + repo id with "/" replaced by "--". */
export function repoFolderName(repoId: string): string {
  return ["models", ...repoId.split("/")].join("--");
}

/**
 * The `huggingface-cli download` command that puts `repoId` (or one `file` of it) at `revision`
 * into the cache, for messages. Its `--revision` is huggingface-cli's own flag, not esci's: this
 * is the one string below cli/ that may name a flag (see test/package/no-flags-below-cli.test.ts).
 */
export function hfDownloadCommand(repoId: string, revision?: string, file?: string): string {
  const rev = revision && revision !== "main" ? ` --revision ${revision}` : "";
  return `huggingface-cli download ${repoId}${file ? ` ${file}` : ""}${rev}`;
}

export interface RepoCache {
  /** `<cache>/models--org--name` */
  root: string;
  blobs: string;
  snapshots: string;
  refs: string;
}

export function repoCache(cacheDir: string, repoId: string): RepoCache {
  const root = join(cacheDir, repoFolderName(repoId));
  return { root, blobs: join(root, "blobs"), snapshots: join(root, "snapshots"), refs: join(root, "refs") };
}

/**
 * Rejects repo file names that would escape the snapshot folder (`..`, absolute paths): they come
 * from the network and become paths on disk.
 */
export function assertSafeRepoPath(file: string, repoId: string): void {
  const parts = file.split("/");
  if (!file || file.startsWith("/") || file.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new EsciError("NETWORK", `The hub listed an unsafe file name ${JSON.stringify(file)} in ${repoId}; refusing to write it`, {
      repoId,
      file,
    });
  }
}

/** The commit a ref points at, or undefined when the ref was never recorded. */
export async function readRef(cache: RepoCache, revision: string): Promise<string | undefined> {
  try {
    const sha = (await readFile(join(cache.refs, revision), "utf8")).trim();
    return sha || undefined;
  } catch {
    return undefined;
  }
}

/** Records `refs/<revision>` = commit (atomically; `refs/pr/1` style names become subfolders). */
export async function writeRef(cache: RepoCache, revision: string, commit: string): Promise<void> {
  const path = join(cache.refs, revision);
  if ((await readRef(cache, revision)) === commit) return;
  await writeFileAtomic(path, commit);
}

/**
 * The cached snapshot for a revision without asking the network: a commit sha names its folder
 * directly, a branch or tag goes through `refs/`. Undefined when the snapshot folder is absent.
 */
export async function findSnapshot(
  cache: RepoCache,
  revision: string,
): Promise<{ commit: string; dir: string } | undefined> {
  const commit = COMMIT_SHA.test(revision) ? revision : await readRef(cache, revision);
  if (!commit) return undefined;
  const dir = join(cache.snapshots, commit);
  const s = await stat(dir).catch(() => undefined);
  return s?.isDirectory() ? { commit, dir } : undefined;
}

/** True when `path` (following symlinks) is a regular file, of `size` bytes when a size is given. */
export async function isCompleteFile(path: string, size?: number): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  return Boolean(s?.isFile() && (size === undefined || s.size === size));
}

/**
 * Makes `snapshots/<commit>/<file>` a relative symlink to the blob, as huggingface_hub does
 * (`os.path.relpath(blob, dirname(pointer))`), so the cache survives being moved or mounted
 * elsewhere. Where symlinks are not permitted (some Windows setups) the blob is copied instead,
 * which is huggingface_hub's fallback too.
 */
export async function linkBlob(snapshotDir: string, file: string, blobPath: string): Promise<string> {
  const pointer = join(snapshotDir, ...file.split("/"));
  await mkdir(dirname(pointer), { recursive: true });
  const target = relative(dirname(pointer), blobPath).split(sep).join("/");
  const tmp = tempSibling(pointer, ".tmp");
  try {
    await symlink(target, tmp);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") throw e;
    await copyFile(blobPath, tmp);
  }
  try {
    await moveIntoPlace(tmp, pointer);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return pointer;
}
