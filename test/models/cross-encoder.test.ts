/**
 * End to end through the public API: text pairs → tokenizer → ONNX → logits/probabilities,
 * against the PyTorch reference (1e-4); batched == single (1e-5); softmax keyed by id2label,
 * sigmoid for one-logit heads, --labels renaming; BiEncoder embeddings likewise.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { BiEncoder } from "../../src/models/bi-encoder.js";
import { CrossEncoder, sigmoid, softmax, toPrediction } from "../../src/models/cross-encoder.js";
import { fixtureModel, fixtureReference, isolateEsciCache } from "../helpers/paths.js";

interface ClassifierCase { query: string; product: string; max_length: number; logits: number[] }
interface EmbedCase { text: string; max_length: number; embedding: number[] }

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Group cases by max_length so each group is one batched call. */
function byMaxLength<T extends { max_length: number }>(cases: T[]): Map<number, Array<[number, T]>> {
  const groups = new Map<number, Array<[number, T]>>();
  cases.forEach((c, i) => groups.set(c.max_length, [...(groups.get(c.max_length) ?? []), [i, c]]));
  return groups;
}

before(() => isolateEsciCache());

describe("CrossEncoder", () => {
  for (const name of ["tiny-roberta-esci", "tiny-bert-3label", "tiny-bert-1logit"]) {
    it(`${name}: text pairs → logits within 1e-4 of PyTorch; batched == single`, async () => {
      const ref = fixtureReference<{ cases: ClassifierCase[] }>(name);
      const ce = await CrossEncoder.load(fixtureModel(name));
      for (const [maxLength, group] of byMaxLength(ref.cases)) {
        const batched = await ce.predict(group.map(([, c]) => [c.query, c.product] as const), { maxLength });
        for (const [j, [i, c]] of group.entries()) {
          const label = `${name} case ${i} (max_length ${maxLength})`;
          assertClose(batched[j].logits, c.logits, 1e-4, label);
          const [single] = await ce.predict([[c.query, c.product]], { maxLength });
          assertClose(batched[j].logits, single.logits, 1e-5, `${label} batched vs single`);
        }
      }
      await ce.dispose();
    });
  }

  it("probabilities: softmax keyed by id2label, label = arg-max", async () => {
    const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"));
    assert.deepEqual(ce.labels, ["exact", "substitute", "complement", "irrelevant"]);
    const [p] = await ce.predict([["wireless headphones", "Sony WH-1000XM4 Wireless Headphones"]]);
    const expected = softmax(p.logits);
    assert.deepEqual(Object.keys(p.probs), ["exact", "substitute", "complement", "irrelevant"]);
    assertClose(Object.values(p.probs), expected, 1e-12, "probs");
    const best = expected.indexOf(Math.max(...expected));
    assert.equal(p.label, ce.labels[best]);
    await ce.dispose();
  });

  it("a one-logit head gets the sigmoid of its logit, never a softmax that always says 1", async () => {
    const ce = await CrossEncoder.load(fixtureModel("tiny-bert-1logit"));
    const preds = await ce.predict([
      ["usb cable", "USB-C charging cable 2m"],
      ["dog food", "Stainless steel saucepan"],
    ]);
    for (const p of preds) {
      assert.equal(p.logits.length, 1);
      assert.deepEqual(Object.keys(p.probs), ["LABEL_0"]);
      assert.ok(Math.abs(p.probs.LABEL_0 - sigmoid(p.logits[0])) < 1e-12);
      assert.ok(p.probs.LABEL_0 > 0 && p.probs.LABEL_0 < 1);
    }
    assert.notEqual(preds[0].probs.LABEL_0, preds[1].probs.LABEL_0);
    await ce.dispose();
  });

  it("--labels renames LABEL_0…LABEL_n, and a wrong count is refused", async () => {
    const ce = await CrossEncoder.load(fixtureModel("tiny-bert-3label"), { labels: ["a", "b", "c"] });
    const [p] = await ce.predict([["q", "p"]]);
    assert.deepEqual(Object.keys(p.probs), ["a", "b", "c"]);
    await ce.dispose();
    await assert.rejects(CrossEncoder.load(fixtureModel("tiny-bert-3label"), { labels: ["a", "b"] }), (e: unknown) => e instanceof EsciError && /names 2 labels but .* has 3 outputs/.test(e.message));
  });

  it("max length beyond the position table is refused with the limit", async () => {
    const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"));
    assert.equal(ce.maxLength, 64);
    await assert.rejects(ce.predict([["q", "p"]], { maxLength: 65 }), /from 3 to 64/);
    await ce.dispose();
  });

  it("sessions whose idle threads sleep (spinning: false, in-thread and in a worker) compute the same logits", async () => {
    const pairs = Array.from({ length: 12 }, (_, i) => [`query ${i}`, "word ".repeat(1 + ((i * 5) % 20)).trim()] as const);
    const logits = async (o: { spinning?: boolean; session?: "worker" }) => {
      const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"), o);
      try {
        return (await ce.predict(pairs)).map((p) => [...p.logits]);
      } finally {
        await ce.dispose();
      }
    };
    const spin = await logits({});
    assert.deepEqual(await logits({ spinning: false }), spin);
    assert.deepEqual(await logits({ spinning: false, session: "worker" }), spin);
  });

  it("input order is kept whatever the batching", async () => {
    const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"));
    const pairs = Array.from({ length: 40 }, (_, i) => [`query ${i}`, "word ".repeat(1 + ((i * 7) % 30)).trim()] as const);
    const all = await ce.predict(pairs, { batch: { maxBatch: 3, tokenBudget: 64 } });
    const ones = await Promise.all(pairs.map(async (p) => (await ce.predict([p]))[0]));
    all.forEach((p, i) => assertClose(p.logits, ones[i].logits, 1e-5, `row ${i}`));
    await ce.dispose();
  });

  it("toPrediction handles ties and two-label heads", () => {
    const p = toPrediction([0, 0], ["no", "yes"]);
    assert.equal(p.label, "no");
    assertClose(Object.values(p.probs), [0.5, 0.5], 1e-15, "tie");
  });
});

