/** Dynamic padding: shapes, pad ids, masks, token types, row-major int64 layout. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadTokenizer, padBatch } from "../../src/tokenizer/index.js";
import { modelDir } from "./helpers.js";

const rows = (a: BigInt64Array, seqLen: number) =>
  Array.from({ length: a.length / seqLen }, (_, r) => Array.from(a.subarray(r * seqLen, (r + 1) * seqLen), Number));

describe("padBatch", () => {
  it("pads to the batch's longest row, row-major [batch, seqLen]", () => {
    const b = padBatch(
      [
        { inputIds: [5, 6, 7], tokenTypeIds: [0, 1, 1] },
        { inputIds: [8], tokenTypeIds: [0] },
        { inputIds: [9, 10, 11, 12, 13], tokenTypeIds: [0, 0, 1, 1, 1] },
      ],
      1,
    );
    assert.equal(b.batch, 3);
    assert.equal(b.seqLen, 5);
    for (const t of [b.inputIds, b.attentionMask, b.tokenTypeIds]) {
      assert.ok(t instanceof BigInt64Array);
      assert.equal(t.length, 15);
    }
    assert.deepEqual(rows(b.inputIds, 5), [[5, 6, 7, 1, 1], [8, 1, 1, 1, 1], [9, 10, 11, 12, 13]]);
    assert.deepEqual(rows(b.attentionMask, 5), [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]]);
    assert.deepEqual(rows(b.tokenTypeIds, 5), [[0, 1, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]]);
    assert.equal(b.inputIds[0], 5n);
  });

  it("handles large ids and an empty batch", () => {
    const b = padBatch([{ inputIds: [250001, 2 ** 31 - 1], tokenTypeIds: [0, 0] }], 0);
    assert.deepEqual(Array.from(b.inputIds), [250001n, 2147483647n]);
    const empty = padBatch([], 0);
    assert.deepEqual([empty.batch, empty.seqLen, empty.inputIds.length], [0, 0, 0]);
  });

  it("a batch of one is unpadded", () => {
    const b = padBatch([{ inputIds: [0, 4, 2], tokenTypeIds: [0, 0, 0] }], 1);
    assert.deepEqual([b.batch, b.seqLen], [1, 3]);
    assert.deepEqual(Array.from(b.attentionMask, Number), [1, 1, 1]);
  });
});

describe("PairTokenizer.padBatch uses the tokenizer's pad id", () => {
  for (const [name, pad] of [
    ["tiny-roberta-esci", 1],
    ["tiny-bert-3label", 0],
    ["tiny-st-roberta", 1], // from special_tokens_map.json, slow files only
    ["tiny-bert-1logit", 0],
  ] as const) {
    it(`${name}: pad id ${pad}`, async () => {
      const tok = await loadTokenizer(modelDir(name));
      assert.equal(tok.padTokenId, pad);
      const encs = tok.encodePairs([
        ["wireless headphones", "Sony WH-1000XM4 Wireless Noise Cancelling Over-Ear Headphones"],
        ["tea", ""],
      ]);
      const b = tok.padBatch(encs);
      assert.equal(b.seqLen, encs[0].inputIds.length);
      const [r0, r1] = rows(b.inputIds, b.seqLen);
      assert.deepEqual(r0, encs[0].inputIds);
      const n1 = encs[1].inputIds.length;
      assert.deepEqual(r1, [...encs[1].inputIds, ...new Array(b.seqLen - n1).fill(pad)]);
      assert.deepEqual(rows(b.attentionMask, b.seqLen)[1], [...new Array(n1).fill(1), ...new Array(b.seqLen - n1).fill(0)]);
      assert.deepEqual(rows(b.tokenTypeIds, b.seqLen)[1], [...encs[1].tokenTypeIds, ...new Array(b.seqLen - n1).fill(0)]);
    });
  }
});
