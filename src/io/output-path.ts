/**
 * The one check every command runs on a path it is about to write, before any model loads or any
 * row is scored: a bad output path is an INVALID_ARGUMENT naming the path and what would fix it,
 * never a data loss or an EISDIR stack trace at the end of a long run.
 *
 * Refused: the output being one of the inputs (same real path, which sees through symlinks, or the
 * same device and inode, which sees through hard links) — `--output x.csv` with `--input x.csv`
 * would otherwise replace the input with predictions; an existing directory where a file is
 * expected, or an existing non-directory where a directory is expected; a target that is neither
 * (a FIFO, a device); a parent path that runs through a file; and a place this process cannot
 * write (no write permission, read-only filesystem). Missing parents are fine: writers create them.
 *
 * `label` is how the caller names the destination in messages (the CLI passes its flag, e.g.
 * "--output"); details carry `{ path, problem }` for callers that word errors themselves.
 */
import { constants, type Stats } from "node:fs";
import { access, realpath, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { EsciError } from "../errors/index.js";

export interface OutputPathOptions {
  /** "file" (default): the command writes one file there; "directory": it writes files inside. */
  kind?: "file" | "directory";
  /** Paths the same command reads (input files or directories, a base model…); undefined entries are ignored. */
  inputs?: readonly (string | undefined)[];
  /** The destination's name in messages (e.g. "--output"). */
  label?: string;
}

/** stat, or undefined when nothing is there; EACCES/EPERM (a directory on the way we may not search) → "denied". */
async function statOrUndefined(path: string): Promise<Stats | "denied" | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // ENOTDIR: a component of the path is a file; found by the parent walk below.
    if (code === "ENOTDIR") return undefined;
    if (code === "EACCES" || code === "EPERM") return "denied";
    throw e;
  }
}

export async function checkOutputPath(path: string, options: OutputPathOptions = {}): Promise<void> {
  const kind = options.kind ?? "file";
  const label = options.label ? `${options.label} ` : "";
  const fail = (problem: string, fix: string): never => {
    throw new EsciError("INVALID_ARGUMENT", `${label}${path}: ${problem}; ${fix}`, { path, problem });
  };
  if (path.trim() === "") fail("empty path", "give a file or directory to write");

  const found = await statOrUndefined(path);
  if (found === "denied") fail("cannot be reached (permission denied on a directory on the way)", "choose a writable place");
  const target = found === "denied" ? undefined : found;
  if (target) {
    for (const input of options.inputs ?? []) {
      if (input === undefined) continue;
      const st = await statOrUndefined(input);
      if (!st || st === "denied") continue;
      const sameInode = st.dev === target.dev && st.ino === target.ino;
      const sameReal = (await realpath(input).catch(() => resolve(input))) === (await realpath(path).catch(() => resolve(path)));
      if (sameInode || sameReal) {
        const how = resolve(input) === resolve(path) ? "" : sameReal ? " (through a symbolic link)" : " (a hard link to it)";
        fail(`is the input ${input}${how}, which writing would replace`, "write to another path");
      }
    }
    if (kind === "file" && target.isDirectory()) fail("is a directory", "give a file path (e.g. a name inside that directory)");
    if (kind === "directory" && !target.isDirectory()) fail("exists and is not a directory", "give a directory path (new or existing)");
    if (kind === "file" && !target.isFile()) fail("is not a regular file", "give a regular file path");
  }

  // The nearest existing ancestor must be a directory we may create entries in.
  let dir = target?.isDirectory() && kind === "directory" ? path : dirname(resolve(path));
  for (;;) {
    const st = await statOrUndefined(dir);
    if (st === "denied") fail(`cannot be reached (permission denied on ${dir})`, "choose a writable place");
    else if (st) {
      if (!st.isDirectory()) fail(`its parent ${dir} is a file, not a directory`, "choose a path whose parent is a directory");
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`cannot write in ${dir} (${code === "EROFS" ? "read-only filesystem" : "permission denied"})`, "choose a writable place");
  }
}
