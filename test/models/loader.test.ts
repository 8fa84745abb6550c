/**
 * Model loading: clear errors for checkpoints esci cannot run, the on-disk cache of built graphs
 * keyed by weights content, and int8 quantization that stays close to fp32.
 */
import assert from "node:assert/strict";
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { prepareOnnxModel } from "../../src/models/loader.js";
import { parseConfig } from "../../src/models/config.js";
import { ALL_FUSIONS } from "../../src/models/encoder.js";
import { fixtureModel, isolateEsciCache, tempDir } from "../helpers/paths.js";

let cache: string;
before(() => {
  cache = isolateEsciCache();
});

function copyFixture(name: string): string {
  const dir = tempDir(`esci-${name}-`);
  cpSync(fixtureModel(name), dir, { recursive: true });
  return dir;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const file = join(dir, "config.json");
  const c = JSON.parse(readFileSync(file, "utf8"));
  edit(c);
  writeFileSync(file, JSON.stringify(c));
}

function throwsCode(fn: () => unknown, code: string, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EsciError, `expected EsciError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("unsupported checkpoints fail with a sentence naming the problem", () => {
  it("unknown model_type", () => {
    const dir = copyFixture("tiny-roberta-esci");
    editConfig(dir, (c) => (c.model_type = "gpt2"));
    throwsCode(() => prepareOnnxModel(dir, "classify"), "UNSUPPORTED", /model_type "gpt2" is not supported \(supported: bert, roberta/);
  });

  it("model_type is checked before any size: an unknown family is named, not its missing hidden_size", () => {
    throwsCode(() => parseConfig({ model_type: "gpt2", n_embd: 8, n_head: 2 }), "UNSUPPORTED", /model_type "gpt2" is not supported/);
  });

  it("an architecture that is not a sequence classifier", () => {
    const dir = copyFixture("tiny-roberta-esci");
    editConfig(dir, (c) => (c.architectures = ["RobertaForMaskedLM"]));
    throwsCode(() => prepareOnnxModel(dir, "classify"), "UNSUPPORTED", /RobertaForMaskedLM is not a sequence classifier/);
  });

  it("an activation HF has but esci does not run", () => {
    throwsCode(
      () => parseConfig({ model_type: "bert", hidden_act: "quick_gelu", hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 10 }),
      "UNSUPPORTED",
      /hidden_act "quick_gelu"/,
    );
  });

  it("relative position embeddings", () => {
    throwsCode(
      () => parseConfig({ model_type: "bert", position_embedding_type: "relative_key", hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 10 }),
      "UNSUPPORTED",
      /position_embedding_type "relative_key"/,
    );
  });

  it("a config whose sizes disagree with the weights names the tensor", () => {
    const dir = copyFixture("tiny-bert-3label");
    editConfig(dir, (c) => (c.intermediate_size = 48));
    throwsCode(() => prepareOnnxModel(dir, "classify"), "CORRUPT_FILE", /tensor "bert\.encoder\.layer\.0\.intermediate\.dense\.weight" .* has shape \[\d+,32\] but config\.json implies \[48,32\]/);
  });

  it("a missing tensor is named", () => {
    const dir = copyFixture("tiny-roberta-esci");
    editConfig(dir, (c) => (c.num_hidden_layers = 3));
    throwsCode(() => prepareOnnxModel(dir, "classify"), "CORRUPT_FILE", /tensor "roberta\.encoder\.layer\.2\.attention\.self\.query\.(weight|bias)" is missing from .*model\.safetensors/);
  });

  it("a directory without config.json", () => {
    const dir = tempDir("esci-empty-");
    throwsCode(() => prepareOnnxModel(dir, "classify"), "NOT_FOUND", /no config\.json in/);
  });
});

describe("built-model cache", () => {
  it("is keyed by the weights' content: same weights hit, changed weights miss", () => {
    const dir = copyFixture("tiny-roberta-esci");
    const a = prepareOnnxModel(dir, "classify");
    const mtime = statSync(a.onnxPath).mtimeMs;
    const b = prepareOnnxModel(dir, "classify");
    assert.equal(b.onnxPath, a.onnxPath);
    assert.equal(statSync(b.onnxPath).mtimeMs, mtime, "a cache hit must not rewrite the model");
    // The same weights copied elsewhere reuse the entry: the key is content, not path.
    const copy = copyFixture("tiny-roberta-esci");
    assert.equal(prepareOnnxModel(copy, "classify").onnxPath, a.onnxPath);
    // Flip one byte of weight data: a different entry.
    const st = join(copy, "model.safetensors");
    const bytes = readFileSync(st);
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(st, bytes);
    assert.notEqual(prepareOnnxModel(copy, "classify").onnxPath, a.onnxPath);
  });

  it("keeps fp32 and int8 builds apart", () => {
    const fp32 = prepareOnnxModel(fixtureModel("tiny-roberta-esci"), "classify");
    const int8 = prepareOnnxModel(fixtureModel("tiny-roberta-esci"), "classify", { quantize: "int8" });
    assert.notEqual(fp32.onnxPath, int8.onnxPath);
    assert.ok(readdirSync(join(cache, "onnx")).length >= 2);
  });

  it("builds int8 with int8's own fusions, and refuses the float32-only feature-major switch there", () => {
    const int8 = prepareOnnxModel(fixtureModel("tiny-roberta-esci"), "classify", { quantize: "int8" });
    const graph = readFileSync(int8.onnxPath);
    assert.ok(graph.includes("DynamicQuantizeMatMul") && !graph.includes("then_branch"), "int8 graph: quantized MatMuls, no If-switched feature-major encoder");
    assert.ok(readFileSync(prepareOnnxModel(fixtureModel("tiny-roberta-esci"), "classify").onnxPath).includes("then_branch"), "fp32 graph: If-switched feature-major encoder");
    assert.throws(
      () => prepareOnnxModel(fixtureModel("tiny-roberta-esci"), "classify", { quantize: "int8", fusion: ALL_FUSIONS }),
      (e: unknown) => e instanceof EsciError && e.code === "INVALID_ARGUMENT" && /featureMajorRows is float32 only/.test(e.message),
    );
  });
});
