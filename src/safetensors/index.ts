/**
 * Hugging Face safetensors, read and written safely.
 *
 * Reading: `SafetensorsFile.open` validates a header (never the whole file) and reads tensors one
 * byte range at a time; `openCheckpoint` puts one file or a sharded checkpoint behind the same
 * `TensorReader` interface. Writing: `writeSafetensors` lays files out as Python's `save_file`
 * does, streaming lazily produced tensors to a temp file that is renamed into place. The F16/BF16
 * helpers are exported for modules that convert weights themselves (e.g. fp16 export).
 *
 * Files: dtypes.ts (dtype table) → header.ts (validation) → file.ts (one file) → checkpoint.ts
 * (shards); writer.ts; half.ts and convert.ts (element conversion); io.ts (read/write loops).
 */

export { DTYPES, isDtype, type Dtype, type DtypeInfo } from "./dtypes.js";
export type { ReadFloat32Options, TensorInfo, TensorReader, TypedTensorData } from "./types.js";
export { MAX_HEADER_BYTES } from "./header.js";
export { SafetensorsFile } from "./file.js";
export {
  Checkpoint,
  openCheckpoint,
  SAFE_WEIGHTS_INDEX_NAME,
  SAFE_WEIGHTS_NAME,
  type CheckpointTensorInfo,
} from "./checkpoint.js";
export { writeSafetensors, type TensorToWrite } from "./writer.js";
export {
  bf16ArrayToF32,
  bf16ToF32,
  f16ArrayToF32,
  f16ToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
  f32ToBf16,
  f32ToF16,
} from "./half.js";
