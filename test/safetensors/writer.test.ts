/**
 * writeSafetensors: the layout huggingface/safetensors writes (checked against byte vectors from
 * that crate's own serialization tests), round trips of every dtype through the reader with
 * hand-computed float32 values, lazy data thunks, atomic replacement and argument errors.
 */

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile, f16ToF32, writeSafetensors, type TensorToWrite } from "../../src/safetensors/index.js";
import { assertEsciError, tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir("st-writer");
after(cleanup);

function headerText(bytes: Buffer): string {
  return bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8");
}

test("byte layout matches huggingface/safetensors' serialization test vectors", () => {
  const empty = join(dir, "empty.safetensors");
  writeSafetensors(empty, []);
  assert.deepEqual([...readFileSync(empty)], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);

  writeSafetensors(empty, [], { framework: "pt" });
  const withMeta = readFileSync(empty);
  assert.equal(withMeta.readBigUInt64LE(0), 40n);
  assert.equal(headerText(withMeta), '{"__metadata__":{"framework":"pt"}}     ');

  const six = new Float32Array([0, 1, 2, 3, 4, 5]);
  const p = join(dir, "attn.safetensors");
  writeSafetensors(p, [{ name: "attn.0", dtype: "F32", shape: [1, 2, 3], data: six }]);
  const a = readFileSync(p);
  assert.equal(a.readBigUInt64LE(0), 64n); // exactly 64 bytes of JSON: no padding
  assert.equal(headerText(a), '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
  assert.deepEqual(a.subarray(72), Buffer.from(six.buffer));

  writeSafetensors(p, [{ name: "attn0", dtype: "F32", shape: [1, 1, 2, 3], data: six }]);
  const b = readFileSync(p);
  assert.equal(b.readBigUInt64LE(0), 72n); // 65 bytes of JSON + 7 spaces
  assert.equal(headerText(b), '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
});

test("tensors are ordered by descending dtype alignment, then by UTF-8 name bytes", () => {
  const p = join(dir, "order.safetensors");
  const one = (name: string, dtype: TensorToWrite["dtype"], data: ArrayBufferView): TensorToWrite => ({ name, dtype, shape: [1], data });
  writeSafetensors(p, [
    one("a", "F32", new Float32Array(1)),
    one("9", "F32", new Float32Array(1)),
    one("10", "F32", new Float32Array(1)),
    one("\u{1F600}", "U8", new Uint8Array(1)), // UTF-8 F0 9F 98 80
    one("\uFF61", "U8", new Uint8Array(1)), // UTF-8 EF BD A1: first in byte order, second in UTF-16 order
    one("h", "F16", new Uint16Array(1)),
    one("d", "F64", new Float64Array(1)),
  ]);
  const f = SafetensorsFile.open(p);
  assert.deepEqual(f.tensorNames(), ["d", "10", "9", "a", "h", "\uFF61", "\u{1F600}"]);
  f.close();
  // Integer-like names stay in sorted position in the header text too (a JS object would hoist them).
  const text = headerText(readFileSync(p));
  assert.ok(text.indexOf('"d"') < text.indexOf('"10"') && text.indexOf('"10"') < text.indexOf('"9"'));
});

test("every dtype round-trips; readFloat32 gives the hand-computed values", () => {
  const p = join(dir, "all.safetensors");
  const t = (name: string, dtype: TensorToWrite["dtype"], shape: number[], data: ArrayBufferView): TensorToWrite => ({ name, dtype, shape, data });
  const tensors: TensorToWrite[] = [
    t("f64", "F64", [3], new Float64Array([1.5, -1e300, 1 / 3])),
    t("f32", "F32", [2, 2], new Float32Array([0, -0, 3.5, 1e-40])),
    // 1, -2, (1+341/1024)/4, max, smallest subnormal, largest subnormal, +inf, -inf, NaN
    t("f16", "F16", [9], new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00])),
    // 1, 3.140625, -123.5, 2^-133 (an F32 subnormal)
    t("bf16", "BF16", [4], new Uint16Array([0x3f80, 0x4049, 0xc2f7, 0x0001])),
    t("i64", "I64", [3], new BigInt64Array([-1n, 2n ** 53n, 2n ** 53n + 1n])),
    t("u64", "U64", [1], new BigUint64Array([2n ** 64n - 1n])),
    t("i32", "I32", [2], new Int32Array([-2147483648, 16777217])),
    t("u32", "U32", [1], new Uint32Array([4294967295])),
    t("i16", "I16", [2], new Int16Array([-32768, 32767])),
    t("u16", "U16", [1], new Uint16Array([65535])),
    t("i8", "I8", [2], new Int8Array([-128, 127])),
    t("u8", "U8", [2], new Uint8Array([0, 255])),
    t("bool", "BOOL", [4], new Uint8Array([0, 1, 1, 0])),
    t("fp8", "F8_E4M3", [2], new Uint8Array([0x38, 0xb8])),
  ];
  writeSafetensors(p, tensors, { format: "pt", note: "round trip" });
  const f = SafetensorsFile.open(p);
  try {
    assert.deepEqual(f.metadata, { format: "pt", note: "round trip" });
    assert.deepEqual(f.tensorNames(), ["u64", "i64", "f64", "f32", "u32", "i32", "bf16", "f16", "u16", "i16", "fp8", "i8", "u8", "bool"]);
    for (const x of tensors) {
      const info = f.info(x.name);
      const v = x.data as ArrayBufferView;
      assert.deepEqual(f.readRaw(x.name), Buffer.from(v.buffer, v.byteOffset, v.byteLength), x.name);
      assert.deepEqual(f.readTyped(x.name), x.data, x.name);
      assert.equal(info.byteOffset % (v as Uint8Array).BYTES_PER_ELEMENT, 0, `${x.name} is aligned`);
    }
    const f32 = (name: string) => [...f.readFloat32(name, { integers: true })];
    assert.deepEqual(f32("f64"), [1.5, -Infinity, Math.fround(1 / 3)]);
    assert.deepEqual(f32("f32"), [0, -0, 3.5, Math.fround(1e-40)]);
    assert.deepEqual(f32("f16"), [1, -2, 0.333251953125, 65504, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, NaN]);
    assert.deepEqual(f32("bf16"), [1, 3.140625, -123.5, 2 ** -133]);
    assert.deepEqual(f32("i64"), [-1, 2 ** 53, 2 ** 53]);
    assert.deepEqual(f32("u64"), [2 ** 64]);
    assert.deepEqual(f32("i32"), [-2147483648, 16777216]); // 2^24 + 1 rounds to even
    assert.deepEqual(f32("u32"), [4294967296]);
    assert.deepEqual(f32("i16"), [-32768, 32767]);
    assert.deepEqual(f32("u16"), [65535]);
    assert.deepEqual(f32("i8"), [-128, 127]);
    assert.deepEqual(f32("u8"), [0, 255]);
    assert.deepEqual(f32("bool"), [0, 1, 1, 0]);
    assertEsciError(() => f.readFloat32("fp8", { integers: true }), "UNSUPPORTED", p, "fp8");
    assertEsciError(() => f.readFloat32("i8"), "UNSUPPORTED", p, "i8");
  } finally {
    f.close();
  }
});

test("float32 conversion of tensors larger than one conversion chunk (16 MiB)", () => {
  const n = 8_500_000; // 17 MB of F16
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = (i * 7919) & 0xffff;
  const p = join(dir, "big.safetensors");
  writeSafetensors(p, [{ name: "big", dtype: "F16", shape: [n], data: bits }]);
  const f = SafetensorsFile.open(p);
  const out = f.readFloat32("big");
  f.close();
  // Expected float32 bit patterns, NaN payloads included (a JS number would not keep those).
  const expected = new Uint32Array(65536);
  const cell = new Float32Array(1);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    cell[0] = f16ToF32(h);
    expected[h] = isNaN ? (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0 : new Uint32Array(cell.buffer)[0]!;
  }
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    if (outBits[i] !== expected[bits[i]!]) assert.fail(`element ${i}: 0x${bits[i]!.toString(16)}`);
  }
});

