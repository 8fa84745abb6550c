/**
 * The one way esci puts a file or directory in place: build it under a unique temporary sibling
 * name, fsync it, rename it over the target, fsync the parent directory.
 *
 * A reader (or a crash, or `kill -9`) then sees the old target or the complete new one, never a
 * truncated file; rename(2) is atomic within one filesystem, which holds because the temporary
 * name sits next to the target. The temporary name carries the pid and random bytes, so two
 * writers of the same target (two processes, or two calls in one) never write into each other's
 * file — the last rename wins with a complete copy. The directory fsync makes the rename itself
 * survive a power loss (best effort: some platforms cannot open a directory).
 *
 * This is the only module in src/ that calls rename. Writers that stream into their temporary
 * file themselves (safetensors, ONNX export directories, checkpoints, hub downloads) take a name
 * from `tempSibling` and finish with `moveIntoPlace`. The one temporary that is not unique is the
 * resumable output's `OUT.partial` (io/resumable.ts): a later `--resume` must find it by name,
 * and the progress marker next to it says which run owns it.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** `.NAME.<pid>-<12 hex>SUFFIX` next to `path`: hidden, unique per writer, same filesystem. */
export function tempSibling(path: string, suffix = ".tmp"): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString("hex")}${suffix}`);
}

/** fsync a directory so a rename in it is durable; best effort (e.g. not possible on Windows). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not supported here; the renamed data itself was fsynced by the writer
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Rename a finished, fsynced temporary file or directory over `target`, then fsync the parent.
 * A failure leaves `tmp` where it is: the caller decides whether it is garbage or (like a
 * resumable `.partial`) still worth keeping.
 */
export function moveIntoPlaceSync(tmp: string, target: string): void {
  renameSync(tmp, target);
  syncDirectory(dirname(target));
}

/** `moveIntoPlaceSync` for async callers. */
export async function moveIntoPlace(tmp: string, target: string): Promise<void> {
  await rename(tmp, target);
  syncDirectory(dirname(target));
}

/** Replace `path` with `data` atomically (parent directories are created). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  const fh = await open(tmp, "wx");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await moveIntoPlace(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Synchronous atomic write for callers that produce the bytes themselves: `write(fd)` fills the
 * temporary file (opened exclusively), which is then fsynced and moved over `path`. The parent
 * must exist: a missing one is the caller's ENOENT, as with writeFileSync.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array | ((fd: number, tmp: string) => void)): void {
  const tmp = tempSibling(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx");
    if (typeof data === "function") data(fd, tmp);
    else writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    moveIntoPlaceSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
}
