/**
 * Token ids identical to transformers 5.18 / tokenizers 0.23 (`AutoTokenizer.from_pretrained`) for
 * five tokenizer kinds — BERT WordPiece, RoBERTa byte-level BPE, XLM-R SentencePiece Unigram with
 * sentencepiece's real precompiled charsmap, DeBERTa-v3 (a hub-style tokenizer.json that transformers
 * 5 rebuilds from the class), ModernBERT byte-level BPE — on 1,091 texts (CJK, emoji, accents, BOM,
 * tabs, control characters, long texts; some right-truncated) and 400 pairs truncated longest_first
 * on one and both sides with odd and even budgets, empty sides included. Generator:
 * scripts/fixtures/make_tokenizer_fixtures.py.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { transformersComponents } from "../../src/tokenizer/classes.js";
import { buildNormalizer } from "../../src/tokenizer/components.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { FIXTURES, readJson } from "./helpers.js";

interface Cases {
  tokenizer_class: string;
  texts: { text: string; max_length?: number; input_ids: number[]; normalized?: string }[];
  pairs: { query: string; product: string; max_length: number; input_ids: number[]; token_type_ids: number[]; early_exit_matters: boolean }[];
}

const KINDS = ["bert", "roberta", "xlmr", "debertav3", "modernbert"];
/** "No truncation" for the untruncated text cases (longer than any fixture text's encoding). */
const UNLIMITED = 1_000_000;

const show = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 60) + "…" : s);

/** Asserts no mismatch, listing the first few with their inputs. */
function assertNone(mismatches: string[], total: number): void {
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${total} differ:\n${mismatches.slice(0, 8).join("\n")}`);
}

for (const kind of KINDS) {
  describe(`${kind}: token ids as transformers 5.18 / tokenizers 0.23`, async () => {
    const dir = join(FIXTURES, "tokenizers", kind);
    const cases = readJson<Cases>(join(FIXTURES, "tokenizers", `${kind}.cases.json`));
    const tok = await loadTokenizer(dir);

    it(`${cases.texts.length} texts (single sequence, some truncated)`, () => {
      assert.ok(cases.texts.length >= 1000);
      const bad: string[] = [];
      for (const c of cases.texts) {
        const got = tok.encodeText(c.text, c.max_length ?? UNLIMITED).inputIds;
        if (JSON.stringify(got) !== JSON.stringify(c.input_ids)) {
          bad.push(`${show(c.text)}${c.max_length ? ` @${c.max_length}` : ""}: got ${JSON.stringify(got)}, want ${JSON.stringify(c.input_ids)}`);
        }
      }
      assertNone(bad, cases.texts.length);
    });

    it(`${cases.pairs.length} pairs, longest_first with tokenizers 0.23's early exit`, () => {
      const bad: string[] = [];
      for (const c of cases.pairs) {
        const got = tok.encodePair(c.query, c.product, c.max_length);
        if (JSON.stringify(got.inputIds) !== JSON.stringify(c.input_ids) || JSON.stringify(got.tokenTypeIds) !== JSON.stringify(c.token_type_ids)) {
          bad.push(`${show(c.query)} / ${show(c.product)} @${c.max_length}: got ${JSON.stringify(got.inputIds)} ${JSON.stringify(got.tokenTypeIds)}, want ${JSON.stringify(c.input_ids)} ${JSON.stringify(c.token_type_ids)}`);
        }
      }
      assertNone(bad, cases.pairs.length);
      // The fixture exercises the early exit: pairs whose ids the pre-0.23 rule (longest_first on
      // the sides' full lengths) gets wrong.
      assert.ok(cases.pairs.filter((c) => c.early_exit_matters).length >= 30);
    });

    const withNormalized = cases.texts.filter((c) => c.normalized !== undefined);
    if (withNormalized.length > 0) {
      it(`the normalizer transformers 5 runs gives the backend's normalized text (${withNormalized.length} texts)`, () => {
        const file = readJson<Record<string, unknown>>(join(dir, "tokenizer.json"));
        const config = readJson<Record<string, unknown>>(join(dir, "tokenizer_config.json"));
        const modelType = readJson<{ model_type: string }>(join(dir, "config.json")).model_type;
        const cls = typeof config.tokenizer_class === "string" ? config.tokenizer_class.replace(/Fast$/, "") : null;
        const normalize = buildNormalizer(transformersComponents(cls, modelType, config, file).normalizer, dir);
        assert.ok(normalize);
        const bad = withNormalized.filter((c) => normalize(c.text) !== c.normalized).map((c) => `${show(c.text)}: got ${JSON.stringify(normalize(c.text))}, want ${JSON.stringify(c.normalized)}`);
        assertNone(bad, withNormalized.length);
      });
    }
  });
}