describe("BiEncoder", () => {
  for (const name of ["tiny-st-roberta", "tiny-st-bert-cls", "tiny-st-bert-max"]) {
    it(`${name}: embeddings within 1e-4 of sentence-transformers' pipeline; batched == single`, async () => {
      const ref = fixtureReference<{ cases: EmbedCase[] }>(name);
      const be = await BiEncoder.load(fixtureModel(name));
      assert.equal(be.dimension, ref.cases[0].embedding.length);
      for (const [maxLength, group] of byMaxLength(ref.cases)) {
        const rows = await be.embed(group.map(([, c]) => c.text), { maxLength });
        for (const [j, [i, c]] of group.entries()) {
          assertClose(rows[j], c.embedding, 1e-4, `${name} case ${i}`);
          const [single] = await be.embed([c.text], { maxLength });
          assertClose(rows[j], single, 1e-5, `${name} case ${i} batched vs single`);
        }
      }
      await be.dispose();
    });
  }
});

describe("the batching engine behind predict and embed", () => {
  const PAIRS = Array.from({ length: 24 }, (_, i) => [`query ${i % 5}`, "usb cable ".repeat(1 + ((i * 5) % 13)).trim()] as const);

  it("a server's load (worker session and tokenizer) with its queue started predicts what the offline path predicts", async () => {
    const offline = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"));
    const served = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"), { session: "worker", tokenizer: "worker" });
    try {
      assert.ok(served.model.tokenizerWorker, "the tokenizer runs in a worker");
      const batches: number[] = [];
      served.engine.startQueue({ maxWaitMs: 600_000, maxBatch: PAIRS.length, tokenBudget: 1_000_000 }, { onBatch: (s) => batches.push(s.rows) });
      const want = await offline.predict(PAIRS);
      // Three concurrent calls fill one batch of the queue.
      const parts = await Promise.all([served.predict(PAIRS.slice(0, 8)), served.predict(PAIRS.slice(8, 20)), served.predict(PAIRS.slice(20))]);
      assert.deepEqual(batches, [PAIRS.length], "one queued batch for the three calls");
      parts.flat().forEach((p, i) => {
        assertClose(p.logits, want[i].logits, 1e-5, `pair ${i}`);
        assert.equal(p.label, want[i].label);
      });
    } finally {
      await offline.dispose();
      await served.dispose();
    }
  });

  it("truncate: false makes an input over the token limit TOO_LARGE (index, tokens, limit); by default it is cut", async () => {
    for (const opts of [{}, { tokenizer: "worker" as const }]) {
      const ce = await CrossEncoder.load(fixtureModel("tiny-roberta-esci"), opts);
      const be = await BiEncoder.load(fixtureModel("tiny-st-roberta"), opts);
      try {
        const long = "mouse ".repeat(200);
        const check = (limit: number) => (e: unknown) => {
          assert.ok(e instanceof EsciError && e.code === "TOO_LARGE", String(e));
          assert.equal(e.details?.index, 1);
          assert.equal(e.details?.max_tokens, limit);
          assert.ok((e.details?.tokens as number) > limit);
          assert.match(e.message, /^input 1 is \d+ tokens, more than the model's limit of \d+$/);
          return true;
        };
        await assert.rejects(ce.predict([["q", "short"], ["q", long]], { truncate: false }), check(ce.maxLength));
        await assert.rejects(be.embed(["short", long], { truncate: false }), check(be.maxLength));
        assert.equal((await ce.predict([["q", long]])).length, 1);
        assert.deepEqual(await ce.predict([["q", "short"]], { truncate: false }), await ce.predict([["q", "short"]]));
        assert.equal((await be.embed([long])).length, 1);
      } finally {
        await ce.dispose();
        await be.dispose();
      }
    }
  });
});
