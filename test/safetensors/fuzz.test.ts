/**
 * Fuzzing the reader: thousands of seeded mutations of a valid file (truncations, header-byte bit
 * flips, arbitrary header lengths, structured JSON edits, raw text edits). Each mutant must either
 * open and read back consistently — every tensor readable, sizes matching dtype × shape, the byte
 * ranges tiling the data region — or fail with EsciError CORRUPT_FILE. Any other exception, a hang
 * (the test's timeout) or a large allocation (e.g. trusting a header length of 2^60) fails the
 * test. No case is timed: timings belong to scripts, not to a test that must not flake.
 * The seed is fixed, so a failure names a case that replays exactly.
 */

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../../src/errors/index.js";
import { DTYPES, SafetensorsFile, writeSafetensors, type TensorToWrite } from "../../src/safetensors/index.js";
import { prng, tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir("st-fuzz");
after(cleanup);

const rand = prng(0x5afe7e45);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

/** The valid file every mutant starts from: several dtypes, long names, metadata. */
function baseFile(): Buffer {
  const p = join(dir, "base.safetensors");
  const t = (name: string, dtype: TensorToWrite["dtype"], shape: number[], data: ArrayBufferView): TensorToWrite => ({ name, dtype, shape, data });
  writeSafetensors(
    p,
    [
      t("roberta.embeddings.word_embeddings.weight", "F32", [4, 6], new Float32Array(24).map((_, i) => i / 7)),
      t("roberta.embeddings.position_ids", "I64", [1, 5], new BigInt64Array([0n, 1n, 2n, 3n, 4n])),
      t("roberta.encoder.layer.0.attention.self.query.weight", "F16", [6, 6], new Uint16Array(36).map((_, i) => 0x3c00 + i)),
      t("roberta.encoder.layer.0.attention.self.query.bias", "BF16", [6], new Uint16Array(6).map((_, i) => 0x3f80 + i)),
      t("classifier.dense.weight", "F64", [2, 3], new Float64Array([1, 2, 3, 4, 5, 6])),
      t("classifier.out_proj.bias", "F32", [3], new Float32Array([0.5, -0.5, 1])),
      t("mask", "BOOL", [7], new Uint8Array([1, 0, 1, 1, 0, 0, 1])),
      t("empty", "F32", [0, 6], new Float32Array(0)),
      t("fp8", "F8_E5M2", [3], new Uint8Array([1, 2, 3])),
    ],
    { format: "pt", source: "esci fuzz base" },
  );
  return readFileSync(p);
}

const BASE = baseFile();
const HEADER_LENGTH = Number(BASE.readBigUInt64LE(0));
const HEADER_END = 8 + HEADER_LENGTH;
const BASE_JSON = BASE.subarray(8, HEADER_END).toString("utf8");
const BASE_DATA = BASE.subarray(HEADER_END);

function withPrefix(json: Buffer, data: Uint8Array, length: bigint = BigInt(json.length)): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length);
  return Buffer.concat([prefix, json, data]);
}

const WEIRD: readonly unknown[] = [0, 1, 2, 3, 6, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 60, 1e308, "2", null, true, [], {}, "F32"];
const DTYPE_STRINGS: readonly unknown[] = [...DTYPES.keys(), "F33", "", "f32", "constructor", "__proto__", "toString", 5, null, ["F32"]];

/** One structured edit of the parsed header; returns the new header text. */
function editJson(): string {
  const json = JSON.parse(BASE_JSON) as Record<string, any>;
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  const name = pick(names);
  const entry = json[name];
  switch (int(14)) {
    case 0:
      entry.dtype = pick(DTYPE_STRINGS);
      break;
    case 1:
      if (entry.shape.length) entry.shape[int(entry.shape.length)] = pick(WEIRD);
      break;
    case 2:
      if (rand() < 0.5) entry.shape.push(pick([1, 0, 2, 2 ** 40]));
      else entry.shape.pop();
      break;
    case 3: {
      const [b, e] = entry.data_offsets;
      const d = pick([-9, -8, -4, -2, -1, 1, 2, 4, 8, 2 ** 32, 2 ** 53]);
      entry.data_offsets = pick([[b + d, e + d], [b, e + d], [b + d, e], [e, b]]);
      break;
    }
    case 4:
      entry.data_offsets[int(2)] = pick(WEIRD);
      break;
    case 5:
      entry.data_offsets = pick([[0], [0, 1, 2], "0,8", null, {}]);
      break;
    case 6:
      delete entry[pick(["dtype", "shape", "data_offsets"])];
      break;
    case 7:
      delete json[name]; // leaves a gap (or trailing bytes)
      break;
    case 8:
      json[`${name}.copy`] = { ...entry, data_offsets: [...entry.data_offsets] }; // overlaps the original
      break;
    case 9: {
      json[`renamed.${name}`] = entry; // still valid
      delete json[name];
      break;
    }
    case 10: {
      const other = json[pick(names)];
      [entry.dtype, other.dtype] = [other.dtype, entry.dtype]; // valid when the sizes agree
      break;
    }
    case 11:
      entry.shape = entry.shape.length === 2 ? [entry.shape[1], entry.shape[0]] : [...entry.shape, 1]; // same product: valid
      break;
    case 12:
      json.__metadata__ = pick([null, [], "pt", 5, { format: 3 }, { format: null }, { a: "b" }, {}]);
      break;
    default:
      json[pick(["x", "__proto__", "constructor", ""])] = pick(WEIRD);
  }
  return JSON.stringify(json);
}

