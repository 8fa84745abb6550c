/**
 * Per-dtype tables turning little-endian tensor bytes into typed arrays and into float32.
 *
 * Both are registry tables keyed by dtype (one row per dtype, no switch), so supporting a new
 * dtype is a row here plus one in dtypes.ts. The byte buffers handed in must start at an aligned
 * address (the reader allocates them with Buffer.allocUnsafeSlow, whose memory is its own
 * ArrayBuffer at offset 0), so every view below is zero-copy.
 */

import type { Dtype } from "./dtypes.js";
import { bf16ArrayToF32, f16ArrayToF32 } from "./half.js";
import type { TypedTensorData } from "./types.js";

type View = (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedTensorData;

/** dtype → a typed-array view over `length` elements starting at `byteOffset`. */
export const TYPED_VIEWS: ReadonlyMap<Dtype, View> = new Map<Dtype, View>([
  ["BOOL", (b, o, n) => new Uint8Array(b, o, n)],
  ["U8", (b, o, n) => new Uint8Array(b, o, n)],
  ["I8", (b, o, n) => new Int8Array(b, o, n)],
  ["F8_E5M2", (b, o, n) => new Uint8Array(b, o, n)],
  ["F8_E4M3", (b, o, n) => new Uint8Array(b, o, n)],
  ["I16", (b, o, n) => new Int16Array(b, o, n)],
  ["U16", (b, o, n) => new Uint16Array(b, o, n)],
  ["F16", (b, o, n) => new Uint16Array(b, o, n)],
  ["BF16", (b, o, n) => new Uint16Array(b, o, n)],
  ["I32", (b, o, n) => new Int32Array(b, o, n)],
  ["U32", (b, o, n) => new Uint32Array(b, o, n)],
  ["F32", (b, o, n) => new Float32Array(b, o, n)],
  ["F64", (b, o, n) => new Float64Array(b, o, n)],
  ["I64", (b, o, n) => new BigInt64Array(b, o, n)],
  ["U64", (b, o, n) => new BigUint64Array(b, o, n)],
]);

/** Converts the elements of `src` (a view from TYPED_VIEWS) into `out` (same length). */
type ToF32 = (src: TypedTensorData, out: Float32Array) => void;

// TypedArray.prototype.set converts each element as an assignment would: F64 rounds to nearest
// float32 and integers become the nearest float32, the same as numpy's astype(float32).
const setNumbers: ToF32 = (src, out) => out.set(src as Exclude<TypedTensorData, BigInt64Array | BigUint64Array>);
const setBigInts: ToF32 = (src, out) => {
  const big = src as BigInt64Array | BigUint64Array;
  for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
};

/** dtype → float32 conversion; dtypes absent here (FP8) cannot be converted. */
export const TO_FLOAT32: ReadonlyMap<Dtype, ToF32> = new Map<Dtype, ToF32>([
  ["F16", (src, out) => void f16ArrayToF32(src as Uint16Array, out)],
  ["BF16", (src, out) => void bf16ArrayToF32(src as Uint16Array, out)],
  ["F32", setNumbers],
  ["F64", setNumbers],
  // torch reads any non-zero byte of a bool tensor as True.
  [
    "BOOL",
    (src, out) => {
      for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
    },
  ],
  ["U8", setNumbers],
  ["I8", setNumbers],
  ["I16", setNumbers],
  ["U16", setNumbers],
  ["I32", setNumbers],
  ["U32", setNumbers],
  ["I64", setBigInts],
  ["U64", setBigInts],
]);
