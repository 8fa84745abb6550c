/**
 * Token strings worked out by hand from the algorithms (GPT-2 byte mapping, "Ġ" for a leading
 * space, WordPiece "##" continuations), independent of the Python reference.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadTokenizer, type PairTokenizer } from "../../src/tokenizer/index.js";
import { inverseVocab, modelDir } from "./helpers.js";

function tokensOf(tok: PairTokenizer, inv: Map<number, string>) {
  return (text: string) => tok.encodeText(text, 1000).inputIds.slice(1, -1).map((id) => inv.get(id));
}

describe("byte-level BPE (tiny-roberta-esci)", async () => {
  const tok = await loadTokenizer(modelDir("tiny-roberta-esci"));
  const inv = inverseVocab("tiny-roberta-esci");
  const tokens = tokensOf(tok, inv);

  it("maps bytes through GPT-2's bytes_to_unicode", () => {
    assert.deepEqual(tokens(" "), ["Ġ"]); // 0x20 → U+0120
    assert.deepEqual(tokens("\t"), ["ĉ"]); // 0x09 → U+0100 + 9
    assert.equal(tokens("é").join(""), "Ã©"); // UTF-8 C3 A9 → "Ã" "©"
    assert.equal(tokens("😀").join(""), "ðŁĺĢ"); // F0 9F 98 80
  });

  it("marks a word's leading space with Ġ, and only there", () => {
    const t = tokens("wireless headphones") as string[];
    assert.equal(t.join(""), "wirelessĠheadphones");
    // The first token of the second word (after the pieces spelling "wireless") starts with Ġ,
    // and no other token contains one.
    let k = 0;
    for (let spelled = ""; spelled !== "wireless"; k++) spelled += t[k];
    assert.ok(t[k].startsWith("Ġ"));
    assert.deepEqual(t.filter((x) => x.includes("Ġ")), [t[k]]);
    // "ĠW ater" is a learned merge, so " Water" is one token while "Water" is not "ĠWater".
    assert.deepEqual(tokens(" Water"), ["ĠWater"]);
    assert.equal(tokens("Water").join(""), "Water");
    // Runs of spaces: all but the last become their own piece (\s+(?!\S)), the last prefixes the word.
    assert.equal(tokens("a   b").join(""), "aĠĠĠb");
    assert.equal(tokens("a   b").at(-1), "Ġb");
  });

  it("matches special tokens in the text; <mask> swallows the space before it (lstrip)", () => {
    const t = tokens("phone <mask> case");
    assert.equal(t[0], "phone");
    assert.equal(t[1], "<mask>");
    assert.ok(t[2]?.startsWith("Ġc"));
    assert.equal(tok.encodeText("<s>").inputIds.join(), "0,0,2");
  });

  it("frames a pair as <s> A </s></s> B </s>", () => {
    const a = tok.encodeText("tea", 100).inputIds.slice(1, -1);
    const b = tok.encodeText("green tea", 100).inputIds.slice(1, -1);
    assert.deepEqual(tok.encodePair("tea", "green tea").inputIds, [0, ...a, 2, 2, ...b, 2]);
  });
});

describe("WordPiece (tiny-bert-3label, uncased)", async () => {
  const tok = await loadTokenizer(modelDir("tiny-bert-3label"));
  const inv = inverseVocab("tiny-bert-3label");
  const tokens = tokensOf(tok, inv);

  it("splits words greedily, longest match first, with ## continuations", () => {
    assert.deepEqual(tokens("wireless headphones"), ["wire", "##less", "head", "##phone", "##s"]);
    assert.deepEqual(tokens("ZZZQ"), ["z", "##z", "##z", "##q"]);
  });

  it("lowercases and strips accents; splits punctuation and CJK characters", () => {
    assert.deepEqual(tokens("CAFÉ"), ["cafe"]);
    assert.deepEqual(tokens("a.b-c"), ["a", ".", "b", "-", "c"]);
    assert.deepEqual(tokens("手机壳"), ["手", "机", "壳"]);
  });

  it("gives [UNK] to a word with an unknown character, or over 100 characters", () => {
    assert.deepEqual(tokens("😀"), ["[UNK]"]);
    assert.equal(tokens("x".repeat(100)).length, 100);
    assert.deepEqual(tokens("x".repeat(101)), ["[UNK]"]);
  });

  it("behaves as the Rust BertNormalizer where the JS library alone would not", () => {
    // A CJK character outside the BMP is its own word (Rust pads every CJK char with spaces).
    assert.deepEqual(tokens("x\u{20000}y"), ["x", "[UNK]", "y"]);
    // Rust lowercases per character: a final capital sigma becomes σ, not ς.
    assert.deepEqual(tokens("ΟΔΟΣ"), ["ο", "##δ", "##ο", "##σ"]);
  });

  it("frames a pair as [CLS] A [SEP] B [SEP] with token types 0…0 1…1", () => {
    const enc = tok.encodePair("green tea", "organic tea");
    assert.deepEqual(enc.inputIds.map((id) => inv.get(id)), ["[CLS]", "green", "tea", "[SEP]", "organic", "tea", "[SEP]"]);
    assert.deepEqual(enc.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1]);
  });
});

describe("WordPiece keeping accents (tiny-bert-1logit, vocab.txt with strip_accents false)", async () => {
  const tok = await loadTokenizer(modelDir("tiny-bert-1logit"));
  const tokens = tokensOf(tok, inverseVocab("tiny-bert-1logit"));

  it("lowercases but keeps é", () => {
    assert.deepEqual(tokens("CAFÉ"), ["caf", "##é"]);
  });
});
