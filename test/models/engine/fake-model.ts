/**
 * Rows and a fake model for the batching engine's tests. The model's output row is
 * [first token id, row length], so each answer shows which input it came from; it records every
 * batch it runs (the ids of its rows, in the order it got them) and how many ran at once, and
 * hold() keeps the next batch running until release().
 */
import { EsciError } from "../../../src/errors/index.js";
import type { BatchRunner } from "../../../src/models/engine/index.js";
import type { Encoding } from "../../../src/tokenizer/index.js";

/** A row of `len` tokens whose first id is `id`. */
export function row(id: number, len: number): Encoding {
  const inputIds = new Array<number>(len).fill(0);
  inputIds[0] = id;
  return { inputIds, tokenTypeIds: new Array<number>(len).fill(0) };
}

/** The ids of output rows. */
export const ids = (out: Float32Array[]): number[] => out.map((o) => o[0]);

export interface FakeModel {
  run: BatchRunner;
  batches: number[][];
  /** The most batches that were running at once. */
  maxRunning: number;
  hold(): void;
  release(): void;
}

/** `fail(ids)`: the batch of these row ids throws. */
export function fakeModel(fail?: (ids: number[]) => boolean): FakeModel {
  let running = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const m: FakeModel = {
    batches: [],
    maxRunning: 0,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open?.();
      gate = undefined;
    },
    async run(rows) {
      m.maxRunning = Math.max(m.maxRunning, ++running);
      const batch = rows.map((r) => r.inputIds[0]);
      m.batches.push(batch);
      try {
        if (gate) await gate;
        await new Promise((r) => setImmediate(r));
        if (fail?.(batch)) throw new EsciError("INTERNAL", "model failed");
        return rows.map((r) => Float32Array.from([r.inputIds[0], r.inputIds.length]));
      } finally {
        running--;
      }
    },
  };
  return m;
}
