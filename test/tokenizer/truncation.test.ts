/**
 * longest_first truncation as the Rust tokenizers crate does it, empty pair members, single-text
 * truncation and the default max length (model_max_length capped by the position table).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { loadTokenizer, longestFirstLengths } from "../../src/tokenizer/index.js";
import { esciError, maxPositions, modelDir, tempModel } from "./helpers.js";

describe("longestFirstLengths", () => {
  it("matches the Rust unit test table (truncation.rs truncate_encodings_longest_first, max_length 7)", () => {
    // [len a, len b] → [kept a, kept b]; lengths 0 / 2 / 4 / 8 as the Rust test's empty/short/medium/long.
    const table: [number, number, number, number][] = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [a, b, ka, kb] of table) assert.deepEqual(longestFirstLengths(a, b, 7), [ka, kb], `${a}, ${b}`);
  });

  it("max_length 0 empties both (truncate_encodings_empty)", () => {
    for (const [a, b] of [[0, 2], [4, 4], [8, 8]]) assert.deepEqual(longestFirstLengths(a, b, 0), [0, 0]);
  });

  it("follows the n1/n2 rule on every small input", () => {
    for (let budget = 0; budget <= 13; budget++) {
      for (let a = 0; a <= 15; a++) {
        for (let b = 0; b <= 15; b++) {
          const [ka, kb] = longestFirstLengths(a, b, budget);
          assert.ok(ka <= a && kb <= b && ka >= 0 && kb >= 0);
          assert.equal(ka + kb, Math.min(a + b, budget), `sum for ${a}, ${b} @${budget}`);
          const short = Math.min(a, b);
          if (a + b <= budget) assert.deepEqual([ka, kb], [a, b]);
          else if (short <= budget - short) {
            // only the longer side is cut, to budget - shorter
            assert.equal(Math.min(ka, kb), short);
          } else {
            // both cut to half; the longer side (the second one on a tie) gets the odd token
            const half = Math.floor(budget / 2);
            const longerIsA = a > b;
            assert.deepEqual([ka, kb], longerIsA ? [half + (budget % 2), half] : [half, half + (budget % 2)]);
          }
        }
      }
    }
  });

  it("differs from the slow tokenizers' one-at-a-time loop where HF's fast tokenizers do", () => {
    // Slow loop on equal lengths removes from the pair first, keeping [4, 3] for budget 7;
    // the Rust rule keeps [3, 4].
    assert.deepEqual(longestFirstLengths(5, 5, 7), [3, 4]);
  });
});

describe("pair truncation through the tokenizer", async () => {
  const roberta = await loadTokenizer(modelDir("tiny-roberta-esci"), { maxPositions: maxPositions("tiny-roberta-esci") });
  const bert = await loadTokenizer(modelDir("tiny-bert-3label"), { maxPositions: maxPositions("tiny-bert-3label") });
  const side = (tok: typeof roberta, text: string) => tok.encodeText(text, 1000).inputIds.slice(1, -1);
  const long = "stainless steel water bottle with straw and carrying strap, 32 oz, two pack, black and white";
  const longer = long + " " + long;

  for (const [name, tok, cls, sep, frame] of [
    ["RoBERTa", roberta, 0, 2, (a: number[], b: number[]) => [0, ...a, 2, 2, ...b, 2]],
    ["BERT", bert, 2, 3, (a: number[], b: number[]) => [2, ...a, 3, ...b, 3]],
  ] as const) {
    const added = name === "RoBERTa" ? 4 : 3;
    it(`${name}: only the long side is cut when the short side fits`, () => {
      const a = side(tok, "water bottle");
      const b = side(tok, longer);
      const enc = tok.encodePair("water bottle", longer, 20 + added);
      assert.deepEqual(enc.inputIds, frame(a, b.slice(0, 20 - a.length)));
      const swapped = tok.encodePair(longer, "water bottle", 20 + added);
      assert.deepEqual(swapped.inputIds, frame(b.slice(0, 20 - a.length), a));
    });

    it(`${name}: both sides long: halves of the budget, the odd token to the side longer at the early exit`, () => {
      // tokenizers 0.23 encodes each side word by word only until it has max_length ids, and
      // longest_first compares those partial lengths. Query words of 2 tokens overshoot an odd
      // max_length by one; product words of 1 token stop exactly at it. So with an odd max_length
      // (RoBERTa: budget + 4) the query, though far shorter in full, is the longer side and gets
      // the odd token, where the pre-0.23 rule gave it to the product; with an even one (BERT:
      // budget + 3) both stop at max_length and the second side gets it.
      const words = (w: string, n: number) => Array(n).fill(w).join(" ");
      const additive = (w: string, per: number) => side(tok, words(w, 30)).length === 30 * per;
      const two = ["headphones", "bottle", "waterproof", "bluetooth", "wireless", "stainless", "charging"].find((w) => additive(w, 2));
      const one = ["a", "the", "and", "for", "with"].find((w) => additive(w, 1));
      assert.ok(two && one, "a 2-token and a 1-token word in the fixture vocabulary");
      const query = words(two, 30);
      const product = words(one, 200);
      const a = side(tok, query);
      const b = side(tok, product);
      for (const budget of [15, 21]) {
        const half = Math.floor(budget / 2);
        const maxLength = budget + added;
        const expected = (maxLength % 2 === 1 ? [half + 1, half] : [half, half + 1]) as [number, number];
        assert.deepEqual(tok.encodePair(query, product, maxLength).inputIds, frame(a.slice(0, expected[0]), b.slice(0, expected[1])), `@${budget}`);
      }
      // Equal partial lengths (1-token words on both sides): no swap, the second side gets it.
      const c = side(tok, words(one, 50));
      assert.deepEqual(tok.encodePair(words(one, 50), words(one, 200), 15 + added).inputIds, frame(c.slice(0, 7), b.slice(0, 8)));
    });

    it(`${name}: an empty query / product is still a pair member`, () => {
      const p = side(tok, "green tea");
      assert.deepEqual(tok.encodePair("", "green tea").inputIds, frame([], p));
      assert.deepEqual(tok.encodePair("green tea", "").inputIds, frame(p, []));
      assert.deepEqual(tok.encodePair("", "").inputIds, frame([], []));
      assert.deepEqual(tok.encodePair("", longer, 6 + added).inputIds, frame([], side(tok, longer).slice(0, 6)));
      if (name === "BERT") {
        assert.deepEqual(tok.encodePair("", "green tea").tokenTypeIds, [0, 0, ...p.map(() => 1), 1]);
        assert.deepEqual(tok.encodePair("green tea", "").tokenTypeIds, [0, ...p.map(() => 0), 0, 1]);
      }
    });

    it(`${name}: a budget of 0 leaves only the special tokens; below that is an error`, () => {
      assert.deepEqual(tok.encodePair(long, long, added).inputIds, frame([], []));
      assert.throws(() => tok.encodePair("a", "b", added - 1), esciError("INVALID_ARGUMENT", "maxLength", `${added}`));
      assert.throws(() => tok.encodePair("a", "b", 7.5), esciError("INVALID_ARGUMENT"));
    });

    it(`${name}: single texts are cut from the right, special tokens kept`, () => {
      const a = side(tok, longer);
      assert.deepEqual(tok.encodeText(longer, 7).inputIds, [cls, ...a.slice(0, 5), sep]);
      assert.deepEqual(tok.encodeText(longer, 2).inputIds, [cls, sep]);
      assert.deepEqual(tok.encodeText("", 2).inputIds, [cls, sep]);
      assert.throws(() => tok.encodeText("a", 1), esciError("INVALID_ARGUMENT"));
    });

    it(`${name}: without maxLength, long pairs fill exactly the default max length`, () => {
      assert.equal(tok.encodePair(longer + longer, longer + longer).inputIds.length, tok.defaultMaxLength);
    });
  }
});

describe("default max length", () => {
  const cleanups: (() => void)[] = [];
  after(() => cleanups.forEach((c) => c()));

  it("RoBERTa: model_max_length 512 capped by the position table (66 - 2 = 64)", async () => {
    assert.equal(maxPositions("tiny-roberta-esci"), 64);
    assert.equal((await loadTokenizer(modelDir("tiny-roberta-esci"), { maxPositions: 64 })).defaultMaxLength, 64);
    assert.equal((await loadTokenizer(modelDir("tiny-roberta-esci"))).defaultMaxLength, 512);
  });

  it("an absurd model_max_length (int(1e30)) means unset", async () => {
    const dir = modelDir("tiny-st-roberta");
    assert.equal((await loadTokenizer(dir, { maxPositions: 38 })).defaultMaxLength, 38);
    assert.equal((await loadTokenizer(dir)).defaultMaxLength, 512, "nothing known: BERT/RoBERTa's usual 512");
  });

  it("the maxLength option (sentence-transformers max_seq_length) replaces model_max_length, still capped", async () => {
    const dir = modelDir("tiny-roberta-esci");
    assert.equal((await loadTokenizer(dir, { maxLength: 20, maxPositions: 64 })).defaultMaxLength, 20);
    assert.equal((await loadTokenizer(dir, { maxLength: 100, maxPositions: 64 })).defaultMaxLength, 64);
  });

  it("model_max_length below the position table wins", async () => {
    const t = tempModel("tiny-bert-3label", { write: { "tokenizer_config.json": { model_max_length: 24, do_lower_case: true } } });
    cleanups.push(t.cleanup);
    assert.equal((await loadTokenizer(t.dir, { maxPositions: 48 })).defaultMaxLength, 24);
  });

  it("rejects bad options", async () => {
    await assert.rejects(loadTokenizer(modelDir("tiny-bert-3label"), { maxPositions: 0 }), esciError("INVALID_ARGUMENT", "maxPositions"));
    await assert.rejects(loadTokenizer(modelDir("tiny-bert-3label"), { maxLength: 1.5 }), esciError("INVALID_ARGUMENT", "maxLength"));
  });
});
