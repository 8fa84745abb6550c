/**
 * `distill` end to end on the tiny fixture models: the student made from the teacher (which
 * layers, copied or fresh weights), the teacher pass (the CrossEncoder's logits, cached and found
 * again, a pass stopped after a part resumed to the same numbers), and a run with gold labels
 * whose exported best student agrees with the teacher exactly as often as its validation said.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EsciError } from "../../../src/errors/index.js";
import { CrossEncoder } from "../../../src/models/cross-encoder.js";
import { readConfig } from "../../../src/models/config.js";
import { openCheckpoint } from "../../../src/safetensors/index.js";
import { distill, keptLayers, teacherLogits, TEACHER_PART, writeStudentFromTeacher } from "../../../src/train/distill/index.js";
import { TrainLog } from "../../../src/train/index.js";
import { fixtureModel } from "../../helpers/paths.js";
import { makeSyntheticPairs, toJsonl } from "../synthetic.js";

const TEACHER = fixtureModel("tiny-roberta-esci");
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-distill-"));
  process.env.ESCI_CACHE = join(work, "cache");
  writeFileSync(join(work, "gold.jsonl"), toJsonl(makeSyntheticPairs(160, 31)));
  writeFileSync(join(work, "valid.jsonl"), toJsonl(makeSyntheticPairs(48, 32)));
  const unlabelled = makeSyntheticPairs(160, 33).map(({ query, product }) => JSON.stringify({ query, product }));
  writeFileSync(join(work, "log.jsonl"), unlabelled.join("\n") + "\n");
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("student from the teacher", () => {
  it("keeps evenly spaced layers, first and last included (DistilBERT's 12 → 6)", () => {
    assert.deepEqual(keptLayers(12, 6), [0, 2, 4, 7, 9, 11]);
    assert.deepEqual(keptLayers(6, 2), [0, 5]);
    assert.deepEqual(keptLayers(2, 1), [1]);
    assert.throws(() => keptLayers(2, 3), /only 2 layers/);
  });

  it("--layers copies the kept layers, embeddings and head", async () => {
    const dir = join(work, "student-1");
    await writeStudentFromTeacher(TEACHER, dir, { layers: 1, seed: 0 });
    const cfg = readConfig(dir);
    assert.equal(cfg.numLayers, 1);
    assert.deepEqual(cfg.id2label, readConfig(TEACHER).id2label);
    assert.ok(existsSync(join(dir, "tokenizer.json")));
    const s = openCheckpoint(dir);
    const t = openCheckpoint(TEACHER);
    try {
      assert.ok(!s.has("roberta.encoder.layer.1.output.dense.weight"));
      assert.deepEqual(s.readFloat32("roberta.encoder.layer.0.output.dense.weight"), t.readFloat32("roberta.encoder.layer.1.output.dense.weight"));
      assert.deepEqual(s.readFloat32("classifier.out_proj.weight"), t.readFloat32("classifier.out_proj.weight"));
      assert.deepEqual(s.readFloat32("roberta.embeddings.word_embeddings.weight"), t.readFloat32("roberta.embeddings.word_embeddings.weight"));
    } finally {
      s.close();
      t.close();
    }
  });

  it("--hidden makes a narrower model with fresh weights; a width the heads do not divide is refused", async () => {
    const dir = join(work, "student-narrow");
    await writeStudentFromTeacher(TEACHER, dir, { layers: 2, hidden: 16, seed: 0 });
    const cfg = readConfig(dir);
    assert.deepEqual([cfg.numLayers, cfg.hiddenSize, cfg.intermediateSize, cfg.numHeads], [2, 16, 32, 4]);
    const s = openCheckpoint(dir);
    try {
      assert.deepEqual(s.info("roberta.embeddings.word_embeddings.weight").shape, [566, 16]);
      assert.deepEqual(s.info("roberta.encoder.layer.1.intermediate.dense.weight").shape, [32, 16]);
      assert.deepEqual(s.info("classifier.out_proj.weight").shape, [4, 16]);
      assert.ok(s.readFloat32("roberta.encoder.layer.0.output.LayerNorm.weight").every((x) => x === 1));
      const w = s.readFloat32("roberta.encoder.layer.0.attention.self.query.weight");
      const std = Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
      assert.ok(Math.abs(std - 0.02) < 0.004, `std ${std}`);
    } finally {
      s.close();
    }
    await assert.rejects(writeStudentFromTeacher(TEACHER, join(work, "bad"), { layers: 1, hidden: 18, seed: 0 }), /not divisible by the teacher's 4 attention heads/);
  });
});

describe("teacher pass", () => {
  const pass = () => ({ teacher: TEACHER, maxLength: 32, threads: 1, cacheDir: join(work, "teacher-cache") });
  const pairs = makeSyntheticPairs(TEACHER_PART + 100, 41).map((p) => [p.query, p.product] as const);

  it("is the CrossEncoder's logits, and a pass stopped after its first part resumes to the same numbers", async () => {
    await assert.rejects(
      teacherLogits(pairs, pass(), {
        onPart: () => {
          throw new Error("stopped");
        },
      }),
      /stopped/,
    );
    const [entry] = readdirSync(pass().cacheDir);
    assert.deepEqual(readdirSync(join(pass().cacheDir, entry)).sort(), ["meta.json", "part-000000.f32"]);

    const resumed = await teacherLogits(pairs, pass());
    assert.equal(resumed.cached, TEACHER_PART);
    assert.deepEqual(readdirSync(resumed.dir).sort(), ["logits.f32", "meta.json"]);
    const model = await CrossEncoder.load(TEACHER, { threads: 1 });
    try {
      const direct = await model.logits(pairs, { maxLength: 32 });
      let worst = 0;
      direct.forEach((row, i) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - resumed.logits[i * 4 + c])))));
      assert.ok(worst < 1e-5, `max difference ${worst}`);
    } finally {
      await model.dispose();
    }
    const again = await teacherLogits(pairs, pass());
    assert.equal(again.cached, pairs.length);
    assert.deepEqual(again.logits, resumed.logits);
  });

  it("another truncation length or other pairs make another cache entry", async () => {
    const other = await teacherLogits(pairs.slice(0, 10), { ...pass(), maxLength: 16 });
    assert.equal(other.cached, 0);
    assert.equal(readdirSync(pass().cacheDir).length, 2);
  });

  it("--teacher-quantize int8: the int8 CrossEncoder's logits, in an entry of their own", async () => {
    const few = pairs.slice(0, 64);
    const fp32 = await teacherLogits(few, pass());
    const int8 = await teacherLogits(few, { ...pass(), quantize: "int8" });
    assert.equal(int8.cached, 0);
    assert.notEqual(int8.dir, fp32.dir);
    assert.notDeepEqual(int8.logits, fp32.logits);
    const model = await CrossEncoder.load(TEACHER, { threads: 1, quantize: "int8" });
    try {
      const direct = (await model.logits(few, { maxLength: 32 })).flatMap((r) => Array.from(r));
      direct.forEach((v, i) => assert.ok(Math.abs(v - int8.logits[i]) < 1e-5, `logit ${i}: ${v} vs ${int8.logits[i]}`));
    } finally {
      await model.dispose();
    }
  });
});

describe("distill", () => {
  it("with gold labels: validation reports agreement and micro-F1; the best student agrees with the teacher as validation said", async () => {
    const output = join(work, "gold-run");
    const summary = await distill({
      teacher: TEACHER,
      student: fixtureModel("tiny-st-roberta"), // a bare encoder: a new head with the teacher's labels
      data: join(work, "gold.jsonl"),
      validation: join(work, "valid.jsonl"),
      output,
      distillLoss: "kl",
      temperature: 2,
      alpha: 0.3,
      epochs: 2,
      batchSize: 16,
      lr: 2e-3,
      evalEvery: 0.5,
      maxLength: 32,
      threads: 1,
    });
    const evals = TrainLog.read(join(output, "log.jsonl")).filter((e) => "eval_agreement" in e);
    assert.equal(evals.length, 4);
    for (const e of evals) for (const k of ["eval_agreement", "eval_distill_loss", "eval_micro_f1", "eval_macro_f1", "eval_accuracy", "eval_loss"]) assert.equal(typeof e[k], "number", k);
    const best = evals.reduce((a, e) => ((e.eval_agreement as number) > (a.eval_agreement as number) ? e : a));
    assert.equal(summary.best!.step, best.step);

    const valid = readFileSync(join(work, "valid.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { query: string; product: string; label: string });
    const pairs = valid.map((r) => [r.query, r.product] as const);
    const [student, teacher] = await Promise.all([CrossEncoder.load(output, { threads: 1 }), CrossEncoder.load(TEACHER, { threads: 1 })]);
    try {
      const s = await student.predict(pairs, { maxLength: 32 });
      const t = await teacher.predict(pairs, { maxLength: 32 });
      const agree = s.filter((p, i) => p.label === t[i].label).length / pairs.length;
      assert.equal(agree, best.eval_agreement);
    } finally {
      await Promise.all([student.dispose(), teacher.dispose()]);
    }
  });

  it("without labels: agreement only; --alpha is refused naming the unlabelled row", async () => {
    const output = join(work, "log-run");
    const summary = await distill({ teacher: TEACHER, layers: 1, data: join(work, "log.jsonl"), output, epochs: 1, batchSize: 16, lr: 1e-3, evalEvery: 1, maxLength: 32, threads: 1 });
    assert.equal(typeof summary.best!.agreement, "number");
    assert.equal(summary.best!.micro_f1, undefined);
    assert.ok(existsSync(join(output, "model.safetensors")));
    assert.equal(readConfig(output).numLayers, 1);
    await assert.rejects(
      distill({ teacher: TEACHER, layers: 1, data: join(work, "log.jsonl"), output: join(work, "alpha-run"), alpha: 0.5, maxLength: 32, threads: 1 }),
      /log\.jsonl, row \d+: no label, but `alpha: 0\.5`/,
    );
  });

  it("refuses a student given twice or not at all", async () => {
    const base = { teacher: TEACHER, data: join(work, "log.jsonl"), output: join(work, "refused") };
    // The API's option names, in backticks and in the details (the CLI words them as --student, --layers …).
    await assert.rejects(distill({ ...base, layers: 1, student: TEACHER }), (e: unknown) => {
      assert.ok(e instanceof EsciError && /either `student` .* or `layers` .*, not both/.test(e.message), String(e));
      assert.deepEqual(e.details, { option: "student", options: ["layers"] });
      return true;
    });
    await assert.rejects(distill(base), /give `student` .* or `layers`/);
    await assert.rejects(distill({ ...base, student: TEACHER, hidden: 16 }), /`hidden` needs `layers`/);
  });
});