/** A raw character-level edit of the header text. */
function editText(): string {
  const s = BASE_JSON.trimEnd();
  const at = int(s.length + 1);
  const chars = '{}[]",:-.0123456789eE \\u\u0000\u00e9\u{1F600}';
  switch (int(3)) {
    case 0:
      return s.slice(0, at) + chars[int(chars.length)] + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(at + 1 + int(8));
    default:
      return s.slice(0, at) + chars[int(chars.length)] + s.slice(at + 1);
  }
}

function mutants(): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  const truncateUpTo = Math.min(BASE.length, 400);
  for (let n = 0; n < truncateUpTo; n++) out.push([`truncate to ${n}`, BASE.subarray(0, n)]);
  for (let i = 0; i < 200; i++) {
    const n = 400 + int(BASE.length - 400);
    out.push([`truncate to ${n}`, BASE.subarray(0, n)]);
  }
  for (let i = 0; i < 1200; i++) {
    const m = Buffer.from(BASE);
    const flips = 1 + int(4);
    for (let f = 0; f < flips; f++) m[int(HEADER_END)]! ^= 1 << int(8);
    out.push([`bit flips #${i}`, m]);
  }
  const lengths: bigint[] = [0n, 1n, 2n, 7n, 8n, 2n ** 32n, 2n ** 53n, 2n ** 60n, 2n ** 63n, 2n ** 64n - 1n, 100_000_000n, 100_000_001n];
  for (let d = -16; d <= 16; d++) lengths.push(BigInt(HEADER_LENGTH + d));
  for (let i = 0; i < 150; i++) lengths.push(BigInt(int(2 ** 32)) * BigInt(int(2 ** 32)) + BigInt(int(2 ** 32)));
  for (const len of lengths) {
    const m = Buffer.from(BASE);
    m.writeBigUInt64LE(len);
    out.push([`header length ${len}`, m]);
  }
  for (let i = 0; i < 1500; i++) {
    const text = editJson();
    const padded = rand() < 0.5 ? text.padEnd(Math.ceil(text.length / 8) * 8, " ") : text;
    const json = Buffer.from(padded, "utf8");
    const length = rand() < 0.85 ? BigInt(json.length) : BigInt(HEADER_LENGTH);
    const data = rand() < 0.85 ? BASE_DATA : BASE_DATA.subarray(0, int(BASE_DATA.length));
    out.push([`json edit #${i}`, withPrefix(json, data, length)]);
  }
  for (let i = 0; i < 600; i++) out.push([`text edit #${i}`, withPrefix(Buffer.from(editText(), "utf8"), BASE_DATA)]);
  for (let i = 0; i < 100; i++) {
    const m = Buffer.from(BASE);
    m[HEADER_END + int(BASE_DATA.length)]! ^= 1 << int(8); // data bytes: always still valid
    out.push([`data flip #${i}`, rand() < 0.5 ? m : Buffer.concat([m, Buffer.from([int(256)])])]);
  }
  return out;
}

/** Opens the mutant and checks everything it claims; true if it opened. */
function check(path: string, bytes: Buffer): boolean {
  let f: SafetensorsFile;
  try {
    f = SafetensorsFile.open(path);
  } catch (e) {
    if (e instanceof EsciError && e.code === "CORRUPT_FILE" && e.message.includes(path)) return false;
    throw e;
  }
  try {
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    let total = 0;
    for (const name of f.tensorNames()) {
      const info = f.info(name);
      const { size, float32 } = DTYPES.get(info.dtype)!;
      const count = info.shape.reduce((a, d) => a * d, 1);
      assert.equal(info.byteLength, count * size);
      assert.ok(info.byteOffset >= dataStart && info.byteOffset + info.byteLength <= bytes.length);
      assert.deepEqual(f.readRaw(name), bytes.subarray(info.byteOffset, info.byteOffset + info.byteLength));
      assert.equal(f.readTyped(name).length, count);
      if (float32 !== "none") assert.equal(f.readFloat32(name, { integers: true }).length, count);
      total += info.byteLength;
    }
    assert.equal(total, bytes.length - dataStart, "tensors tile the data region");
    return true;
  } finally {
    f.close();
  }
}

test("every mutant opens consistently or fails with CORRUPT_FILE", { timeout: 600_000 }, () => {
  const cases = mutants();
  assert.ok(cases.length > 3000, `${cases.length} cases`);
  const path = join(dir, "mutant.safetensors");
  let opened = 0;
  let peakArrayBuffers = 0;
  for (const [label, bytes] of cases) {
    writeFileSync(path, bytes);
    try {
      if (check(path, bytes)) opened++;
    } catch (e) {
      assert.fail(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
  }
  // Both outcomes must be exercised, or the mutations are not testing what they claim to.
  assert.ok(opened > 200, `${opened} mutants opened`);
  assert.ok(cases.length - opened > 2000, `${cases.length - opened} mutants rejected`);
  assert.ok(peakArrayBuffers < 64 * 2 ** 20, `array buffers peaked at ${peakArrayBuffers} bytes`);
});
