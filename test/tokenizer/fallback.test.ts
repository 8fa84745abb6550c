/**
 * Checkpoints without tokenizer.json: the tokenizer built from vocab.json + merges.txt or vocab.txt
 * must encode exactly as the tokenizer.json equivalent (kept as a fixture, or written here).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadTokenizer, type PairTokenizer } from "../../src/tokenizer/index.js";
import { maxPositions, modelDir, readJson, reference, tempModel, type PairCase, type TextCase } from "./helpers.js";

const EXTRA = [
  "",
  " ",
  "  leading and trailing  ",
  "Ünïcödé ÀÉÎÕÜ ñ ç ß",
  "naïve café — résumé",
  "中文 手机壳abc透明",
  "\u{20000}x\u{20001}",
  "ΟΔΟΣ ΣΟΦΙΑΣ",
  "😀👍🏽 👨‍👩‍👧 ❤️",
  "tabs\tand\nnewlines\r\n  spaces",
  "UPPER lower MiXeD 123 4.5oz 2-pack $9.99 €5",
  "phone <mask> case [MASK] </s> <s> [SEP]",
  "x".repeat(150),
];

/** Every query, product and text of the references, plus EXTRA. */
function corpus(): string[] {
  const out = new Set<string>(EXTRA);
  for (const name of ["tiny-roberta-esci", "tiny-bert-3label"]) for (const c of reference<PairCase>(name).cases) out.add(c.query).add(c.product);
  for (const c of reference<TextCase>("tiny-st-roberta").cases) out.add(c.text);
  return [...out];
}

function assertSameEncodings(a: PairTokenizer, b: PairTokenizer, maxLength = 512): void {
  const texts = corpus();
  for (const t of texts) assert.deepEqual(a.encodeText(t, maxLength), b.encodeText(t, maxLength), `text ${JSON.stringify(t)}`);
  for (let i = 0; i < texts.length; i++) {
    const q = texts[i];
    const p = texts[(i * 7 + 3) % texts.length];
    for (const m of [maxLength, 9, 10]) assert.deepEqual(a.encodePair(q, p, m), b.encodePair(q, p, m), `pair ${JSON.stringify([q, p])} @${m}`);
  }
  assert.equal(a.padTokenId, b.padTokenId);
  assert.equal(a.vocabSize, b.vocabSize);
}

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));
function temp(from: string | null, opts: Parameters<typeof tempModel>[1]): string {
  const t = tempModel(from, opts);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("vocab.json + merges.txt (RoBERTa) fallback", () => {
  it("equals tokenizer.json on the same checkpoint", async () => {
    const fast = await loadTokenizer(modelDir("tiny-roberta-esci"));
    const slow = await loadTokenizer(temp("tiny-roberta-esci", { drop: ["tokenizer.json"] }));
    assert.match(fast.source, /tokenizer\.json$/);
    assert.match(slow.source, /vocab\.json \+ .*merges\.txt$/);
    assertSameEncodings(fast, slow);
  });

  it("tiny-st-roberta (slow files only) equals the tokenizer.json of the same vocab and merges", async () => {
    const slow = await loadTokenizer(modelDir("tiny-st-roberta"));
    const fast = await loadTokenizer(temp("tiny-st-roberta", { write: { "tokenizer.json": readJson(join(modelDir("tiny-roberta-esci"), "tokenizer.json")) } }));
    assert.match(fast.source, /tokenizer\.json$/);
    assertSameEncodings(fast, slow);
  });

  it("works from the files alone (no tokenizer_config.json, no special_tokens_map.json)", async () => {
    const fast = await loadTokenizer(modelDir("tiny-roberta-esci"));
    const bare = await loadTokenizer(temp("tiny-roberta-esci", { drop: ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] }));
    assertSameEncodings(fast, bare);
  });

  it("GPT2Tokenizer: no special tokens, the pair concatenated with type ids 0 then 1", async () => {
    const tok = await loadTokenizer(
      temp("tiny-roberta-esci", { drop: ["tokenizer.json", "special_tokens_map.json"], write: { "tokenizer_config.json": { tokenizer_class: "GPT2Tokenizer", model_max_length: 1024 } } }),
    );
    const roberta = await loadTokenizer(modelDir("tiny-roberta-esci"));
    const a = roberta.encodeText("water bottle").inputIds.slice(1, -1);
    const b = roberta.encodeText("16 oz").inputIds.slice(1, -1);
    assert.deepEqual(tok.encodePair("water bottle", "16 oz"), {
      inputIds: [...a, ...b],
      tokenTypeIds: [...a.map(() => 0), ...b.map(() => 1)],
    });
    assert.equal(tok.defaultMaxLength, 1024);
  });
});

