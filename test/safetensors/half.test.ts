/**
 * F16/BF16 ↔ F32 against values worked out by hand from the IEEE bit layouts (sign | exponent |
 * mantissa; F16 bias 15, BF16 = the top 16 bits of an F32), including the rounding ties, the
 * overflow to infinity and the subnormals where hand-written converters usually go wrong.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bf16ArrayToF32,
  bf16ToF32,
  f16ArrayToF32,
  f16ToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
  f32ToBf16,
  f32ToF16,
} from "../../src/safetensors/index.js";

test("F16 → F32 decodes normals, subnormals, zeros, infinities and NaN exactly", () => {
  const cases: Array<[number, number]> = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125], // (1 + 341/1024) × 2^-2
    [0x7bff, 65504], // largest finite half
    [0x0400, 2 ** -14], // smallest normal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x8001, -(2 ** -24)],
    [0x2e66, 0.0999755859375], // the half nearest 0.1
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [h, v] of cases) assert.equal(f16ToF32(h), v, `0x${h.toString(16)}`);
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Number.isNaN(f16ToF32(0xfd01)));
});

test("F32 → F16 rounds to nearest even, overflows to inf, flushes below half a subnormal to zero", () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65519, 0x7bff], // just under the midpoint to 65536
    [65520, 0x7c00], // the midpoint: ties to even = infinity
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01 → even 0x3c00
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 → even 0x3c02
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal → 0
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units → 2
    [2 ** -26, 0x0000],
    [1023.5 * 2 ** -24, 0x0400], // rounds up out of the subnormals into the smallest normal
    [2 ** -14, 0x0400],
    [0, 0x0000],
    [-0, 0x8000],
    [1e-45, 0x0000], // an F32 subnormal
  ];
  for (const [v, h] of cases) assert.equal(f32ToF16(v), h, `${v} → 0x${f32ToF16(v).toString(16)}, want 0x${h.toString(16)}`);
  assert.equal(f32ToF16(NaN), 0x7e00);
  assert.equal(f32ToF16(-NaN) & 0x7e00, 0x7e00);
});

test("F16 → F32 → F16 is the identity on all 65536 bit patterns except NaN payloads stay NaN", () => {
  for (let h = 0; h < 65536; h++) {
    const v = f16ToF32(h);
    if (Number.isNaN(v)) assert.ok(Number.isNaN(f16ToF32(f32ToF16(v))));
    else assert.equal(f32ToF16(v), h, `0x${h.toString(16)}`);
  }
});

test("BF16 ↔ F32: BF16 is the upper half of an F32, narrowing rounds to nearest even", () => {
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0x4049), 3.140625);
  assert.equal(bf16ToF32(0xc2f7), -123.5);
  assert.equal(bf16ToF32(0x0001), 2 ** -133); // F32 subnormal
  assert.equal(bf16ToF32(0x7f80), Infinity);
  assert.equal(bf16ToF32(0xff80), -Infinity);
  assert.ok(Number.isNaN(bf16ToF32(0x7fc0)));

  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(Math.PI), 0x4049); // F32 π = 0x40490fdb, low half < 0x8000
  assert.equal(f32ToBf16(-123.5), 0xc2f7);
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // 0x3f808000: tie → even 0x3f80
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82); // 0x3f818000: tie → even 0x3f82
  assert.equal(f32ToBf16(3.4028234663852886e38), 0x7f80); // F32 max rounds up to +inf
  assert.equal(f32ToBf16(-0), 0x8000);
  assert.equal(f32ToBf16(NaN), 0x7fc0);
});

test("array helpers agree with the scalar ones", () => {
  const values = [0, -0, 1, -2, 0.1, 65504, 65520, 2 ** -24, 1e-30, Infinity, -Infinity, Math.PI];
  const h = f32ArrayToF16(values);
  const b = f32ArrayToBf16(new Float32Array(values));
  assert.deepEqual([...h], values.map(f32ToF16));
  assert.deepEqual([...b], values.map(f32ToBf16));
  assert.deepEqual([...f16ArrayToF32(h)], [...h].map(f16ToF32));
  assert.deepEqual([...bf16ArrayToF32(b)], [...b].map(bf16ToF32));
  assert.throws(() => f16ArrayToF32(h, new Float32Array(1)), /INVALID_ARGUMENT|elements/);
});
