/**
 * DeBERTa-v2 pieces the fixture models cannot pin down alone: the relative-position gather table
 * (log buckets in float32) against transformers' own build_relative_position at DeBERTa-v3-base's
 * size (256 buckets over 512 positions) and the fixtures' settings, and config.json errors. The
 * models themselves are checked end to end in architectures.test.ts (arch-*deberta* fixtures).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { parseConfig } from "../../src/models/config.js";
import { debertaV2Extra, parseDebertaV2Extra } from "../../src/models/deberta-v2/config.js";
import { relativeIndexTables } from "../../src/models/deberta-v2/encoder.js";
import { FIXTURES } from "../tokenizer/helpers.js";

const BASE = {
  model_type: "deberta-v2",
  vocab_size: 100,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 512,
  relative_attention: true,
  pos_att_type: "p2c|c2p",
};

describe("DeBERTa-v2 relative positions", () => {
  const ref = JSON.parse(readFileSync(join(FIXTURES, "reference", "deberta-v2-relative-positions.json"), "utf8")) as { c2p: Record<string, number[]> };
  for (const [key, expected] of Object.entries(ref.c2p)) {
    it(`c2p / p2c gather indices as transformers (position_buckets, max_relative_positions, M = ${key})`, () => {
      const [buckets, maxRel, m] = key.split(",").map(Number);
      const ex = parseDebertaV2Extra({ ...BASE, max_position_embeddings: m, position_buckets: buckets, max_relative_positions: maxRel }, "config.json");
      const tables = relativeIndexTables(ex, m);
      assert.deepEqual(tables.c2p, expected);
      // p2c uses −δ(d) = δ(−d) (δ is odd in d): the c2p table read backwards.
      assert.deepEqual(tables.p2c, [...expected].reverse());
    });
  }
});

describe("DeBERTa-v2 config.json", () => {
  const fails = (raw: Record<string, unknown>, code: string, ...fragments: string[]) =>
    assert.throws(
      () => parseConfig(raw, "ckpt/config.json"),
      (e: unknown) => e instanceof EsciError && e.code === code && fragments.every((f) => e.message.includes(f)),
    );

  it("reads DebertaV2Config's defaults and both spellings of list options", () => {
    const cfg = parseConfig({ ...BASE, pos_att_type: ["c2p"], norm_rel_ebd: "layer_norm" });
    assert.equal(cfg.layerNormEps, 1e-7);
    assert.equal(cfg.typeVocabSize, 0);
    const ex = debertaV2Extra(cfg);
    assert.deepEqual([ex.c2p, ex.p2c, ex.normRelEmbeddings, ex.positionBiasedInput, ex.shareAttKey, ex.attSpan, ex.convAct], [true, false, true, true, false, 512, "tanh"]);
    const v3 = parseDebertaV2Extra({ ...BASE, position_buckets: 256, max_relative_positions: -1 }, "config.json");
    assert.deepEqual([v3.c2p, v3.p2c, v3.attSpan, v3.maxRelativePositions], [true, true, 256, 512]);
  });

  it("refuses what it cannot compute, naming the field", () => {
    fails({ ...BASE, pos_att_type: ["c2p", "p2p"] }, "UNSUPPORTED", "ckpt/config.json", "pos_att_type", "p2p");
    fails({ ...BASE, conv_kernel_size: 4 }, "UNSUPPORTED", "conv_kernel_size 4");
    fails({ ...BASE, conv_kernel_size: 3, conv_groups: 5 }, "CORRUPT_FILE", "conv_groups 5");
    fails({ ...BASE, share_att_key: "yes" }, "CORRUPT_FILE", "share_att_key");
    fails({ ...BASE, pooler_hidden_act: "mish" }, "UNSUPPORTED", "pooler_hidden_act");
  });
});
