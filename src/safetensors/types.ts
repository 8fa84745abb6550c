/**
 * The read-side contract shared by a single safetensors file and a (possibly sharded) checkpoint,
 * so that model builders ask "give me tensor X as float32" without caring how the weights are
 * split across files.
 */

import type { Dtype } from "./dtypes.js";

export interface TensorInfo {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Absolute position of the tensor's first byte in its file (8 + header length + data_offsets[0]). */
  readonly byteOffset: number;
  /** data_offsets[1] - data_offsets[0] = product(shape) × dtype size. */
  readonly byteLength: number;
}

export interface ReadFloat32Options {
  /**
   * Also convert integer and BOOL tensors (I64 values beyond ±2^24 round to the nearest float32).
   * Off by default so that reading, say, `position_ids` as weights is an error, not a silent cast.
   */
  integers?: boolean;
}

/** A tensor's elements in their stored type; F16 and BF16 come as raw bit patterns. */
export type TypedTensorData =
  | Float32Array
  | Float64Array
  | Uint16Array // F16, BF16 (bit patterns) and U16
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Int8Array
  | Uint8Array; // U8, BOOL, F8_E4M3, F8_E5M2

export interface TensorReader {
  /** Tensor name → dtype, shape and where its bytes are, in file order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The `__metadata__` string map (e.g. {"format": "pt"}); empty when absent. */
  readonly metadata: Readonly<Record<string, string>>;
  tensorNames(): string[];
  has(name: string): boolean;
  /** The tensor's info; NOT_FOUND naming the tensor and file when absent. */
  info(name: string): TensorInfo;
  /** Exactly the tensor's bytes (little-endian), in a Buffer that owns its memory (offset 0, aligned). */
  readRaw(name: string): Buffer;
  /** The tensor's elements in their stored type, viewing the bytes `readRaw` returns (no copy). */
  readTyped(name: string): TypedTensorData;
  /** The tensor as float32: F32 as stored, F16/BF16 widened exactly, F64 rounded to nearest. */
  readFloat32(name: string, options?: ReadFloat32Options): Float32Array;
  close(): void;
}
