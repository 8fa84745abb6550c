/**
 * Every model route in-process (fastify.inject, no port) over the tiny fixture models: answers
 * equal the CLI's CrossEncoder / BiEncoder results, batched across concurrent requests == one pair
 * at a time (1e-5), the TEI and Cohere/Jina shapes, the rerank scores (expected gain, sigmoid,
 * raw), and every limit and error status with its message.
 */
import type { InjectOptions } from "fastify";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import { expectedGain } from "../../src/esci/gains.js";
import { CrossEncoder, sigmoid } from "../../src/models/cross-encoder.js";
import { isolateEsciCache } from "../helpers/paths.js";
import { assertClose, ESCI_MODEL, json, ONE_LOGIT_MODEL, testServer, THREE_LABEL_MODEL } from "./helpers.js";

type Server = Awaited<ReturnType<typeof testServer>>;

const QUERY = "wireless mouse";
const TEXTS = ["Logitech M185 wireless mouse, grey", "USB-C charging cable 2 m", "mouse pad", "Bluetooth keyboard and mouse combo", "AA batteries, 8 pack"];

before(() => isolateEsciCache());

describe("POST /v1/classify", () => {
  let s: Server;
  let ce: CrossEncoder;
  before(async () => {
    s = await testServer({ queue: { maxWaitMs: 20 } });
    ce = await CrossEncoder.load(ESCI_MODEL);
  });
  after(async () => {
    await s.close();
    await ce.dispose();
  });

  it("pairs (objects or arrays) and query+products give the CLI's predictions, in request order", async () => {
    const pairs = TEXTS.map((t) => [QUERY, t] as const);
    const expected = await ce.predict(pairs);
    const bodies = [
      { pairs: pairs.map(([query, product]) => ({ query, product })) },
      { pairs: pairs.map((p) => [...p]) },
      { query: QUERY, products: TEXTS },
    ];
    for (const body of bodies) {
      const r = await s.app.inject(json("/v1/classify", body));
      assert.equal(r.statusCode, 200, r.body);
      const out = r.json();
      assert.equal(out.model, ESCI_MODEL);
      assert.deepEqual(out.labels, ["exact", "substitute", "complement", "irrelevant"]);
      out.results.forEach((x: { index: number; label: string; esci: string; logits: number[]; probs: Record<string, number>; score: number }, i: number) => {
        assert.equal(x.index, i);
        assert.equal(x.label, expected[i].label);
        assert.equal(x.esci, { exact: "E", substitute: "S", complement: "C", irrelevant: "I" }[x.label]);
        assertClose(x.logits, expected[i].logits, 1e-5, `pair ${i} logits`);
        assert.ok(Math.abs(x.score - expectedGain(expected[i].probs)) < 1e-5);
      });
    }
  });

  it("batched across concurrent requests == one pair at a time (1e-5), and really batched", async () => {
    const requests = Array.from({ length: 12 }, (_, i) => ({ query: `${QUERY} ${i}`, products: TEXTS.slice(0, 1 + (i % TEXTS.length)) }));
    const total = requests.reduce((n, r) => n + r.products.length, 0);
    // A queue that starts its batch once every request's pairs are in (a full batch of `total`),
    // never on a timer, so the packing does not depend on how fast requests arrive.
    const b = await testServer({ queue: { maxWaitMs: 600_000, maxBatch: total, tokenBudget: 1_000_000 } });
    let answers;
    try {
      answers = await Promise.all(requests.map((body) => b.app.inject(json("/v1/classify", body))));
    } finally {
      await b.close();
    }
    let pairs = 0;
    for (const [i, r] of answers.entries()) {
      assert.equal(r.statusCode, 200, r.body);
      for (const [j, x] of r.json().results.entries()) {
        const [single] = await ce.predict([[requests[i].query, requests[i].products[j]]]);
        assertClose(x.logits, single.logits, 1e-5, `request ${i} pair ${j}`);
        pairs++;
      }
    }
    const batches = Number(b.metrics.batchRows.render().find((l) => l.startsWith("esci_batch_size_count"))?.split(" ").pop() ?? 0);
    assert.equal(batches, 1, `${pairs} pairs of ${requests.length} requests ran in ${batches} batches`);
  });

  it("needs exactly one of pairs / query+products", async () => {
    for (const body of [{ pairs: [["a", "b"]], query: "q", products: ["p"] }, { query: "q" }, {}]) {
      const r = await s.app.inject(json("/v1/classify", body));
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error_type, "INVALID_INPUT");
    }
  });
});

