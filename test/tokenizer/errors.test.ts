/** Missing or bad tokenizer files → an EsciError whose message names the file at fault. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { esciError, modelDir, readJson, tempModel } from "./helpers.js";

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));
function temp(from: string | null, opts: Parameters<typeof tempModel>[1] = {}): string {
  const t = tempModel(from, opts);
  cleanups.push(t.cleanup);
  return t.dir;
}

const robertaJson = () => readJson<Record<string, any>>(join(modelDir("tiny-roberta-esci"), "tokenizer.json"));

describe("missing files → NOT_FOUND", () => {
  it("a directory that does not exist", async () => {
    await assert.rejects(loadTokenizer("/nonexistent/esci-model"), esciError("NOT_FOUND", "/nonexistent/esci-model"));
  });

  it("a directory with no tokenizer file names tokenizer.json and the slow alternatives", async () => {
    const dir = temp(null, { write: { "config.json": {} } });
    await assert.rejects(loadTokenizer(dir), esciError("NOT_FOUND", dir, "tokenizer.json", "vocab.txt", "merges.txt"));
  });

  it("vocab.json without merges.txt names merges.txt", async () => {
    const dir = temp("tiny-st-roberta", { drop: ["merges.txt"] });
    await assert.rejects(loadTokenizer(dir), esciError("NOT_FOUND", join(dir, "merges.txt")));
  });
});

describe("bad files → CORRUPT_FILE", () => {
  it("tokenizer.json that is not JSON", async () => {
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": '{"version": "1.0", "model": ' } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "not valid JSON"));
  });

  it("tokenizer.json that is a JSON list", async () => {
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": "[1, 2]" } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "JSON object"));
  });

  it("tokenizer.json that is a directory", async () => {
    const dir = temp("tiny-bert-1logit");
    mkdirSync(join(dir, "tokenizer.json"));
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json")));
  });

  it("tokenizer.json without a model", async () => {
    const { model: _, ...json } = robertaJson();
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "model"));
  });

  it("a BPE merge over tokens missing from the vocab", async () => {
    const json = robertaJson();
    json.model.merges.push("Ġzq xj");
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "merges", "Ġzq"));
  });

  it("a RobertaProcessing sep without its id", async () => {
    const json = robertaJson();
    json.post_processor.sep = ["</s>"];
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "post_processor.sep"));
  });

  it("a TemplateProcessing piece naming an undeclared special token", async () => {
    const json = readJson<Record<string, any>>(join(modelDir("tiny-bert-3label"), "tokenizer.json"));
    delete json.post_processor.special_tokens["[SEP]"];
    const dir = temp("tiny-bert-3label", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "[SEP]"));
  });

  it("tokenizer_config.json that is not JSON", async () => {
    const dir = temp("tiny-bert-3label", { write: { "tokenizer_config.json": "{model_max_length: 512}" } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer_config.json")));
  });

  it("special_tokens_map.json that is not JSON", async () => {
    const dir = temp("tiny-bert-3label", { write: { "special_tokens_map.json": "" } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "special_tokens_map.json")));
  });

  it("merges.txt with a malformed line names the file and line", async () => {
    const merges = readFileSync(join(modelDir("tiny-st-roberta"), "merges.txt"), "utf8").split("\n");
    merges.splice(3, 0, "Ġ a b");
    const dir = temp("tiny-st-roberta", { write: { "merges.txt": merges.join("\n") } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "merges.txt"), "line 4"));
  });

  it("merges.txt with a token missing from vocab.json", async () => {
    const text = readFileSync(join(modelDir("tiny-st-roberta"), "merges.txt"), "utf8");
    const dir = temp("tiny-st-roberta", { write: { "merges.txt": text + "zzqx yyq\n" } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "merges.txt"), "zzqx"));
  });

  it("vocab.json with a non-integer id", async () => {
    const vocab = readJson(join(modelDir("tiny-st-roberta"), "vocab.json"));
    const dir = temp("tiny-st-roberta", { write: { "vocab.json": { ...vocab, oops: "7" } } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "vocab.json"), "oops"));
  });

  it("an empty vocab.txt", async () => {
    const dir = temp("tiny-bert-1logit", { write: { "vocab.txt": "" } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "vocab.txt"), "empty"));
  });

  it("an unparsable added_tokens list", async () => {
    const json = robertaJson();
    json.added_tokens = { "<s>": 0 };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "added_tokens"));
  });
});

describe("unknown kinds → UNSUPPORTED", () => {
  it("a tokenizer model type the library does not implement", async () => {
    const json = robertaJson();
    json.model = { type: "WordLevel", vocab: { a: 0 }, unk_token: "a" };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("UNSUPPORTED", join(dir, "tokenizer.json"), "WordLevel"));
  });

  it("an unknown normalizer or pre-tokenizer type, where the file's own is used", async () => {
    // PreTrainedTokenizerFast runs tokenizer.json as written (transformers 5).
    const config = { ...readJson(join(modelDir("tiny-roberta-esci"), "tokenizer_config.json")), tokenizer_class: "PreTrainedTokenizerFast" };
    const json = robertaJson();
    json.normalizer = { type: "FancyNormalizer" };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json, "tokenizer_config.json": config } });
    await assert.rejects(loadTokenizer(dir), esciError("UNSUPPORTED", join(dir, "tokenizer.json"), "FancyNormalizer"));
    const json2 = robertaJson();
    json2.pre_tokenizer = { type: "FancySplit" };
    const dir2 = temp("tiny-roberta-esci", { write: { "tokenizer.json": json2, "tokenizer_config.json": config } });
    await assert.rejects(loadTokenizer(dir2), esciError("UNSUPPORTED", join(dir2, "tokenizer.json"), "FancySplit"));
  });

  it("a known class ignores the file's normalizer, as transformers 5 rebuilds it", async () => {
    // RobertaTokenizer (tiny-roberta-esci's class) has no normalizer in transformers 5.
    const json = robertaJson();
    json.normalizer = { type: "FancyNormalizer" };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    const plain = await loadTokenizer(modelDir("tiny-roberta-esci"));
    assert.deepEqual((await loadTokenizer(dir)).encodeText("Water Bottle").inputIds, plain.encodeText("Water Bottle").inputIds);
  });

  it("a Precompiled charsmap that is not one", async () => {
    const config = { ...readJson(join(modelDir("tiny-roberta-esci"), "tokenizer_config.json")), tokenizer_class: "PreTrainedTokenizerFast" };
    const json = robertaJson();
    json.normalizer = { type: "Precompiled", precompiled_charsmap: Buffer.from([200, 0, 0, 0, 1, 2]).toString("base64") };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json, "tokenizer_config.json": config } });
    await assert.rejects(loadTokenizer(dir), esciError("CORRUPT_FILE", join(dir, "tokenizer.json"), "precompiled_charsmap", "trie size 200"));
  });

  it("an unknown post-processor type", async () => {
    const json = robertaJson();
    json.post_processor = { type: "FancyProcessing" };
    const dir = temp("tiny-roberta-esci", { write: { "tokenizer.json": json } });
    await assert.rejects(loadTokenizer(dir), esciError("UNSUPPORTED", join(dir, "tokenizer.json"), "FancyProcessing"));
  });

  it("slow files of a tokenizer_class esci cannot convert", async () => {
    const dir = temp("tiny-bert-1logit", { write: { "tokenizer_config.json": { tokenizer_class: "XLMRobertaTokenizer" } } });
    await assert.rejects(loadTokenizer(dir), esciError("UNSUPPORTED", join(dir, "tokenizer_config.json"), "XLMRobertaTokenizer", "tokenizer.json"));
  });
});

describe("a special token missing from vocab.txt", () => {
  it("is appended after the largest id, as transformers adds it, and vocabSize shows it", async () => {
    const lines = readFileSync(join(modelDir("tiny-bert-1logit"), "vocab.txt"), "utf8").replace("[CLS]\n", "[CLX]\n");
    const dir = temp("tiny-bert-1logit", { write: { "vocab.txt": lines } });
    const tok = await loadTokenizer(dir);
    const size = lines.split("\n").length - 1;
    assert.equal(tok.vocabSize, size + 1);
    assert.equal(tok.encodeText("tea").inputIds[0], size);
  });
});

describe("non-string input → INVALID_INPUT", () => {
  it("names the problem instead of crashing in the library", async () => {
    const tok = await loadTokenizer(modelDir("tiny-bert-3label"));
    assert.throws(() => tok.encodePair("tea", null as unknown as string), esciError("INVALID_INPUT", "null"));
  });
});
