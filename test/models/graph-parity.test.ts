/**
 * The ONNX graphs esci builds from config + safetensors reproduce the independent PyTorch
 * reference (scripts/fixtures/make_fixtures.py) on the reference token ids: logits and sentence
 * embeddings within 1e-4, for every fusion variant; and a padded batch equals single rows.
 */
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { prepareOnnxModel } from "../../src/models/loader.js";
import { ALL_FUSIONS, INT8_FUSIONS, NO_FUSION, type FusionOptions } from "../../src/models/encoder.js";
import { OnnxSession } from "../../src/onnx/session.js";
import { fixtureModel, fixtureReference, isolateEsciCache } from "../helpers/paths.js";

interface ClassifierCase { query: string; product: string; input_ids: number[]; token_type_ids?: number[]; logits: number[] }
interface EmbedCase { text: string; input_ids: number[]; embedding: number[] }

const VARIANTS: Array<[string, FusionOptions]> = [
  ["plain ops", NO_FUSION],
  ["default fusions (Attention; whole encoder feature-major up to 128 rows)", ALL_FUSIONS],
  ["int8's fusions, in float32 (MultiHeadAttention, row-major MatMul FFN)", INT8_FUSIONS],
  ["com.microsoft Attention", { attention: "Attention", skipLayerNorm: true, gelu: true }],
  ["feature-major at every size", { ...ALL_FUSIONS, featureMajorRows: 1e6 }],
  ["feature-major at every size, plain activation ops", { ...ALL_FUSIONS, gelu: false, featureMajorRows: 1e6 }],
  ["feature-major at every size, all tokens in the last block", { ...ALL_FUSIONS, firstTokenLastLayer: false, featureMajorRows: 1e6 }],
  ["row-major side of the switch (Gemm FFN)", { ...ALL_FUSIONS, featureMajorRows: 0 }],
  ["row-major side with MultiHeadAttention and the plain activation ops", { ...INT8_FUSIONS, gelu: false, featureMajorRows: 0 }],
];

function feeds(rows: Array<{ input_ids: number[]; token_type_ids?: number[] }>, pad: number, withTypes: boolean) {
  const T = Math.max(...rows.map((r) => r.input_ids.length));
  const B = rows.length;
  const ids = new BigInt64Array(B * T).fill(BigInt(pad));
  const mask = new BigInt64Array(B * T);
  const types = new BigInt64Array(B * T);
  rows.forEach((r, b) =>
    r.input_ids.forEach((id, t) => {
      ids[b * T + t] = BigInt(id);
      mask[b * T + t] = 1n;
      types[b * T + t] = BigInt(r.token_type_ids?.[t] ?? 0);
    }),
  );
  const f: Record<string, { data: BigInt64Array; dims: number[] }> = {
    input_ids: { data: ids, dims: [B, T] },
    attention_mask: { data: mask, dims: [B, T] },
  };
  if (withTypes) f.token_type_ids = { data: types, dims: [B, T] };
  return f;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assert.ok(d <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|Δ| ${d.toExponential(2)} > ${tol})`);
  }
}

const CLASSIFIERS = ["tiny-roberta-esci", "tiny-bert-3label", "tiny-bert-1logit"];
const EMBEDDERS = ["tiny-st-roberta", "tiny-st-bert-cls", "tiny-st-bert-max"];

before(() => isolateEsciCache());

for (const [variant, fusion] of VARIANTS) {
  describe(`graph parity with PyTorch — ${variant}`, () => {
    for (const name of CLASSIFIERS) {
      it(`${name}: logits within 1e-4, batch == single within 1e-5`, async () => {
        const ref = fixtureReference<{ cases: ClassifierCase[] }>(name);
        const m = prepareOnnxModel(fixtureModel(name), "classify", { fusion });
        const s = await OnnxSession.create(m.onnxPath, { threads: 1 });
        const withTypes = m.family.usesTokenTypeIds;
        const singles: Float32Array[] = [];
        for (const [i, c] of ref.cases.entries()) {
          const out = await s.run(feeds([c], m.config.padTokenId, withTypes), "logits");
          assertClose(out.data, c.logits, 1e-4, `${name} case ${i} (${JSON.stringify(c.query)})`);
          singles.push(out.data);
        }
        const batch = await s.run(feeds(ref.cases, m.config.padTokenId, withTypes), "logits");
        const L = m.outputWidth;
        singles.forEach((row, i) => assertClose(batch.data.subarray(i * L, (i + 1) * L), row, 1e-5, `${name} batched row ${i}`));
        await s.release();
      });
    }
    for (const name of EMBEDDERS) {
      it(`${name}: sentence embeddings within 1e-4, batch == single within 1e-5`, async () => {
        const ref = fixtureReference<{ cases: EmbedCase[] }>(name);
        const m = prepareOnnxModel(fixtureModel(name), "embed", { fusion });
        const s = await OnnxSession.create(m.onnxPath, { threads: 1 });
        const withTypes = m.family.usesTokenTypeIds;
        const singles: Float32Array[] = [];
        for (const [i, c] of ref.cases.entries()) {
          const out = await s.run(feeds([c], m.config.padTokenId, withTypes), "sentence_embedding");
          assertClose(out.data, c.embedding, 1e-4, `${name} case ${i}`);
          singles.push(out.data);
        }
        const batch = await s.run(feeds(ref.cases, m.config.padTokenId, withTypes), "sentence_embedding");
        const D = m.outputWidth;
        singles.forEach((row, i) => assertClose(batch.data.subarray(i * D, (i + 1) * D), row, 1e-5, `${name} batched row ${i}`));
        await s.release();
      });
    }
  });
}
