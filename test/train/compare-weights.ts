/**
 * Weight comparison for the PyTorch parity tests: every tensor of an exported checkpoint against a
 * float64 reference file (same names and shapes), reporting the largest absolute difference and
 * where it is.
 */
import assert from "node:assert/strict";
import { openCheckpoint } from "../../src/safetensors/index.js";

export function maxWeightError(gotDir: string, wantFile: string): { err: number; tensor: string } {
  const want = openCheckpoint(wantFile);
  const got = openCheckpoint(gotDir);
  try {
    assert.deepEqual(got.tensorNames().sort(), want.tensorNames().sort());
    let worst = { err: 0, tensor: "" };
    for (const t of want.tensorNames()) {
      assert.deepEqual(got.info(t).shape, want.info(t).shape, t);
      const a = got.readFloat32(t);
      const b = want.readTyped(t) as Float64Array;
      for (let i = 0; i < b.length; i++) {
        const err = Math.abs(a[i] - b[i]);
        if (err > worst.err) worst = { err, tensor: `${t}[${i}]` };
      }
    }
    return worst;
  } finally {
    want.close();
    got.close();
  }
}
