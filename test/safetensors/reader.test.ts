/**
 * SafetensorsFile against hand-made files: one laid out byte for byte as Python's
 * `safetensors.torch.save_file` lays it out, and one broken file per validation rule, each of
 * which must fail with CORRUPT_FILE naming the file and, where one is at fault, the tensor.
 */

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../../src/errors/index.js";
import { SafetensorsFile, writeSafetensors } from "../../src/safetensors/index.js";
import { assertEsciError, buildFile, headerOf, tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir("st-reader");
after(cleanup);

let counter = 0;
function fileWith(bytes: Uint8Array): string {
  const p = join(dir, `f${counter++}.safetensors`);
  writeFileSync(p, bytes);
  return p;
}

/**
 * What save_file({"ids": int64 [1,2,3], "dense.weight": float32 [[1,2],[3,4]],
 * "dense.bias": float16 [0.5,-1.5]}, metadata={"format": "pt"}) writes: tensors sorted by
 * descending dtype alignment (I64, F32, F16), the 220-byte JSON padded with 4 spaces to 224 = 0xe0.
 */
const PYTHON_FILE = Buffer.concat([
  Buffer.from([0xe0, 0, 0, 0, 0, 0, 0, 0]),
  Buffer.from(
    '{"__metadata__":{"format":"pt"},' +
      '"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},' +
      '"dense.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[24,40]},' +
      '"dense.bias":{"dtype":"F16","shape":[2],"data_offsets":[40,44]}}' +
      "    ",
    "latin1",
  ),
  // ids: int64 1, 2, 3
  Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]),
  // dense.weight: float32 1.0 = 0x3f800000, 2.0 = 0x40000000, 3.0 = 0x40400000, 4.0 = 0x40800000
  Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40]),
  // dense.bias: float16 0.5 = 0x3800, -1.5 = 0xbe00
  Buffer.from([0x00, 0x38, 0x00, 0xbe]),
]);

test("reads a file laid out as Python's save_file writes it", () => {
  assert.equal(PYTHON_FILE.length, 8 + 224 + 44);
  const path = fileWith(PYTHON_FILE);
  const f = SafetensorsFile.open(path);
  try {
    assert.deepEqual(f.metadata, { format: "pt" });
    assert.deepEqual(f.tensorNames(), ["ids", "dense.weight", "dense.bias"]);
    assert.ok(f.has("dense.bias") && !f.has("dense"));
    assert.deepEqual(f.info("ids"), { dtype: "I64", shape: [3], byteOffset: 232, byteLength: 24 });
    assert.deepEqual(f.info("dense.weight"), { dtype: "F32", shape: [2, 2], byteOffset: 256, byteLength: 16 });
    assert.deepEqual(f.info("dense.bias"), { dtype: "F16", shape: [2], byteOffset: 272, byteLength: 4 });
    assert.deepEqual([...f.readFloat32("dense.weight")], [1, 2, 3, 4]);
    assert.deepEqual([...f.readFloat32("dense.bias")], [0.5, -1.5]);
    assert.deepEqual([...(f.readTyped("ids") as BigInt64Array)], [1n, 2n, 3n]);
    assert.deepEqual([...(f.readTyped("dense.bias") as Uint16Array)], [0x3800, 0xbe00]);
    assert.deepEqual([...f.readFloat32("ids", { integers: true })], [1, 2, 3]);
    assert.deepEqual(f.readRaw("dense.bias"), Buffer.from([0x00, 0x38, 0x00, 0xbe]));
    assertEsciError(() => f.readFloat32("ids"), "UNSUPPORTED", path, "ids");
    assertEsciError(() => f.readRaw("missing"), "NOT_FOUND", path, "missing");
  } finally {
    f.close();
  }
  assertEsciError(() => f.readRaw("ids"), "INVALID_ARGUMENT", path, "ids");
});