describe("vocab.txt (BERT) fallback", () => {
  const bertJson = () => readJson<Record<string, any>>(join(modelDir("tiny-bert-3label"), "tokenizer.json"));

  it("equals tokenizer.json on the same checkpoint", async () => {
    const fast = await loadTokenizer(modelDir("tiny-bert-3label"));
    const slow = await loadTokenizer(temp("tiny-bert-3label", { drop: ["tokenizer.json"] }));
    assert.match(slow.source, /vocab\.txt$/);
    assertSameEncodings(fast, slow);
  });

  it("tiny-bert-1logit (strip_accents false) equals a tokenizer.json with strip_accents false", async () => {
    const json = bertJson();
    json.normalizer.strip_accents = false;
    const fast = await loadTokenizer(temp("tiny-bert-1logit", { write: { "tokenizer.json": json } }));
    const slow = await loadTokenizer(modelDir("tiny-bert-1logit"));
    assertSameEncodings(fast, slow);
    // …and the option is honoured: accents kept, unlike the uncased default.
    const uncased = await loadTokenizer(modelDir("tiny-bert-3label"));
    assert.notDeepEqual(slow.encodeText("café"), uncased.encodeText("café"));
  });

  for (const [option, value, field, fieldValue] of [
    ["do_lower_case", false, "lowercase", false],
    ["tokenize_chinese_chars", false, "handle_chinese_chars", false],
    ["strip_accents", false, "strip_accents", false],
  ] as const) {
    it(`honours ${option}: ${value} like a tokenizer.json with ${field}: ${fieldValue}`, async () => {
      const config = { ...readJson(join(modelDir("tiny-bert-3label"), "tokenizer_config.json")), [option]: value };
      const json = bertJson();
      json.normalizer[field] = fieldValue;
      const slow = await loadTokenizer(temp("tiny-bert-3label", { drop: ["tokenizer.json"], write: { "tokenizer_config.json": config } }));
      const fast = await loadTokenizer(temp("tiny-bert-3label", { write: { "tokenizer.json": json, "tokenizer_config.json": config } }));
      assertSameEncodings(fast, slow);
      const plain = await loadTokenizer(modelDir("tiny-bert-3label"));
      const probe = "Café 手机壳 ÀB";
      assert.notDeepEqual(slow.encodeText(probe), plain.encodeText(probe), "the option changes the encoding");
    });
  }

  it("an explicit do_lower_case in tokenizer_config.json overrides tokenizer.json, as BertTokenizerFast.__init__ does", async () => {
    const config = { ...readJson(join(modelDir("tiny-bert-3label"), "tokenizer_config.json")), do_lower_case: false };
    // tokenizer.json says lowercase: true, the config says do_lower_case: false → cased.
    const overridden = await loadTokenizer(temp("tiny-bert-3label", { write: { "tokenizer_config.json": config } }));
    const json = bertJson();
    json.normalizer.lowercase = false;
    const cased = await loadTokenizer(temp("tiny-bert-3label", { write: { "tokenizer.json": json, "tokenizer_config.json": config } }));
    const enc = overridden.encodeText("Wireless HEADPHONES");
    assert.deepEqual(enc, cased.encodeText("Wireless HEADPHONES"));
    // The vocab is lower case, so cased words are [UNK] (id 1): [CLS] [UNK] [UNK] [SEP].
    assert.deepEqual(enc.inputIds, [2, 1, 1, 3]);
    // Without the key, tokenizer.json's own setting stands.
    const { do_lower_case: _, ...withoutKey } = config;
    const plain = await loadTokenizer(temp("tiny-bert-3label", { write: { "tokenizer_config.json": withoutKey } }));
    assert.notDeepEqual(plain.encodeText("Wireless HEADPHONES").inputIds, [2, 1, 1, 3]);
  });
});
