/**
 * DistilBERT, ELECTRA and ModernBERT against transformers and sentence-transformers themselves
 * (scripts/fixtures/make_arch_fixtures.py: checkpoints written by save_pretrained, references from
 * CrossEncoder.predict / SentenceTransformer.encode), one fixture per head or pooling variant,
 * stored in float32, float16 and bfloat16: token ids identical; logits and embeddings within 1e-4
 * on the reference ids for every fusion variant and end to end through the public API; int8
 * within a loose bound (its own accuracy is measured in test/models/int8.test.ts).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { BiEncoder } from "../../src/models/bi-encoder.js";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { ALL_FUSIONS, INT8_FUSIONS, NO_FUSION, type FusionOptions } from "../../src/models/encoder.js";
import { prepareOnnxModel } from "../../src/models/loader.js";
import { OnnxSession } from "../../src/onnx/session.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { FIXTURES, fixtureModel, fixtureReference, isolateEsciCache } from "../helpers/paths.js";

interface Case {
  query?: string;
  product?: string;
  text?: string;
  max_length?: number;
  input_ids: number[];
  token_type_ids?: number[];
  logits?: number[];
  embedding?: number[];
}
interface Reference { dtype: string; max_length: number; pooling?: string; cases: Case[] }

const NAMES = readdirSync(join(FIXTURES, "reference"))
  .filter((f) => f.startsWith("arch-"))
  .map((f) => f.replace(/\.json$/, ""));

const VARIANTS: Array<[string, FusionOptions]> = [
  ["plain ops", NO_FUSION],
  ["default fusions", ALL_FUSIONS],
  ["int8's fusions in float32", INT8_FUSIONS],
  ["feature-major at every size", { ...ALL_FUSIONS, featureMajorRows: 1e6 }],
  ["row-major Gemm FFN, all tokens in the last block", { ...ALL_FUSIONS, firstTokenLastLayer: false, featureMajorRows: 0 }],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "length");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Right-padded feeds; token_type_ids (from the reference, else 0) when the graph takes them. */
function feeds(rows: Case[], pad: number, withTypes: boolean) {
  const T = Math.max(...rows.map((r) => r.input_ids.length));
  const dims = [rows.length, T];
  const ids = new BigInt64Array(rows.length * T).fill(BigInt(pad));
  const mask = new BigInt64Array(rows.length * T);
  const types = new BigInt64Array(rows.length * T);
  rows.forEach((r, b) =>
    r.input_ids.forEach((id, t) => {
      ids[b * T + t] = BigInt(id);
      mask[b * T + t] = 1n;
      types[b * T + t] = BigInt(r.token_type_ids?.[t] ?? 0);
    }),
  );
  const f: Record<string, { data: BigInt64Array; dims: number[] }> = { input_ids: { data: ids, dims }, attention_mask: { data: mask, dims } };
  if (withTypes) f.token_type_ids = { data: types, dims };
  return f;
}

const expected = (c: Case) => (c.logits ?? c.embedding)!;


before(() => isolateEsciCache());

assert.ok(NAMES.length >= 18, `expected the 18 arch-* references, found ${NAMES.length}`);

for (const name of NAMES) {
  const ref = fixtureReference<Reference>(name);
  const task = ref.pooling ? "embed" : "classify";
  const dir = fixtureModel(name);
  describe(`${name} (${task}, ${ref.dtype})`, () => {
    it("token ids identical to the checkpoint's own tokenizer in transformers", async () => {
      const m = prepareOnnxModel(dir, task);
      const tok = await loadTokenizer(dir, { maxPositions: m.family.maxTokens(m.config), maxLength: m.st?.maxSeqLength });
      for (const [i, c] of ref.cases.entries()) {
        const enc = c.text !== undefined ? tok.encodeText(c.text, c.max_length) : tok.encodePair(c.query!, c.product!, c.max_length);
        const what = `case ${i} ${JSON.stringify(c.text ?? [c.query, c.product])} (max_length ${c.max_length ?? "default"})`;
        assert.deepEqual(enc.inputIds, c.input_ids, what);
        if (c.token_type_ids) assert.deepEqual(enc.tokenTypeIds, c.token_type_ids, `${what}: token types`);
      }
    });

    for (const [variant, fusion] of VARIANTS) {
      it(`${variant}: outputs within 1e-4 on the reference ids, padded batch == single rows`, async () => {
        const m = prepareOnnxModel(dir, task, { fusion });
        const s = await OnnxSession.create(m.onnxPath, { threads: 1 });
        const singles: Float32Array[] = [];
        for (const [i, c] of ref.cases.entries()) {
          const out = await s.run(feeds([c], m.config.padTokenId, m.family.usesTokenTypeIds), m.outputName);
          const d = maxAbsDiff(out.data, expected(c));
          assert.ok(d <= 1e-4, `case ${i}: |Δ| ${d.toExponential(2)} > 1e-4`);
          singles.push(out.data);
        }
        const batch = await s.run(feeds(ref.cases, m.config.padTokenId, m.family.usesTokenTypeIds), m.outputName);
        const W = m.outputWidth;
        singles.forEach((row, i) => assert.ok(maxAbsDiff(batch.data.subarray(i * W, (i + 1) * W), row) <= 1e-5, `batched row ${i}`));
        await s.release();
      });
    }

    it("int8: quantizes the blocks' MatMuls and stays near float32", async () => {
      const m = prepareOnnxModel(dir, task, { quantize: "int8" });
      const s = await OnnxSession.create(m.onnxPath, { threads: 1 });
      let worst = 0;
      for (const c of ref.cases) worst = Math.max(worst, maxAbsDiff((await s.run(feeds([c], m.config.padTokenId, m.family.usesTokenTypeIds), m.outputName)).data, expected(c)));
      await s.release();
      assert.ok(worst > 0 && worst < 0.1, `int8 max |Δ| ${worst}`);
    });

    it("public API end to end: text in, outputs within 1e-4 of sentence-transformers", async () => {
      if (task === "classify") {
        const ce = await CrossEncoder.load(dir);
        for (const [i, c] of ref.cases.entries()) {
            const [p] = await ce.predict([[c.query!, c.product!]], { maxLength: c.max_length });
          assert.ok(maxAbsDiff(p.logits, c.logits!) <= 1e-4, `case ${i}`);
        }
        await ce.dispose();
      } else {
        const be = await BiEncoder.load(dir);
        for (const [i, c] of ref.cases.entries()) {
          const [e] = await be.embed([c.text!], { maxLength: c.max_length });
          assert.ok(maxAbsDiff(e, c.embedding!) <= 1e-4, `case ${i}`);
        }
        await be.dispose();
      }
    });
  });
}
