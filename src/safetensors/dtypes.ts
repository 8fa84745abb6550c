/**
 * The safetensors dtype table: one row per dtype string as it appears in headers.
 *
 * `rank` is the position of the dtype in huggingface/safetensors' `Dtype` enum, which that crate
 * keeps "in increasing alignment order"; its writer sorts tensors by descending rank and then by
 * name so that every tensor's data starts aligned to its element size. Our writer mirrors that
 * order, so the files it makes are laid out the way Python's `save_file` lays them out.
 *
 * `float32` says how `readFloat32` may convert the dtype: "float" dtypes convert exactly (F16,
 * BF16) or by rounding to nearest (F64), "int" dtypes only when the caller asks for it, and
 * "none" (the FP8 formats) never — esci has no use for them and refuses with UNSUPPORTED rather
 * than guess an encoding.
 */

export type Dtype =
  | "BOOL"
  | "U8"
  | "I8"
  | "F8_E5M2"
  | "F8_E4M3"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64";

export interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  /** Position in huggingface/safetensors' `Dtype` enum (increasing alignment). */
  rank: number;
  float32: "float" | "int" | "none";
}

const ROWS: ReadonlyArray<readonly [Dtype, number, DtypeInfo["float32"]]> = [
  ["BOOL", 1, "int"],
  ["U8", 1, "int"],
  ["I8", 1, "int"],
  ["F8_E5M2", 1, "none"],
  ["F8_E4M3", 1, "none"],
  ["I16", 2, "int"],
  ["U16", 2, "int"],
  ["F16", 2, "float"],
  ["BF16", 2, "float"],
  ["I32", 4, "int"],
  ["U32", 4, "int"],
  ["F32", 4, "float"],
  ["F64", 8, "float"],
  ["I64", 8, "int"],
  ["U64", 8, "int"],
];

/** A Map, not an object literal, so that header strings such as "constructor" never match. */
export const DTYPES: ReadonlyMap<Dtype, DtypeInfo> = new Map(
  ROWS.map(([name, size, float32], rank) => [name, { size, rank, float32 }] as const),
);

export function isDtype(value: unknown): value is Dtype {
  return typeof value === "string" && DTYPES.has(value as Dtype);
}

export function dtypeInfo(dtype: Dtype): DtypeInfo {
  const info = DTYPES.get(dtype);
  if (!info) throw new TypeError(`unknown safetensors dtype ${String(dtype)}`);
  return info;
}
