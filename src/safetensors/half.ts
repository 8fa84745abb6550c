/**
 * IEEE half (F16) and bfloat16 (BF16) ↔ float32 conversion, scalar and whole-array.
 *
 * Checkpoints on the hub are often stored in F16 or BF16 while ONNX Runtime on CPU wants F32, and
 * the trainer may export F16 checkpoints, so both directions live here for every module to share.
 * Widening (F16/BF16 → F32) is exact: every half and bfloat16 value, subnormals, ±inf and NaN
 * payloads included, is a float32, and the array helpers copy bit patterns so even signalling
 * NaNs arrive unchanged. Narrowing rounds to nearest, ties to even — what numpy's
 * `astype(float16)` and torch's `.to(torch.bfloat16)` do — overflows to ±inf and keeps NaN a
 * (quiet) NaN. Everything works on bit patterns, so results do not depend on the FPU.
 *
 * Half values travel as `number` (a bit pattern 0..0xffff) and arrays as `Uint16Array`, the way
 * safetensors stores them (little-endian, which is every platform Node runs on in practice).
 */

import { EsciError } from "../errors/index.js";

// One float32 scratch cell seen as bits.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function bitsToF32(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0];
}

function f32ToBits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** Float32 bit pattern of the half with bit pattern `h`. */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // 112 = 127 - 15
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal half: mant × 2^-24, which is a normal float32 — exact in float arithmetic.
  return (sign | f32ToBits(mant * 2 ** -24)) >>> 0;
}

// Float32 bit patterns of all 65536 halves (256 KiB), built on first use: decoding a
// 100M-element F16 checkpoint becomes an integer table lookup per element. Bits, not numbers,
// are copied because passing a signalling NaN through a JS number sets its quiet bit.
let f16Table: Uint32Array | undefined;
function table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/** The float32 value of the half-precision bit pattern `h` (exact). */
export function f16ToF32(h: number): number {
  return bitsToF32(f16BitsToF32Bits(h & 0xffff));
}

/** The half-precision bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function f32ToF16(x: number): number {
  const u = f32ToBits(x);
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // inf / quiet NaN
  const e = exp - 112; // half exponent field for a normal result
  if (e >= 0x1f) return sign | 0x7c00; // too large: ±inf
  if (e <= 0) {
    // Subnormal (or zero) half: the significand with its implicit bit, shifted so one unit is 2^-24.
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (h & 1) === 1)) h++; // may carry into the smallest normal
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // may carry up to ±inf, as it should
  return sign | h;
}

/** The float32 value of the bfloat16 bit pattern `b`: bfloat16 is the upper half of a float32. */
export function bf16ToF32(b: number): number {
  return bitsToF32(((b & 0xffff) << 16) >>> 0);
}

/** The bfloat16 bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function f32ToBf16(x: number): number {
  const u = f32ToBits(x);
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40; // quiet NaN
  // Adding 0x7fff plus the lowest kept bit rounds to nearest even; the sum stays below 2^32.
  return Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 0x10000) & 0xffff;
}

/** Widens F16 bit patterns to float32 values, into `out` when given (same length). */
export function f16ArrayToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkLengths(src.length, out.length);
  const t = table();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = t[src[i]];
  return out;
}

/** Widens BF16 bit patterns to float32 values, into `out` when given (same length). */
export function bf16ArrayToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  checkLengths(src.length, out.length);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** Narrows float32 values to F16 bit patterns (round to nearest even). */
export function f32ArrayToF16(src: ArrayLike<number>, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  checkLengths(src.length, out.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16(src[i]);
  return out;
}

/** Narrows float32 values to BF16 bit patterns (round to nearest even). */
export function f32ArrayToBf16(src: ArrayLike<number>, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  checkLengths(src.length, out.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToBf16(src[i]);
  return out;
}

function checkLengths(src: number, out: number): void {
  if (src !== out) throw new EsciError("INVALID_ARGUMENT", `output array has ${out} elements, expected ${src} (one per input)`);
}
