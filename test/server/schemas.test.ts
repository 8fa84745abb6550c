/**
 * The answer schemas (src/server/api.ts) against Fastify's serializer, which writes only the fields
 * a schema declares: an answer carrying every optional field (calibrated hits, BM25 and vector
 * ranks, a product with attributes and a field no schema names, error details…) goes out unchanged,
 * and no object in any answer schema is a bare `{type: "object"}`, which would go out as `{}`.
 * The routes' real answers are checked by the test server's hooks (helpers.ts).
 */
import Fastify from "fastify";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import {
  classifyResponseSchema,
  cohereRerankResponseSchema,
  embedResponseSchema,
  errorSchema,
  infoResponseSchema,
  reportsResponseSchema,
  searchResponseSchema,
  statusResponseSchema,
  substitutesResponseSchema,
  teiRerankResponseSchema,
} from "../../src/server/api.js";

const product = {
  id: "B001",
  title: "Car stereo",
  brand: "Pioneer",
  color: "black",
  bullet_points: "Bluetooth\nUSB",
  description: "Double DIN.",
  locale: "us",
  attributes: { size: "double din", voltage: "12 V" },
  // A field a future store might add: it passes through.
  rating: 4.5,
};

const hit = {
  rank: 1,
  id: "B001",
  title: "Car stereo",
  score: 0.91,
  label: "exact",
  esci: "E",
  probs: { exact: 0.9, substitute: 0.05, complement: 0.03, irrelevant: 0.02 },
  calibrated: true,
  stage1_rank: 3,
  stage1_score: 0.031,
  bm25_rank: 2,
  vector_rank: 5,
  product,
};

/** Each answer schema with an answer that has every field it can have. */
const FULL: [string, TSchema, unknown][] = [
  ["classify", classifyResponseSchema, { model: "m", labels: ["exact", "substitute"], calibrated: true, results: [{ index: 0, label: "exact", esci: "E", probs: { exact: 0.7, substitute: 0.3 }, logits: [1.5, -0.25], score: 0.73 }] }],
  ["tei rerank", teiRerankResponseSchema, [{ index: 1, score: -0.5, text: "USB cable" }, { index: 0, score: -1e-9 }]],
  ["cohere rerank", cohereRerankResponseSchema, { model: "m", results: [{ index: 0, relevance_score: 0.5, document: { text: "a" } }] }],
  ["search", searchResponseSchema, { query: "car stereo", reranked: true, hits: [hit, { rank: 2, id: "B002", title: "Speaker", score: 0.01, stage1_rank: 1, stage1_score: 0.03, product: { id: "B002", title: "Speaker" } }] }],
  ["substitutes", substitutesResponseSchema, { product, hits: [{ ...hit, label: "substitute", esci: "S" }] }],
  ["embed", embedResponseSchema, { model: "b", dimension: 3, embeddings: [[0.1, -0.2, 1e-7]] }],
  ["status", statusResponseSchema, { status: "ok" }],
  [
    "info",
    infoResponseSchema,
    {
      version: "0.1.0",
      ready: true,
      cross_encoder: { id: "m", labels: ["exact"], rerank_score: "expected-gain", max_length: 512 },
      embedder: { id: "b", dimension: 384, max_length: 256 },
      store: { location: "sqlite:x.db", products: 58, embedded: 58, embedding_model: "b" },
      reports: true,
      limits: { max_pairs: 1000, max_chars: 20000, max_queued: 8192 },
      auth: false,
    },
  ],
  ["reports", reportsResponseSchema, { reports: [{ path: "runs/a", url: "/reports/runs/a/report.html", created: "2026-01-01T00:00:00.000Z", modified: "2026-01-02T00:00:00.000Z", ndcg: 0.86, micro_f1: 0.5 }] }],
  ["error", errorSchema, { error: "too many", error_type: "TOO_LARGE", details: { limit: "max_pairs", max_pairs: 8, got: 9, nested: { a: [1, "b"] } } }],
];

/** Every object schema inside `s` (items, properties, pattern and additional properties, alternatives). */
function objects(s: Record<string, unknown>, at: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (s.type === "object") out.push([at, s]);
  const children: [string, unknown][] = [
    ...Object.entries((s.properties ?? {}) as Record<string, unknown>).map(([k, v]): [string, unknown] => [`${at}.${k}`, v]),
    ...Object.values((s.patternProperties ?? {}) as Record<string, unknown>).map((v): [string, unknown] => [`${at}[name]`, v]),
    [`${at}[]`, s.items],
    [`${at}[name]`, typeof s.additionalProperties === "object" ? s.additionalProperties : undefined],
    ...((s.oneOf ?? s.anyOf ?? []) as unknown[]).map((v, i): [string, unknown] => [`${at}|${i}`, v]),
  ];
  for (const [where, child] of children) if (child && typeof child === "object") objects(child as Record<string, unknown>, where, out);
  return out;
}

describe("answer schemas", () => {
  it("declare the fields of every object they describe (a bare {type: object} would be serialized as {})", () => {
    for (const [name, schema] of FULL) {
      for (const [at, o] of objects(schema as Record<string, unknown>, name)) {
        assert.ok(o.properties !== undefined || o.patternProperties !== undefined || o.additionalProperties !== undefined, `${at} declares no fields`);
      }
    }
  });

  it("an answer with every optional field passes Fastify's serializer unchanged, and checks against its schema", async () => {
    const app = Fastify({ logger: false });
    FULL.forEach(([, schema, value], i) => app.get(`/${i}`, { schema: { response: { 200: schema } } }, async () => value));
    try {
      for (const [i, [name, schema, value]] of FULL.entries()) {
        assert.ok(Value.Check(schema, value), `${name}: the sample itself: ${JSON.stringify([...Value.Errors(schema, value)])}`);
        const r = await app.inject({ method: "GET", url: `/${i}` });
        assert.equal(r.statusCode, 200, r.body);
        assert.deepEqual(r.json(), value, name);
      }
    } finally {
      await app.close();
    }
  });
});
