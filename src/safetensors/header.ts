/**
 * Parsing and validation of a safetensors header — pure functions over bytes, no I/O.
 *
 * A header comes from a file we did not write (the hub, a user's disk), so every number in it is
 * checked before it is used to size an allocation or position a read: the header length against
 * the file size and a 100 MB cap (huggingface/safetensors' MAX_HEADER_SIZE, 100_000_000), each
 * tensor's byte range against its dtype × shape and against the data region, and the ranges
 * against each other. Like huggingface/safetensors (`Metadata::validate`) we require the ranges,
 * sorted by offset, to tile the data region exactly from 0 to its end: a gap or an overlap means
 * the file was not written by a safetensors writer, and both are reported as CORRUPT_FILE naming
 * the file and the tensor(s) at fault.
 */

import { EsciError } from "../errors/index.js";
import { DTYPES, isDtype, type Dtype } from "./dtypes.js";
import type { TensorInfo } from "./types.js";

/** huggingface/safetensors refuses headers longer than this many bytes; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface ParsedHeader {
  /** Tensors in file (offset) order. */
  tensors: Map<string, TensorInfo>;
  /** The `__metadata__` string map; empty when the header has none. */
  metadata: Record<string, string>;
}

export function corrupt(file: string, problem: string, tensor?: string): EsciError {
  const where = tensor === undefined ? "" : `tensor ${show(tensor)} `;
  return new EsciError(
    "CORRUPT_FILE",
    `safetensors file ${file}: ${where}${problem}; the file is damaged or not a safetensors file (download or export it again)`,
    tensor === undefined ? { file } : { file, tensor },
  );
}

/** A value for an error message: quoted, and cut short so a hostile 50 MB string stays out of logs. */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === "string") s = JSON.stringify(value.length > 200 ? value.slice(0, 200) : value);
  else if (typeof value === "number" || typeof value === "boolean" || value === null) s = String(value);
  else if (Array.isArray(value)) s = `an array of ${value.length}`;
  else if (value === undefined) s = "missing";
  else s = typeof value === "object" ? "an object" : `a ${typeof value}`;
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Checks the u64 at the start of the file and returns it as a number. Called before any header
 * byte is read, so a length of 2^60 is refused without allocating anything.
 */
export function checkHeaderLength(n: bigint, fileSize: number, file: string): number {
  if (n < 2n) throw corrupt(file, `header length ${n} is too small to hold a JSON object`);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (n > BigInt(fileSize - 8)) {
    throw corrupt(file, `header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  }
  return Number(n);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Validates the header bytes (everything between the length prefix and the data) of a file of
 * `fileSize` bytes and returns its tensors with absolute offsets.
 */
export function parseHeader(bytes: Uint8Array, fileSize: number, file: string): ParsedHeader {
  const dataStart = 8 + bytes.length;
  const dataSize = fileSize - dataStart;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw corrupt(file, "header is not valid UTF-8");
  }
  // safetensors >= 0.4 requires the JSON to start at the first byte (padding goes at the end).
  if (text[0] !== "{") throw corrupt(file, 'header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, `header is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  if (!isObject(json)) throw corrupt(file, "header is not a JSON object");

  let metadata: Record<string, string> = {};
  const ranges: Array<{ name: string; begin: number; end: number; dtype: Dtype; shape: number[] }> = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(entry, file);
      continue;
    }
    if (!isObject(entry)) throw corrupt(file, `entry is ${show(entry)}, not an object with dtype, shape and data_offsets`, name);
    for (const field of ["dtype", "shape", "data_offsets"]) {
      if (!Object.hasOwn(entry, field)) throw corrupt(file, `has no "${field}" field`, name);
    }
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) throw corrupt(file, `has unknown dtype ${show(dtype)}`, name);
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw corrupt(file, `has shape ${show(shape)}; expected an array of non-negative integers`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1])) {
      throw corrupt(file, `has data_offsets ${show(offsets)}; expected [begin, end] as non-negative integers`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw corrupt(file, `has data_offsets [${begin}, ${end}] with begin after end`, name);
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER) throw corrupt(file, `has shape ${show(shape)} whose element count overflows`, name);
    }
    const byteLength = count * DTYPES.get(dtype)!.size;
    if (byteLength !== end - begin) {
      throw corrupt(
        file,
        `has ${dtype} shape [${(shape as number[]).join(", ")}] = ${byteLength} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
        name,
      );
    }
    if (end > dataSize) {
      throw corrupt(file, `has data_offsets [${begin}, ${end}] past the end of the ${dataSize}-byte data region (truncated?)`, name);
    }
    ranges.push({ name, begin, end, dtype, shape: shape as number[] });
  }

  // Tile check, as huggingface/safetensors does it: sorted by (begin, end), each range starts where
  // the previous one ended. Zero-byte tensors sit between neighbours without overlapping them.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | undefined;
  const tensors = new Map<string, TensorInfo>();
  for (const r of ranges) {
    if (r.begin < cursor) {
      throw corrupt(file, `bytes [${r.begin}, ${r.end}) overlap those of tensor ${show(previous)} (which end at ${cursor})`, r.name);
    }
    if (r.begin > cursor) {
      const after = previous === undefined ? "the start of the data region" : `tensor ${show(previous)}`;
      throw corrupt(file, `starts at data offset ${r.begin}, leaving a gap of ${r.begin - cursor} unclaimed bytes after ${after}`, r.name);
    }
    cursor = r.end;
    previous = r.name;
    tensors.set(r.name, { dtype: r.dtype, shape: r.shape, byteOffset: dataStart + r.begin, byteLength: r.end - r.begin });
  }
  if (cursor !== dataSize) {
    if (previous === undefined) throw corrupt(file, `has ${dataSize} bytes of data but no tensors in its header`);
    throw corrupt(file, `is the last tensor but ends at data offset ${cursor}, leaving ${dataSize - cursor} unclaimed bytes before the end of the file`, previous);
  }
  return { tensors, metadata };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  // huggingface/safetensors reads `__metadata__` as Option<HashMap<String, String>>: null is "none".
  if (value === null) return {};
  if (!isObject(value)) throw corrupt(file, `__metadata__ is ${show(value)}, not an object of strings`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw corrupt(file, `__metadata__ value for ${show(key)} is ${show(v)}, not a string`);
  }
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}
