/**
 * The on-disk cache of built ONNX models, keyed by what determines the graph: the weights'
 * content (sha256), config.json, the build options and the builder version. A cache hit skips
 * graph building entirely; changing any of those makes a new entry instead of reusing a stale one.
 *
 * Location: $ESCI_CACHE, else $XDG_CACHE_HOME/esci, else ~/.cache/esci.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { writeFileAtomicSync } from "../io/atomic.js";
import { MODEL_FILE } from "./export.js";

/** Bump when the graph builders change what they emit, so old cache entries are not reused. */
export const BUILDER_VERSION = "4";

export function cacheRoot(): string {
  if (process.env.ESCI_CACHE) return process.env.ESCI_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "esci");
}

/**
 * sha256 of a file's content. Hugging Face cache blobs of LFS files are already named by their
 * sha256, so those are taken from the name; other files are hashed once and the digest remembered
 * by (path, size, mtime, inode).
 */
export function fileDigest(path: string): string {
  const real = realpathSync(path);
  const name = basename(real);
  if (/^[0-9a-f]{64}$/.test(name) && basename(dirname(real)) === "blobs") return name;
  const st = statSync(real);
  const memoKey = createHash("sha256").update(`${real}\0${st.size}\0${st.mtimeMs}\0${st.ino}`).digest("hex");
  const memoDir = join(cacheRoot(), "digests");
  const memo = join(memoDir, memoKey);
  if (existsSync(memo)) return readFileSync(memo, "utf8").trim();
  const h = createHash("sha256");
  const fd = openSync(real, "r");
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const digest = h.digest("hex");
  mkdirSync(memoDir, { recursive: true });
  writeFileAtomicSync(memo, digest);
  return digest;
}

/** The cache directory for a build described by `parts` (weights digests, config, options…). */
export function builtModelDir(parts: Record<string, unknown>): string {
  const key = createHash("sha256").update(JSON.stringify({ builder: BUILDER_VERSION, ...parts })).digest("hex").slice(0, 32);
  return join(cacheRoot(), "onnx", key);
}

export function isBuilt(dir: string): boolean {
  return existsSync(join(dir, MODEL_FILE));
}
