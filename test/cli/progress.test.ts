/**
 * Progress rates count only the work done in this run: a resumed run starts its bar at the rows
 * already done (rate and ETA leave them out), and train's tokenize bar starts before the first
 * chunk is tokenized (so a small dataset does not show millions of pairs per second).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProgressBar } from "../../src/cli/progress.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { EncodedDataset } from "../../src/train/data.js";
import { fixtureModel } from "../helpers/paths.js";

/** A bar whose clock is `elapsed` seconds old, without waiting. */
function barAged(elapsed: number): ProgressBar {
  const bar = new ProgressBar({ label: "classify", unit: "pairs", quiet: true });
  (bar as unknown as { start: number }).start = Date.now() - elapsed * 1000;
  return bar;
}

describe("progress rates", () => {
  it("a fresh run's rate is done / elapsed", () => {
    const bar = barAged(10);
    bar.update(500, 1000);
    assert.match(bar.render(), /500 pairs\/1,000 pairs 50 pairs\/s ETA 00:10/);
  });

  it("a resumed run shows the rows already done but rates only the rows it scored", () => {
    const bar = new ProgressBar({ label: "classify", unit: "pairs", quiet: true });
    bar.resumeAt(900);
    (bar as unknown as { start: number }).start = Date.now() - 10_000;
    bar.update(950, 1000);
    assert.match(bar.render(), /950 pairs\/1,000 pairs 5 pairs\/s ETA 00:10/);
  });

  it("tokenizing reports its start before the first chunk", async () => {
    const tok = await loadTokenizer(fixtureModel("tiny-roberta-esci"));
    const calls: [number, number][] = [];
    const pairs = Array.from({ length: 5 }, (_, i) => ({ query: `q${i}`, product: `p${i}`, label: "E" as const, group: `q${i}` }));
    EncodedDataset.encode(pairs, tok, 16, new Map([["E", 0]]), (done, total) => calls.push([done, total]));
    assert.deepEqual(calls, [
      [0, 5],
      [5, 5],
    ]);
  });
});
