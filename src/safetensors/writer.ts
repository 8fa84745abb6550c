/**
 * Writes a safetensors file laid out exactly as huggingface/safetensors' `serialize_to_file`
 * (what Python's `save_file` calls) lays it out:
 *
 * - tensors sorted by descending dtype alignment (the crate's `Dtype` enum order, see dtypes.ts),
 *   then by name in UTF-8 byte order, so each tensor's data starts aligned to its element size;
 * - a compact JSON header, `__metadata__` first (only when metadata is given), then each tensor as
 *   {"dtype", "shape", "data_offsets"} in that key order;
 * - the header padded with spaces to a multiple of 8 bytes, so the data region starts 8-aligned;
 * - the data, tensor after tensor, with no gaps.
 *
 * Data may be given lazily as a thunk, called once when its turn to be written comes and dropped
 * right after, so a trainer can export a 300 MB checkpoint holding one converted tensor at a time.
 * The file is written to a temporary sibling, fsynced and renamed over `path`: readers see the old
 * file or the complete new one, never a torn checkpoint, even if the process dies mid-write.
 */

import { EsciError } from "../errors/index.js";
import { writeFileAtomicSync } from "../io/atomic.js";
import { DTYPES, isDtype, type Dtype } from "./dtypes.js";
import { show } from "./header.js";
import { ioError, writeFully } from "./io.js";

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
  /** Little-endian element bytes (F16/BF16 as Uint16Array bit patterns), or a thunk producing them. */
  data: ArrayBufferView | (() => ArrayBufferView);
}

interface Planned {
  tensor: TensorToWrite;
  byteLength: number;
  begin: number;
}

function invalid(file: string, problem: string, tensor?: string): EsciError {
  const where = tensor === undefined ? "" : `tensor ${show(tensor)}: `;
  return new EsciError("INVALID_ARGUMENT", `cannot write ${file}: ${where}${problem}`, tensor === undefined ? { file } : { file, tensor });
}

/** Checks names, dtypes and shapes and assigns data offsets in huggingface/safetensors' order. */
function plan(file: string, tensors: readonly TensorToWrite[]): Planned[] {
  const seen = new Set<string>();
  const rows = tensors.map((tensor) => {
    const { name, dtype, shape, data } = tensor;
    if (typeof name !== "string") throw invalid(file, `tensor name ${show(name)} is not a string`);
    if (name === "__metadata__") throw invalid(file, "the name __metadata__ is reserved for the metadata map", name);
    if (seen.has(name)) throw invalid(file, "appears twice", name);
    seen.add(name);
    if (!isDtype(dtype)) throw invalid(file, `unknown dtype ${show(dtype)}`, name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalid(file, `shape ${show(shape)} is not an array of non-negative integers`, name);
    }
    const byteLength = shape.reduce((a, d) => a * d, 1) * DTYPES.get(dtype)!.size;
    if (!Number.isSafeInteger(byteLength)) throw invalid(file, `shape [${shape.join(", ")}] is too large`, name);
    if (typeof data !== "function") checkData(file, tensor, data, byteLength);
    return { tensor, byteLength, key: Buffer.from(name, "utf8"), rank: DTYPES.get(dtype)!.rank, begin: 0 };
  });
  rows.sort((a, b) => b.rank - a.rank || Buffer.compare(a.key, b.key));
  let offset = 0;
  for (const r of rows) {
    r.begin = offset;
    offset += r.byteLength;
  }
  return rows;
}

function checkData(file: string, tensor: TensorToWrite, data: unknown, byteLength: number): Uint8Array {
  if (!ArrayBuffer.isView(data)) throw invalid(file, `data is ${show(data)}, not a typed array or Buffer`, tensor.name);
  if (data.byteLength !== byteLength) {
    throw invalid(
      file,
      `data has ${data.byteLength} bytes but ${tensor.dtype} shape [${tensor.shape.join(", ")}] needs ${byteLength}`,
      tensor.name,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The 8-byte length prefix and the space-padded JSON header. */
function encodeHeader(file: string, planned: readonly Planned[], metadata: Record<string, string> | undefined): Buffer {
  // Built by hand rather than with JSON.stringify(object): JS objects list integer-like keys
  // ("0", "12") first, which would break the sorted order huggingface/safetensors writes.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const items = Object.entries(metadata).map(([k, v]) => {
      if (typeof v !== "string") throw invalid(file, `metadata value for ${show(k)} is ${show(v)}; safetensors metadata values must be strings`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${items.join(",")}}`);
  }
  for (const p of planned) {
    const { name, dtype, shape } = p.tensor;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(",")}],"data_offsets":[${p.begin},${p.begin + p.byteLength}]}`);
  }
  const json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20); // 0x20 = space
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/**
 * Writes `tensors` (and optional string `metadata`, e.g. {format: "pt"}) to `path` atomically.
 * INVALID_ARGUMENT naming the file and tensor when a name, dtype, shape or data length is wrong.
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  const planned = plan(path, tensors);
  const header = encodeHeader(path, planned, metadata);
  try {
    writeFileAtomicSync(path, (fd, temp) => {
      writeFully(fd, header, temp);
      for (const p of planned) {
        const { data } = p.tensor;
        const bytes = checkData(path, p.tensor, typeof data === "function" ? data() : data, p.byteLength);
        writeFully(fd, bytes, temp, p.tensor.name);
      }
    });
  } catch (e) {
    // System errors (ENOSPC, EACCES…) get the file named; a failing data thunk's own error passes through.
    throw e instanceof Error && "syscall" in e ? ioError(path, e) : e;
  }
}