describe("POST /rerank (text-embeddings-inference) and /v1/rerank (Cohere/Jina)", () => {
  let s: Server;
  let ce: CrossEncoder;
  before(async () => {
    s = await testServer();
    ce = await CrossEncoder.load(ESCI_MODEL);
  });
  after(async () => {
    await s.close();
    await ce.dispose();
  });

  it("/rerank: [{index, score}] sorted by expected gain, best first; return_text echoes the text", async () => {
    const preds = await ce.predict(TEXTS.map((t) => [QUERY, t] as const));
    const gains = preds.map((p) => expectedGain(p.probs));
    const r = await s.app.inject(json("/rerank", { query: QUERY, texts: TEXTS, return_text: true }));
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json() as { index: number; score: number; text: string }[];
    assert.deepEqual(
      out.map((x) => x.index),
      gains.map((g, i) => [g, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i),
    );
    for (const x of out) {
      assert.ok(Math.abs(x.score - gains[x.index]) < 1e-5);
      assert.equal(x.text, TEXTS[x.index]);
    }
    const plain = (await s.app.inject(json("/rerank", { query: QUERY, texts: TEXTS }))).json();
    assert.equal(plain[0].text, undefined);
  });

  it("/rerank raw_scores: the log-odds of Exact (sigmoid(raw) = P(exact)), in the same order", async () => {
    const preds = await ce.predict(TEXTS.map((t) => [QUERY, t] as const));
    const out = (await s.app.inject(json("/rerank", { query: QUERY, texts: TEXTS, raw_scores: true }))).json() as { index: number; score: number }[];
    for (const x of out) assert.ok(Math.abs(sigmoid(x.score) - preds[x.index].probs.exact) < 1e-6, `text ${x.index}`);
    for (let i = 1; i < out.length; i++) assert.ok(out[i - 1].score >= out[i].score);
  });

  it("/rerank truncate: false (the default) answers 413 for a pair over the token limit; true cuts it", async () => {
    const long = "mouse ".repeat(200);
    const r = await s.app.inject(json("/rerank", { query: QUERY, texts: ["short", long] }));
    assert.equal(r.statusCode, 413, r.body);
    assert.equal(r.json().error_type, "TOO_LARGE");
    assert.match(r.json().error, /the pair \(query, texts\[1\]\) is \d+ tokens, more than the model's limit of 64; shorten it or send "truncate": true/);
    const ok = await s.app.inject(json("/rerank", { query: QUERY, texts: ["short", long], truncate: true }));
    assert.equal(ok.statusCode, 200, ok.body);
    const left = await s.app.inject(json("/rerank", { query: QUERY, texts: ["a"], truncation_direction: "Left" }));
    assert.equal(left.statusCode, 422);
    assert.equal(left.json().error_type, "UNSUPPORTED");
  });

  it("/v1/rerank: documents as strings or {text}, top_n, return_documents, relevance_score = /rerank's score", async () => {
    const tei = (await s.app.inject(json("/rerank", { query: QUERY, texts: TEXTS }))).json() as { index: number; score: number }[];
    const documents = TEXTS.map((t, i) => (i % 2 ? { text: t } : t));
    const r = await s.app.inject(json("/v1/rerank", { model: "whatever-the-client-sends", query: QUERY, documents, top_n: 3, return_documents: true }));
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json();
    assert.equal(out.model, ESCI_MODEL);
    assert.equal(out.results.length, 3);
    out.results.forEach((x: { index: number; relevance_score: number; document: { text: string } }, i: number) => {
      assert.equal(x.index, tei[i].index);
      assert.ok(Math.abs(x.relevance_score - tei[i].score) < 1e-9);
      assert.deepEqual(x.document, { text: TEXTS[x.index] });
    });
    const bare = (await s.app.inject(json("/v1/rerank", { query: QUERY, documents: TEXTS }))).json();
    assert.equal(bare.results.length, TEXTS.length);
    assert.equal(bare.results[0].document, undefined);
  });

  it("a one-logit reranker: score = sigmoid(logit), raw = the logit", async () => {
    const one = await testServer({ model: ONE_LOGIT_MODEL });
    const m = await CrossEncoder.load(ONE_LOGIT_MODEL);
    try {
      const preds = await m.logits(TEXTS.map((t) => [QUERY, t] as const));
      const scores = (await one.app.inject(json("/rerank", { query: QUERY, texts: TEXTS, truncate: true }))).json() as { index: number; score: number }[];
      const raw = (await one.app.inject(json("/rerank", { query: QUERY, texts: TEXTS, raw_scores: true, truncate: true }))).json() as { index: number; score: number }[];
      for (const x of scores) assert.ok(Math.abs(x.score - sigmoid(preds[x.index][0])) < 1e-6);
      for (const x of raw) assert.ok(Math.abs(x.score - preds[x.index][0]) < 1e-5);
      const c = (await one.app.inject(json("/v1/classify", { query: QUERY, products: TEXTS.slice(0, 1) }))).json();
      assert.ok(Math.abs(c.results[0].score - sigmoid(c.results[0].logits[0])) < 1e-9);
    } finally {
      await one.close();
      await m.dispose();
    }
  });

  it("a classifier with other labels classifies but cannot rank (422 naming --labels)", async () => {
    const three = await testServer({ model: THREE_LABEL_MODEL });
    try {
      const r = await three.app.inject(json("/v1/rerank", { query: QUERY, documents: TEXTS }));
      assert.equal(r.statusCode, 422);
      assert.equal(r.json().error_type, "UNSUPPORTED");
      assert.match(r.json().error, /LABEL_0, LABEL_1, LABEL_2.*--labels/);
      const c = await three.app.inject(json("/v1/classify", { query: QUERY, products: TEXTS }));
      assert.equal(c.statusCode, 200);
      assert.equal(c.json().results[0].score, undefined);
    } finally {
      await three.close();
    }
  });
});

describe("limits and errors", () => {
  let s: Server;
  before(async () => {
    s = await testServer({ settings: { limits: { maxPairs: 8, maxChars: 100, maxBodyBytes: 4096 } } });
  });
  after(() => s.close());

  const cases: { name: string; req: InjectOptions; status: number; type: string; message: RegExp }[] = [
    { name: "too many texts", req: json("/rerank", { query: "q", texts: Array(9).fill("t") }), status: 413, type: "TOO_LARGE", message: /9 texts in one request; this server takes at most 8 per request \(--max-pairs\)/ },
    { name: "too many pairs", req: json("/v1/classify", { pairs: Array(9).fill(["q", "p"]) }), status: 413, type: "TOO_LARGE", message: /--max-pairs/ },
    { name: "too many documents", req: json("/v1/rerank", { query: "q", documents: Array(9).fill("d") }), status: 413, type: "TOO_LARGE", message: /9 documents in one request/ },
    { name: "a text too long", req: json("/rerank", { query: "q", texts: ["ok", "x".repeat(101)] }), status: 413, type: "TOO_LARGE", message: /texts\[1\] is 101 characters long; this server takes at most 100 characters per text \(--max-chars\)/ },
    { name: "a query too long", req: json("/v1/rerank", { query: "q".repeat(101), documents: ["d"] }), status: 413, type: "TOO_LARGE", message: /query is 101 characters/ },
    { name: "a pair's product too long", req: json("/v1/classify", { pairs: [{ query: "q", product: "p".repeat(101) }] }), status: 413, type: "TOO_LARGE", message: /pairs\[0\]\.product is 101 characters/ },
    { name: "a body over --max-body", req: json("/rerank", { query: "q", texts: Array(200).fill("x".repeat(50)) }), status: 413, type: "TOO_LARGE", message: /larger than the server's limit of 4096 bytes \(--max-body\)/ },
    { name: "malformed JSON", req: { method: "POST", url: "/rerank", payload: '{"query": "q", "texts": [', headers: { "content-type": "application/json" } }, status: 400, type: "MALFORMED", message: /not valid JSON/ },
    { name: "an empty JSON body", req: { method: "POST", url: "/rerank", payload: "", headers: { "content-type": "application/json" } }, status: 400, type: "MALFORMED", message: /not valid JSON/ },
    { name: "not JSON at all", req: { method: "POST", url: "/rerank", payload: "query=q", headers: { "content-type": "text/plain" } }, status: 400, type: "MALFORMED", message: /Content-Type: application\/json/ },
    { name: "a field of the wrong type", req: json("/rerank", { query: "q", texts: "t" }), status: 422, type: "INVALID_INPUT", message: /body\/texts must be array/ },
    { name: "a missing field", req: json("/v1/rerank", { query: "q" }), status: 422, type: "INVALID_INPUT", message: /must have required property 'documents'/ },
    { name: "a number as a string (no coercion)", req: json("/v1/rerank", { query: "q", documents: ["d"], top_n: "2" }), status: 422, type: "INVALID_INPUT", message: /top_n must be integer/ },
    { name: "no texts", req: json("/rerank", { query: "q", texts: [] }), status: 422, type: "INVALID_INPUT", message: /texts is empty/ },
    { name: "an unknown route", req: { method: "GET", url: "/v2/nothing" }, status: 404, type: "NOT_FOUND", message: /no route GET \/v2\/nothing/ },
    { name: "search without a store", req: json("/v1/search", { query: "q" }), status: 404, type: "NOT_FOUND", message: /no catalog store: start it with --store/ },
    { name: "substitutes without a store", req: json("/v1/substitutes", { product_id: "x" }), status: 404, type: "NOT_FOUND", message: /--store/ },
    { name: "embed without a bi-encoder", req: json("/v1/embed", { inputs: ["x"] }), status: 404, type: "NOT_FOUND", message: /no embedding model: start it with --embed-model/ },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.type}`, async () => {
      const r = await s.app.inject(c.req);
      assert.equal(r.statusCode, c.status, r.body);
      assert.equal(ERROR_TABLE[r.json().error_type as keyof typeof ERROR_TABLE].httpStatus, c.status, "status comes from ERROR_TABLE");
      assert.equal(r.json().error_type, c.type);
      assert.match(r.json().error, c.message);
      assert.match(r.headers["content-type"] as string, /application\/json/);
    });
  }

  it("limit errors carry the limit in details", async () => {
    const r = await s.app.inject(json("/rerank", { query: "q", texts: Array(9).fill("t") }));
    assert.deepEqual(r.json().details, { limit: "max_pairs", max_pairs: 8, got: 9 });
  });

  it("a full queue answers 429 with Retry-After", async () => {
    // Rows wait until a batch of 4 is full (never on a timer): first's 3 rows stay queued until
    // the last request completes the batch.
    const q = await testServer({ queue: { maxQueuedRows: 4, maxBatch: 4, maxWaitMs: 600_000, tokenBudget: 1_000_000 } });
    try {
      const first = q.app.inject(json("/rerank", { query: "q", texts: ["a", "b", "c"] }));
      while (q.models.scorer.engine.batchQueue!.depth < 3) await new Promise((r) => setTimeout(r, 2));
      const second = await q.app.inject(json("/rerank", { query: "q", texts: ["d", "e"] }));
      assert.equal(second.statusCode, 429, second.body);
      assert.equal(second.json().error_type, "OVERLOADED");
      assert.ok(Number(second.headers["retry-after"]) >= 1);
      assert.match(second.json().error, /batching queue is full \(3 of 4 pairs waiting, 2 more asked\)/);
      const last = q.app.inject(json("/rerank", { query: "q", texts: ["f"] }));
      assert.equal((await first).statusCode, 200);
      assert.equal((await last).statusCode, 200);
    } finally {
      await q.close();
    }
  });

  it("503 while the models load (health stays 200); /ready 200 once loaded, 503 while draining", async () => {
    const l = await testServer({ unloaded: true });
    try {
      assert.equal((await l.app.inject({ method: "GET", url: "/health" })).statusCode, 200);
      const ready = await l.app.inject({ method: "GET", url: "/ready" });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().error_type, "UNAVAILABLE");
      const c = await l.app.inject(json("/v1/classify", { query: "q", products: ["p"] }));
      assert.equal(c.statusCode, 503);
      assert.match(c.json().error, /models are still loading/);
      assert.ok(Number(c.headers["retry-after"]) >= 1);
      l.state.models = l.models;
      assert.equal((await l.app.inject({ method: "GET", url: "/ready" })).statusCode, 200);
      l.state.draining = true;
      assert.equal((await l.app.inject({ method: "GET", url: "/ready" })).statusCode, 503);
    } finally {
      await l.close();
    }
  });
});