test("our writer produces the same bytes as the Python layout", () => {
  const path = join(dir, "written.safetensors");
  writeSafetensors(
    path,
    [
      { name: "dense.bias", dtype: "F16", shape: [2], data: new Uint16Array([0x3800, 0xbe00]) },
      { name: "dense.weight", dtype: "F32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      { name: "ids", dtype: "I64", shape: [3], data: new BigInt64Array([1n, 2n, 3n]) },
    ],
    { format: "pt" },
  );
  const again = SafetensorsFile.open(path);
  again.close();
  assert.deepEqual(readFileSync(path), PYTHON_FILE);
});

test("an empty file ({} padded with 6 spaces) and a header without metadata are valid", () => {
  const empty = fileWith(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]));
  const f = SafetensorsFile.open(empty);
  assert.deepEqual(f.tensorNames(), []);
  assert.deepEqual(f.metadata, {});
  f.close();
  // Zero-element tensors, a scalar (shape []), tabs/newlines as trailing padding, `__metadata__: null`.
  const header = `{"__metadata__":null,"z":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"z2":{"dtype":"I8","shape":[0],"data_offsets":[8,8]}}\n\t  `;
  const data = new Float64Array([2.5]);
  const g = SafetensorsFile.open(fileWith(buildFile(header, new Uint8Array(data.buffer))));
  assert.deepEqual(g.tensorNames(), ["z", "s", "z2"]);
  assert.deepEqual([...g.readFloat32("s")], [2.5]);
  assert.equal(g.readFloat32("z").length, 0);
  assert.equal(g.readRaw("z2").length, 0);
  g.close();
});

test("tensor names that are Object.prototype keys are ordinary names", () => {
  const header = headerOf([
    ["__proto__", "U8", [1], 0, 1],
    ["constructor", "U8", [1], 1, 2],
    ["toString", "U8", [1], 2, 3],
  ]);
  const f = SafetensorsFile.open(fileWith(buildFile(header, new Uint8Array([7, 8, 9]))));
  assert.deepEqual(f.tensorNames(), ["__proto__", "constructor", "toString"]);
  assert.deepEqual([...f.readRaw("__proto__")], [7]);
  assert.equal(f.has("hasOwnProperty"), false);
  f.close();
  const meta = `{"__metadata__":{"__proto__":"x"}}`;
  const g = SafetensorsFile.open(fileWith(buildFile(meta)));
  assert.equal(Object.getPrototypeOf(g.metadata), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(g.metadata, "__proto__")?.value, "x");
  g.close();
});

// A valid two-tensor file to break in various ways: a = F32 [2] at [0, 8), b = F16 [2] at [8, 12).
const DATA = new Uint8Array(12).map((_, i) => i);
const GOOD: Array<[string, string, number[], number, number]> = [
  ["a", "F32", [2], 0, 8],
  ["b", "F16", [2], 8, 12],
];

test("the unbroken base file opens", () => {
  const f = SafetensorsFile.open(fileWith(buildFile(headerOf(GOOD), DATA)));
  assert.deepEqual(f.tensorNames(), ["a", "b"]);
  f.close();
});

test("broken headers fail with CORRUPT_FILE naming the file", () => {
  const cases: Array<[string, Buffer]> = [
    ["shorter than 8 bytes", Buffer.from([1, 2, 3])],
    ["header length 0", buildFile("", DATA, 0n)],
    ["header length 1", buildFile("{", DATA, 1n)],
    ["header length 2^60", buildFile(headerOf(GOOD), DATA, 2n ** 60n)],
    ["header length 2^64-1", buildFile(headerOf(GOOD), DATA, 2n ** 64n - 1n)],
    ["header length just over the 100 MB cap", buildFile(headerOf(GOOD), DATA, 100_000_001n)],
    ["header length past the end of the file", buildFile(headerOf(GOOD), DATA, BigInt(headerOf(GOOD).length + 13))],
    ["not JSON", buildFile('{"a": {', DATA)],
    ["JSON with trailing garbage", buildFile(headerOf(GOOD) + "}", DATA)],
    ["a JSON array", buildFile("[1,2]", DATA)],
    ["leading whitespace", buildFile(" " + headerOf(GOOD), DATA)],
    ["invalid UTF-8", buildFile(Buffer.from(headerOf(GOOD)).fill(0xff, 2, 3), DATA)], // the name "a" → byte 0xff
    ["data after the last tensor", buildFile(headerOf(GOOD), new Uint8Array(13))],
    ["metadata value not a string", buildFile(headerOf(GOOD, { format: "pt", epoch: 3 }), DATA)],
    ["metadata an array", buildFile(`{"__metadata__":["pt"]}`)],
    ["metadata a string", buildFile(`{"__metadata__":"pt"}`)],
  ];
  for (const [label, bytes] of cases) {
    const path = fileWith(bytes);
    const err = assertEsciError(() => SafetensorsFile.open(path), "CORRUPT_FILE", path);
    assert.ok(err.message.length < 600, `${label}: message too long`);
  }
});

