/**
 * Dynamic padding: a batch is padded to its own longest row (HF `padding=True`, right side), into
 * int64 buffers that become ONNX Runtime tensors without another copy.
 */
import { endianness } from "node:os";
import type { Encoding, PaddedBatch } from "./types.js";

// Ids, masks and type ids are small non-negative integers, so each int64 is written as its low
// 32-bit half through an Int32Array view of the same buffer (the high half stays 0 from the
// zero fill). This avoids one BigInt per element in the hot path.
const LOW_WORD = endianness() === "LE" ? 0 : 1;

/** Pads `encodings` to [batch, seqLen] with `padId` (mask 0, token type 0 where padded). */
export function padBatch(encodings: readonly Encoding[], padId: number): PaddedBatch {
  const batch = encodings.length;
  let seqLen = 0;
  for (const e of encodings) if (e.inputIds.length > seqLen) seqLen = e.inputIds.length;
  const n = batch * seqLen;
  const inputIds = new BigInt64Array(n);
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  const ids32 = new Int32Array(inputIds.buffer);
  const mask32 = new Int32Array(attentionMask.buffer);
  const types32 = new Int32Array(tokenTypeIds.buffer);
  for (let r = 0; r < batch; r++) {
    const { inputIds: ids, tokenTypeIds: types } = encodings[r];
    const len = ids.length;
    let o = 2 * r * seqLen + LOW_WORD;
    for (let i = 0; i < len; i++, o += 2) {
      ids32[o] = ids[i];
      mask32[o] = 1;
      types32[o] = types[i];
    }
    if (padId !== 0) for (let i = len; i < seqLen; i++, o += 2) ids32[o] = padId;
  }
  return { inputIds, attentionMask, tokenTypeIds, batch, seqLen };
}
