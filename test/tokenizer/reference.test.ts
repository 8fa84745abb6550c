/**
 * Every fixture × every reference case: input_ids (and BERT token_type_ids) identical to the
 * independent Python reference of HF's fast tokenizers (scripts/fixtures/make_fixtures.py).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { maxPositions, modelDir, readJson, reference, type PairCase, type TextCase } from "./helpers.js";
import { join } from "node:path";

const CLASSIFIERS = ["tiny-roberta-esci", "tiny-bert-3label", "tiny-bert-1logit"];
const BI_ENCODERS = ["tiny-st-roberta", "tiny-st-bert-cls", "tiny-st-bert-max"];

const label = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);

for (const name of CLASSIFIERS) {
  describe(`${name}: pair encodings match the reference`, async () => {
    const ref = reference<PairCase>(name);
    const tok = await loadTokenizer(modelDir(name), { maxPositions: maxPositions(name) });
    const isRoberta = name.includes("roberta");

    it("default max length is model_max_length capped by the position table", () => {
      assert.equal(tok.defaultMaxLength, ref.max_length);
    });

    for (const [i, c] of ref.cases.entries()) {
      it(`case ${i}: ${label(c.query)} / ${label(c.product)}${c.max_length ? ` @${c.max_length}` : ""}`, () => {
        const enc = tok.encodePair(c.query, c.product, c.max_length);
        assert.deepEqual(enc.inputIds, c.input_ids);
        // BERT: the template's 0…0 1…1; RoBERTa: every type id 0 (RobertaProcessing).
        assert.deepEqual(enc.tokenTypeIds, isRoberta ? new Array(c.input_ids.length).fill(0) : c.token_type_ids);
      });
    }

    it("encodePairs (batch) equals encodePair one by one", () => {
      const plain = ref.cases.filter((c) => c.max_length === undefined);
      const batch = tok.encodePairs(plain.map((c) => [c.query, c.product] as const));
      assert.deepEqual(
        batch.map((e) => e.inputIds),
        plain.map((c) => c.input_ids),
      );
    });
  });
}

for (const name of BI_ENCODERS) {
  describe(`${name}: text encodings match the reference`, async () => {
    const ref = reference<TextCase>(name);
    const st = readJson<{ max_seq_length: number }>(join(modelDir(name), "sentence_bert_config.json"));
    const tok = await loadTokenizer(modelDir(name), { maxPositions: maxPositions(name), maxLength: st.max_seq_length });

    it("default max length is sentence-transformers' max_seq_length", () => {
      assert.equal(tok.defaultMaxLength, ref.max_length);
    });

    for (const [i, c] of ref.cases.entries()) {
      it(`case ${i}: ${label(c.text)}${c.max_length ? ` @${c.max_length}` : ""}`, () => {
        const enc = tok.encodeText(c.text, c.max_length);
        assert.deepEqual(enc.inputIds, c.input_ids);
        assert.deepEqual(enc.tokenTypeIds, new Array(c.input_ids.length).fill(0));
      });
    }

    it("encodeTexts (batch) equals encodeText one by one", () => {
      const plain = ref.cases.filter((c) => c.max_length === undefined);
      assert.deepEqual(
        tok.encodeTexts(plain.map((c) => c.text)).map((e) => e.inputIds),
        plain.map((c) => c.input_ids),
      );
    });
  });
}
