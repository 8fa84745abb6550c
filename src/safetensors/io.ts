/**
 * The few positioned-I/O loops the reader and writer share.
 *
 * `fs.readSync`/`fs.writeSync` may move fewer bytes than asked (large requests, signals, a file
 * shrinking under us), so each call sits in a loop; a read that returns 0 bytes before the range
 * is full means the file is shorter than it was when its header was validated, which is reported
 * as CORRUPT_FILE rather than handed back as a short buffer. System errors become EsciErrors that
 * name the file.
 */

import { readSync, writeSync } from "node:fs";
import { EsciError } from "../errors/index.js";
import { corrupt } from "./header.js";

// Linux moves at most ~2 GiB per read/write call; asking for 1 GiB at a time keeps every call valid.
const MAX_IO = 1 << 30;

/** Fills `target` from `fd` at `position`; `what` names the part being read for messages. */
export function readFully(fd: number, target: Uint8Array, position: number, file: string, what: string, tensor?: string): void {
  let done = 0;
  while (done < target.length) {
    let n: number;
    try {
      n = readSync(fd, target, done, Math.min(target.length - done, MAX_IO), position + done);
    } catch (e) {
      throw ioError(file, e, tensor);
    }
    if (n === 0) {
      throw corrupt(
        file,
        `ends at byte ${position + done} while reading ${what} (bytes ${position}..${position + target.length}); it was truncated, possibly after being opened`,
        tensor,
      );
    }
    done += n;
  }
}

export function writeFully(fd: number, source: Uint8Array, file: string, tensor?: string): void {
  let done = 0;
  while (done < source.length) {
    try {
      done += writeSync(fd, source, done, Math.min(source.length - done, MAX_IO));
    } catch (e) {
      throw ioError(file, e, tensor);
    }
  }
}

/** A system error from fs as an EsciError naming the file: missing paths are NOT_FOUND. */
export function ioError(file: string, e: unknown, tensor?: string): EsciError {
  if (e instanceof EsciError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = e instanceof Error ? e.message : String(e);
  const details = tensor === undefined ? { file } : { file, tensor };
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new EsciError("NOT_FOUND", `${file} does not exist (${why})`, details, { cause: e });
  }
  if (code === "EISDIR") return new EsciError("NOT_FOUND", `${file} is a directory, not a safetensors file`, details, { cause: e });
  const about = tensor === undefined ? "" : ` (tensor ${JSON.stringify(tensor)})`;
  return new EsciError("INTERNAL", `I/O error on ${file}${about}: ${why}`, details, { cause: e });
}