test("broken tensor entries fail with CORRUPT_FILE naming the file and the tensor", () => {
  const cases: Array<[string, string, string, Uint8Array?]> = [
    ["unknown dtype", headerOf([["a", "F33", [2], 0, 8], GOOD[1]!]), "a"],
    ["dtype an Object.prototype key", headerOf([["a", "constructor", [2], 0, 8], GOOD[1]!]), "a"],
    ["shape/offset mismatch", headerOf([GOOD[0]!, ["b", "F16", [3], 8, 12]]), "b"],
    ["dtype size mismatch", headerOf([GOOD[0]!, ["b", "F32", [2], 8, 12]]), "b"],
    ["negative dimension", headerOf([["a", "F32", [-2], 0, 8], GOOD[1]!]), "a"],
    ["fractional dimension", headerOf([["a", "F32", [1.5], 0, 8], GOOD[1]!]), "a"],
    ["shape not an array", `{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}`, "a"],
    ["offsets of length 3", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}`, "a"],
    ["offsets as strings", `{"a":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}`, "a"],
    ["missing data_offsets", `{"a":{"dtype":"F32","shape":[2]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}`, "a"],
    ["entry not an object", `{"a":[1,2],"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}`, "a"],
    ["begin after end", headerOf([["a", "F32", [0], 8, 0], GOOD[1]!]), "a"],
    ["element count overflows", headerOf([["a", "F32", [2 ** 30, 2 ** 30, 2 ** 30, 0], 0, 0], GOOD[1]!]), "a"],
    ["offsets beyond the data region", headerOf([GOOD[0]!, ["b", "F16", [2], 12, 16]]), "b"],
    ["huge offsets", headerOf([GOOD[0]!, ["b", "F16", [2], 2 ** 52, 2 ** 52 + 4]]), "b"],
    ["unsafe integer offsets", headerOf([GOOD[0]!, ["b", "F16", [2], 2 ** 60, 2 ** 60 + 4]]), "b"],
    ["overlap", headerOf([["a", "F32", [2], 0, 8], ["b", "F32", [2], 4, 12]]), "b"],
    ["zero-size tensor inside another", headerOf([["a", "F32", [3], 0, 12], ["z", "F32", [0], 4, 4]]), "z"],
    ["gap between tensors", headerOf([["a", "F32", [1], 0, 4], ["b", "F16", [2], 8, 12]]), "b"],
    ["gap at the start", headerOf([["a", "F32", [2], 4, 12]]), "a"],
    ["unclaimed bytes at the end", headerOf([["a", "F32", [2], 0, 8]]), "a"],
    ["truncated file", headerOf(GOOD), "b", DATA.subarray(0, 10)],
  ];
  for (const [label, header, tensor, data] of cases) {
    const path = fileWith(buildFile(header, data ?? DATA));
    const err = assertEsciError(() => SafetensorsFile.open(path), "CORRUPT_FILE", path, tensor);
    assert.equal(err.details?.file, path, label);
  }
});

test("a file truncated after open is reported when the tensor is read", () => {
  const path = fileWith(buildFile(headerOf(GOOD), DATA));
  const f = SafetensorsFile.open(path);
  try {
    truncateSync(path, f.size - 2);
    assert.deepEqual([...f.readRaw("a")], [0, 1, 2, 3, 4, 5, 6, 7]);
    assertEsciError(() => f.readRaw("b"), "CORRUPT_FILE", path, "b");
    assertEsciError(() => f.readFloat32("b"), "CORRUPT_FILE", path, "b");
    truncateSync(path, 20);
    assertEsciError(() => f.readFloat32("a"), "CORRUPT_FILE", path, "a");
  } finally {
    f.close();
  }
});

test("missing files and directories are NOT_FOUND", () => {
  assertEsciError(() => SafetensorsFile.open(join(dir, "nope.safetensors")), "NOT_FOUND", join(dir, "nope.safetensors"));
  assertEsciError(() => SafetensorsFile.open(dir), "NOT_FOUND", dir);
});

test("FP8 tensors parse but refuse float32 conversion", () => {
  const header = headerOf([
    ["e4", "F8_E4M3", [2], 0, 2],
    ["e5", "F8_E5M2", [2], 2, 4],
  ]);
  const path = fileWith(buildFile(header, new Uint8Array([1, 2, 3, 4])));
  const f = SafetensorsFile.open(path);
  assert.deepEqual([...(f.readTyped("e5") as Uint8Array)], [3, 4]);
  const err = assertEsciError(() => f.readFloat32("e4", { integers: true }), "UNSUPPORTED", path, "e4");
  assert.match(err.message, /F8_E4M3/);
  f.close();
  assert.ok(err instanceof EsciError);
});
