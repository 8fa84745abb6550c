/**
 * The character cap (tokenizer/chars.ts): texts are cut to `maxChars` before tokenizing, never
 * inside a surrogate pair; a capped text encodes exactly as its cut prefix does; the worker
 * tokenizer the server uses returns the in-thread tokenizer's encodings, cap included.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capChars, checkMaxChars, DEFAULT_MAX_CHARS, loadTokenizer } from "../../src/tokenizer/index.js";
import { TokenizerWorker } from "../../src/tokenizer/worker-tokenizer.js";
import { fixtureModel } from "../helpers/paths.js";

const MODEL = fixtureModel("tiny-roberta-esci");

describe("capChars", () => {
  it("keeps short texts and cuts long ones to maxChars code units", () => {
    assert.equal(capChars("mouse", 5), "mouse");
    assert.equal(capChars("wireless mouse", 8), "wireless");
  });

  it("never splits a surrogate pair", () => {
    const text = "ab😀cd"; // 😀 is two UTF-16 code units, at 2 and 3
    assert.equal(capChars(text, 3), "ab");
    assert.equal(capChars(text, 4), "ab😀");
  });

  it("refuses a cap that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => checkMaxChars(bad), /maxChars must be a positive integer/);
  });
});

describe("the tokenizer's character cap", () => {
  it("defaults to DEFAULT_MAX_CHARS and is set by maxChars", async () => {
    assert.equal((await loadTokenizer(MODEL)).maxChars, DEFAULT_MAX_CHARS);
    assert.equal((await loadTokenizer(MODEL, { maxChars: 40 })).maxChars, 40);
    await assert.rejects(loadTokenizer(MODEL, { maxChars: 0 }), /maxChars must be a positive integer/);
  });

  it("encodes a text over the cap as its first maxChars characters", async () => {
    const tok = await loadTokenizer(MODEL, { maxChars: 40 });
    const long = "wireless optical mouse with usb receiver ".repeat(50);
    const huge = long.repeat(100);
    assert.deepEqual(tok.encodeText(huge, 10_000), tok.encodeText(long.slice(0, 40), 10_000));
    assert.deepEqual(tok.encodePair(huge, huge, 10_000), tok.encodePair(long.slice(0, 40), long.slice(0, 40), 10_000));
    // Under the cap nothing changes.
    assert.deepEqual(tok.encodeText("mouse", 10_000), (await loadTokenizer(MODEL)).encodeText("mouse", 10_000));
  });

  it("the worker tokenizer returns the same encodings, in chunks, cap included", async () => {
    const tok = await loadTokenizer(MODEL, { maxChars: 50 });
    const worker = await TokenizerWorker.start(tok.origin);
    try {
      const pairs = Array.from({ length: 150 }, (_, i) => [`query ${i}`, `product number ${i} `.repeat(i % 7 === 0 ? 100 : 1)] as const);
      assert.deepEqual(await worker.encodePairs(pairs, 32), tok.encodePairs(pairs, 32));
      const texts = pairs.map((p) => p[1]);
      assert.deepEqual(await worker.encodeTexts(texts, 16), tok.encodeTexts(texts, 16));
      await assert.rejects(worker.encodePairs([["a", "b"]], 1), (e: Error & { code?: string }) => e.code === "INVALID_ARGUMENT" && /maxLength must be an integer of at least/.test(e.message));
    } finally {
      await worker.release();
    }
  });
});
