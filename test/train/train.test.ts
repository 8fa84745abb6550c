/**
 * Fine-tuning end to end on the tiny fixture encoders: the base → classifier step (a new head as
 * HF initialises one, or an existing head continued), the label checks, and the output directory
 * as a Hugging Face checkpoint — HF names and [out, in] layouts, config with the classifier
 * architecture and id2label, tokenizer files — that CrossEncoder.load runs with the same
 * predictions the trainer's validation saw.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { openCheckpoint } from "../../src/safetensors/index.js";
import { EncodedDataset, initialModel, train, TrainLog } from "../../src/train/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { fixtureModel, isolateEsciCache } from "../helpers/paths.js";
import { makeSyntheticPairs, toJsonl } from "./synthetic.js";

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-train-"));
  isolateEsciCache();
  writeFileSync(join(work, "train.jsonl"), toJsonl(makeSyntheticPairs(320, 21)));
  writeFileSync(join(work, "valid.jsonl"), toJsonl(makeSyntheticPairs(64, 22)));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("base model → classifier", () => {
  it("a bare RoBERTa encoder gets RobertaClassificationHead initialised as HF does", async () => {
    const m = await initialModel(fixtureModel("tiny-st-roberta"), { seed: 3 });
    try {
      assert.deepEqual(m.config.architectures, ["RobertaForSequenceClassification"]);
      assert.deepEqual(m.labels, ["exact", "substitute", "complement", "irrelevant"]);
      assert.deepEqual(m.newTensors.sort(), ["classifier.dense.bias", "classifier.dense.weight", "classifier.out_proj.bias", "classifier.out_proj.weight"]);
      assert.ok(m.source.has("roberta.embeddings.word_embeddings.weight"));
      assert.deepEqual(m.source.shape("classifier.out_proj.weight"), [4, 32]);
      const w = m.source.readFloat32("classifier.dense.weight");
      const std = Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
      assert.ok(Math.abs(std - 0.02) < 0.002, `std ${std}`); // initializer_range
      assert.ok(m.source.readFloat32("classifier.dense.bias").every((x) => x === 0));
      assert.deepEqual([...m.labelIds], [["E", 0], ["S", 1], ["C", 2], ["I", 3]]);
    } finally {
      m.source.close();
    }
  });

  it("a bare BERT encoder keeps its pooler and gets a new classifier", async () => {
    const m = await initialModel(fixtureModel("tiny-st-bert-cls"), { seed: 3, labels: ["E", "S", "C", "I"] });
    try {
      assert.deepEqual(m.config.architectures, ["BertForSequenceClassification"]);
      assert.deepEqual(m.newTensors.sort(), ["classifier.bias", "classifier.weight"]);
      assert.ok(m.source.has("bert.pooler.dense.weight"));
    } finally {
      m.source.close();
    }
  });

  it("a sequence classifier is continued with its head and id2label", async () => {
    const m = await initialModel(fixtureModel("tiny-roberta-esci"), { seed: 3 });
    try {
      assert.deepEqual(m.newTensors, []);
      assert.deepEqual(m.labels, ["exact", "substitute", "complement", "irrelevant"]);
    } finally {
      m.source.close();
    }
  });

  it("head labels must name ESCI labels, in the head's number", async () => {
    await assert.rejects(initialModel(fixtureModel("tiny-bert-3label"), { seed: 0 }), /label "LABEL_0" \(id 0\) is not an ESCI label; name the head's labels with `labels`/);
    await assert.rejects(initialModel(fixtureModel("tiny-bert-3label"), { seed: 0, labels: ["E", "S"] }), /`labels` names 2 labels but the head of .* has 3/);
  });

  it("a data label the head does not know is an error", async () => {
    const m = await initialModel(fixtureModel("tiny-bert-3label"), { seed: 0, labels: ["exact", "substitute", "irrelevant"] });
    try {
      const tok = await loadTokenizer(m.baseDir);
      assert.throws(
        () => EncodedDataset.encode([{ query: "q", product: "p", label: "C", group: "q" }], tok, 16, m.labelIds),
        /label C of pair \("q", …\) is not one of the model's labels \(E, S, I\)/,
      );
    } finally {
      m.source.close();
    }
  });
});

describe("train → Hugging Face checkpoint → CrossEncoder", { timeout: 600_000 }, () => {
  it("RoBERTa from a bare encoder: output loads in esci with the validation's predictions", async () => {
    const output = join(work, "roberta");
    const evals: number[] = [];
    const summary = await train(
      { base: fixtureModel("tiny-st-roberta"), data: join(work, "train.jsonl"), validation: join(work, "valid.jsonl"), output, epochs: 2, batchSize: 16, lr: 2e-3, evalEvery: 0.5, maxLength: 32, threads: 1 },
      { onEval: (_s, r) => evals.push(r.accuracy) },
    );
    assert.equal(summary.steps, 40);
    assert.equal(evals.length, 4);
    assert.ok(summary.best);

    const config = JSON.parse(readFileSync(join(output, "config.json"), "utf8"));
    assert.deepEqual(config.architectures, ["RobertaForSequenceClassification"]);
    assert.deepEqual(config.id2label, { 0: "exact", 1: "substitute", 2: "complement", 3: "irrelevant" });
    assert.equal(config.torch_dtype, "float32");
    for (const f of ["tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json"]) assert.ok(existsSync(join(output, f)), f);

    const ck = openCheckpoint(output);
    try {
      const names = ck.tensorNames();
      assert.ok(names.every((n) => n.startsWith("roberta.") || n.startsWith("classifier.")), names.join(","));
      assert.ok(!names.some((n) => n.includes("pooler")), "RobertaForSequenceClassification has no pooler");
      assert.equal(names.length, 5 + 16 * 2 + 4);
      assert.deepEqual(ck.info("roberta.encoder.layer.0.intermediate.dense.weight").shape, [64, 32]); // [out, in]
      assert.deepEqual(ck.info("roberta.embeddings.token_type_embeddings.weight").shape, [1, 32]);
    } finally {
      ck.close();
    }

    const log = TrainLog.read(join(output, "log.jsonl"));
    const steps = log.filter((e) => "loss" in e);
    assert.equal(steps.length, 40);
    assert.deepEqual(Object.keys(steps[0]).sort(), ["epoch", "grad_norm", "loss", "lr", "step"]);
    assert.equal(steps[0].lr, 0);
    const best = log.filter((e) => "eval_micro_f1" in e).find((e) => e.step === summary.best!.step)!;

    // the exported best model predicts the validation pairs as the trainer's evaluation did
    const ce = await CrossEncoder.load(output);
    try {
      const valid = readFileSync(join(work, "valid.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const preds = await ce.predict(valid.map((r) => [r.query, r.product] as const), { maxLength: 32 });
      const names = { E: "exact", S: "substitute", C: "complement", I: "irrelevant" } as Record<string, string>;
      const acc = preds.filter((p, i) => p.label === names[valid[i].label]).length / valid.length;
      assert.equal(acc, best.eval_accuracy);
    } finally {
      await ce.dispose();
    }
  });

  it("without --validation, 10% of the queries are held out for validation", async () => {
    const notes: string[] = [];
    const summary = await train(
      { base: fixtureModel("tiny-st-roberta"), data: join(work, "train.jsonl"), output: join(work, "holdout"), maxSteps: 2, batchSize: 32, maxLength: 32, threads: 1 },
      { onNote: (m) => notes.push(m) },
    );
    const queries = new Set(makeSyntheticPairs(320, 21).map((p) => p.query));
    const [, trainN, validN] = notes.join("\n").match(/(\d+) training pairs, (\d+) validation pairs/)!.map(Number);
    assert.equal(trainN + validN, 320);
    assert.ok(validN > 0 && validN < 80, `${validN} validation pairs`);
    assert.equal(summary.plan.examples, trainN);
    assert.equal(summary.plan.evalInterval, 1); // round(0.1 · ~9 steps per epoch)
    assert.ok(queries.size > 20);
  });

  it("BERT from a bare encoder, validation off: the last step's weights, pooler kept", async () => {
    const output = join(work, "bert");
    const summary = await train({
      base: fixtureModel("tiny-st-bert-cls"),
      data: join(work, "train.jsonl"),
      output,
      maxSteps: 5,
      batchSize: 16,
      evalEvery: 0,
      maxLength: 512, // capped at the model's 32 positions
      threads: 1,
    });
    assert.equal(summary.best, null);
    const config = JSON.parse(readFileSync(join(output, "config.json"), "utf8"));
    assert.deepEqual(config.architectures, ["BertForSequenceClassification"]);
    const ck = openCheckpoint(output);
    try {
      assert.ok(ck.has("bert.pooler.dense.weight") && ck.has("classifier.weight") && ck.has("bert.embeddings.token_type_embeddings.weight"));
    } finally {
      ck.close();
    }
    const ce = await CrossEncoder.load(output);
    try {
      const [p] = await ce.predict([["black headphones", "Sony headphones, black"]]);
      assert.equal(Object.keys(p.probs).length, 4);
    } finally {
      await ce.dispose();
    }
  });
});