test("lazy data thunks are called once each, in file order", () => {
  const p = join(dir, "lazy.safetensors");
  const calls: string[] = [];
  const lazy = (name: string, dtype: TensorToWrite["dtype"], make: () => ArrayBufferView, shape = [2]): TensorToWrite => ({
    name,
    dtype,
    shape,
    data: () => {
      calls.push(name);
      return make();
    },
  });
  writeSafetensors(p, [
    lazy("b", "F32", () => new Float32Array([1, 2])),
    lazy("a", "F32", () => new Float32Array([3, 4])),
    lazy("c", "F64", () => new Float64Array([5, 6])),
    { name: "d", dtype: "U8", shape: [3], data: Buffer.from([7, 8, 9]) },
  ]);
  assert.deepEqual(calls, ["c", "a", "b"]);
  const f = SafetensorsFile.open(p);
  assert.deepEqual([...f.readFloat32("a")], [3, 4]);
  assert.deepEqual([...f.readRaw("d")], [7, 8, 9]);
  f.close();
});

test("data views into larger buffers write only their own bytes", () => {
  const p = join(dir, "views.safetensors");
  const backing = new Float32Array([9, 1, 2, 9]);
  writeSafetensors(p, [{ name: "w", dtype: "F32", shape: [2], data: backing.subarray(1, 3) }]);
  const f = SafetensorsFile.open(p);
  assert.deepEqual([...f.readFloat32("w")], [1, 2]);
  f.close();
});

test("a failed write leaves the previous file in place and no temp file behind", () => {
  const sub = join(dir, "atomic");
  const p = join(sub, "model.safetensors");
  mkdirSync(sub);
  writeSafetensors(p, [{ name: "w", dtype: "F32", shape: [1], data: new Float32Array([1]) }]);
  const before = readFileSync(p);
  assertEsciError(
    () =>
      writeSafetensors(p, [
        { name: "ok", dtype: "F64", shape: [1], data: new Float64Array([1]) },
        { name: "bad", dtype: "F32", shape: [3], data: () => new Float32Array(2) },
      ]),
    "INVALID_ARGUMENT",
    p,
    "bad",
  );
  const boom = (): never => {
    throw new Error("producer failed");
  };
  assert.throws(() => writeSafetensors(p, [{ name: "boom", dtype: "F32", shape: [1], data: boom }]), /producer failed/);
  assertEsciError(() => writeSafetensors(join(sub, "no-such-dir", "m.safetensors"), []), "NOT_FOUND", join(sub, "no-such-dir", "m.safetensors"));
  assert.deepEqual(readFileSync(p), before);
  assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
  // And a successful write replaces it.
  writeSafetensors(p, [{ name: "w", dtype: "F32", shape: [1], data: new Float32Array([2]) }]);
  const f = SafetensorsFile.open(p);
  assert.deepEqual([...f.readFloat32("w")], [2]);
  f.close();
  assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
});

test("bad arguments are INVALID_ARGUMENT naming the file and tensor, before any file is created", () => {
  const p = join(dir, "never.safetensors");
  const f32 = (name: string, shape: number[], n: number): TensorToWrite => ({ name, dtype: "F32", shape, data: new Float32Array(n) });
  assertEsciError(() => writeSafetensors(p, [f32("w", [2], 2), f32("w", [1], 1)]), "INVALID_ARGUMENT", p, "w");
  assertEsciError(() => writeSafetensors(p, [f32("__metadata__", [1], 1)]), "INVALID_ARGUMENT", p, "__metadata__");
  assertEsciError(() => writeSafetensors(p, [{ ...f32("x", [1], 1), dtype: "F17" as never }]), "INVALID_ARGUMENT", p, "x");
  assertEsciError(() => writeSafetensors(p, [f32("neg", [-1], 1)]), "INVALID_ARGUMENT", p, "neg");
  assertEsciError(() => writeSafetensors(p, [f32("frac", [1.5], 1)]), "INVALID_ARGUMENT", p, "frac");
  assertEsciError(() => writeSafetensors(p, [f32("short", [3], 2)]), "INVALID_ARGUMENT", p, "short");
  assertEsciError(() => writeSafetensors(p, [{ ...f32("arr", [2], 2), data: [1, 2] as never }]), "INVALID_ARGUMENT", p, "arr");
  assertEsciError(() => writeSafetensors(p, [], { epoch: 3 as never }), "INVALID_ARGUMENT", p);
  assert.ok(!readdirSync(dir).includes("never.safetensors"));
  assert.ok(!readdirSync(dir).some((n) => n.endsWith(".tmp")));
});
