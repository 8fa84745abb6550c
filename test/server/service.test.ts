/**
 * The catalog routes (search, substitutes, embed) against the demo catalog in a SQLite store,
 * equal to the search pipeline run directly with the unqueued models; bearer keys and CORS;
 * /health, /metrics, /v1/info, /docs and its OpenAPI JSON; the web UI's files; the report viewer's
 * listing and files (nothing outside --reports). All in-process, no port.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import { BiEncoder } from "../../src/models/bi-encoder.js";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import { SearchPipeline } from "../../src/search/pipeline.js";
import type { CatalogStore } from "../../src/search/store.js";
import { fixtureModel, isolateEsciCache, tempDir } from "../helpers/paths.js";
import { assertClose, demoStore, EMBED_MODEL, ESCI_MODEL, json, testServer } from "./helpers.js";

type Server = Awaited<ReturnType<typeof testServer>>;

before(() => isolateEsciCache());

describe("POST /v1/search, /v1/substitutes, /v1/embed", () => {
  let s: Server;
  let store: CatalogStore;
  let direct: SearchPipeline;
  let ce: CrossEncoder;
  let be: BiEncoder;
  before(async () => {
    store = await demoStore();
    s = await testServer({ store, embed: true });
    ce = await CrossEncoder.load(ESCI_MODEL);
    be = await BiEncoder.load(EMBED_MODEL);
    direct = new SearchPipeline({ store, embedder: be, scorer: ce });
  });
  after(async () => {
    await s.close();
    await ce.dispose();
    await be.dispose();
    await store.close();
  });

  it("search: the pipeline's hits (BM25 + vectors, reranked by expected gain), each with its stage-1 rank", async () => {
    const query = "car stereo bluetooth";
    const expected = await direct.search(query, { k: 5 });
    const r = await s.app.inject(json("/v1/search", { query, k: 5 }));
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json();
    assert.equal(out.reranked, true);
    assert.deepEqual(
      out.hits.map((h: { id: string }) => h.id),
      expected.map((h) => h.id),
    );
    out.hits.forEach((h: { rank: number; score: number; label: string; esci: string; probs: Record<string, number>; stage1_rank: number; product: { id: string; title: string } }, i: number) => {
      assert.equal(h.rank, i + 1);
      assert.ok(Math.abs(h.score - expected[i].score) < 1e-5);
      assert.equal(h.label, expected[i].label);
      assert.equal(h.esci, expected[i].esci);
      assert.equal(h.stage1_rank, expected[i].stage1_rank);
      assert.deepEqual(Object.keys(h.probs), ["exact", "substitute", "complement", "irrelevant"]);
      assert.equal(h.product.id, expected[i].id);
    });
    assert.ok(out.hits.some((h: { bm25_rank?: number; vector_rank?: number }) => h.bm25_rank !== undefined || h.vector_rank !== undefined));
  });

  it("search: rerank false → stage 1 only; only: E keeps exact hits; an empty query is 422", async () => {
    const s1 = (await s.app.inject(json("/v1/search", { query: "car stereo", k: 3, rerank: false }))).json();
    assert.equal(s1.reranked, false);
    assert.equal(s1.hits[0].label, undefined);
    assert.deepEqual(
      s1.hits.map((h: { stage1_rank: number }) => h.stage1_rank),
      [1, 2, 3],
    );
    const only = (await s.app.inject(json("/v1/search", { query: "car stereo", k: 20, only: "C" }))).json();
    assert.ok(only.hits.every((h: { label: string; esci: string }) => h.label === "complement" && h.esci === "C"));
    // The pipeline names its options; the answer names the request's JSON fields.
    const onlyUnranked = await s.app.inject(json("/v1/search", { query: "car stereo", rerank: false, only: "C" }));
    assert.equal(onlyUnranked.statusCode, 422);
    assert.match(onlyUnranked.json().error, /^`only` needs the cross-encoder's labels: drop "rerank": false/);
    assert.equal(onlyUnranked.json().details.field, "only");
    assert.deepEqual(onlyUnranked.json().details.fields, ["rerank"]);
    const empty = await s.app.inject(json("/v1/search", { query: "  " }));
    assert.equal(empty.statusCode, 422);
    const badK = await s.app.inject(json("/v1/search", { query: "x", k: 0 }));
    assert.equal(badK.statusCode, 422);
  });

  it("search: repeated queries are served from the caches, whose counters /metrics exports; rerank_candidates caps reranking", async () => {
    const body = { query: "portable bluetooth speaker", k: 5 };
    const a = (await s.app.inject(json("/v1/search", body))).json();
    const scored = s.metrics.batchRows.render().find((l) => l.startsWith("esci_batch_size_sum"));
    const b = (await s.app.inject(json("/v1/search", body))).json();
    assert.deepEqual(b, a);
    // No model ran for the repeat: the batch counters did not move.
    assert.equal(s.metrics.batchRows.render().find((l) => l.startsWith("esci_batch_size_sum")), scored);
    const m = (await s.app.inject({ method: "GET", url: "/metrics" })).body;
    const value = (line: string) => Number(m.split("\n").find((l) => l.startsWith(line))?.split(" ").pop());
    assert.ok(value('esci_cache_hits_total{cache="stage1"}') >= 1);
    assert.ok(value('esci_cache_misses_total{cache="scores"}') >= 5);
    assert.ok(value('esci_cache_entries{cache="embeddings"}') >= 1);
    assert.ok(value('esci_cache_hit_ratio{cache="stage1"}') > 0);
    assert.match(m, /# TYPE esci_cache_hits_total counter/);
    const capped = (await s.app.inject(json("/v1/search", { query: "usb cable", k: 10, rerank_candidates: 3 }))).json();
    assert.equal(capped.hits.length, 3);
    assert.deepEqual(new Set(capped.hits.map((h: { stage1_rank: number }) => h.stage1_rank)), new Set([1, 2, 3]));
  });

  it("search with a second reranker: it rescores the first one's top second_rerank_top hits", async () => {
    // The tiny ESCI model again under another path: a second model id, so its metrics are its own.
    // Same weights, same predictions: the score cache would answer the second model from the
    // first one's entries, so it is off here.
    const copy = mkdtempSync(join(tmpdir(), "esci-second-"));
    cpSync(ESCI_MODEL, copy, { recursive: true });
    const cascade = await testServer({ store, embed: true, secondModel: copy, settings: { secondRerankTop: 2 }, caches: { scores: 0 } });
    try {
      const r = await cascade.app.inject(json("/v1/search", { query: "car stereo", k: 5 }));
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().hits.length, 5);
      const m = (await cascade.app.inject({ method: "GET", url: "/metrics" })).body;
      // The second model ran on exactly the first one's top 2 pairs.
      assert.ok(m.includes(`esci_batch_size_sum{model="${copy}"} 2\n`), m);
      const off = await cascade.app.inject(json("/v1/search", { query: "wireless mouse", k: 5, second_rerank_top: 0 }));
      assert.equal(off.statusCode, 200, off.body);
      const bad = await cascade.app.inject(json("/v1/search", { query: "x", rerank_candidates: 0 }));
      assert.equal(bad.statusCode, 422);
    } finally {
      await cascade.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("substitutes: products labelled S near the given one; an unknown product is 404", async () => {
    const anyId = (await direct.stage1("car stereo", { candidates: 1 }))[0].id;
    const r = await s.app.inject(json("/v1/substitutes", { product_id: anyId, k: 5, candidates: 40 }));
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json();
    assert.equal(out.product.id, anyId);
    for (const h of out.hits) {
      assert.equal(h.label, "substitute");
      assert.equal(h.esci, "S");
      assert.notEqual(h.id, anyId);
    }
    const missing = await s.app.inject(json("/v1/substitutes", { product_id: "NO-SUCH-ID" }));
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error, /product "NO-SUCH-ID" is not in store/);
  });

  it("embed: the bi-encoder's embeddings (1e-5), one text or many", async () => {
    const texts = ["wireless mouse", "a much longer product title about car stereos with bluetooth"];
    const expected = await be.embed(texts);
    const r = await s.app.inject(json("/v1/embed", { inputs: texts }));
    assert.equal(r.statusCode, 200, r.body);
    const out = r.json();
    assert.equal(out.model, EMBED_MODEL);
    assert.equal(out.dimension, 32);
    out.embeddings.forEach((e: number[], i: number) => assertClose(e, expected[i], 1e-5, `embedding ${i}`));
    const one = (await s.app.inject(json("/v1/embed", { inputs: "wireless mouse" }))).json();
    assertClose(one.embeddings[0], expected[0], 1e-5, "single input");
  });

  it("a bi-encoder other than the store's answers 409 naming the store's model", async () => {
    const other = await testServer({ store, embed: fixtureModel("tiny-st-bert-cls") });
    try {
      const r = await other.app.inject(json("/v1/search", { query: "car stereo" }));
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error_type, "CONFLICT");
      // The store's model, and the serve flag that sets the server's bi-encoder.
      assert.ok(r.json().error.includes(`embed them with "${EMBED_MODEL}" (--embed-model)`), r.json().error);
      assert.equal(r.json().details.setting, "--embed-model");
    } finally {
      await other.close();
    }
  });

  it("/v1/info describes models, store and limits", async () => {
    const info = (await s.app.inject({ method: "GET", url: "/v1/info" })).json();
    assert.equal(info.ready, true);
    assert.equal(info.cross_encoder.rerank_score, "expected-gain");
    assert.equal(info.embedder.id, EMBED_MODEL);
    assert.equal(info.store.products, 58);
    assert.equal(info.auth, false);
  });
});

describe("unexpected errors", () => {
  it("answer 500 INTERNAL without the message, which goes to the error log with its stack", async () => {
    const broken = { kind: "sqlite", location: "sqlite:broken.db", embedding: async () => { throw new Error("disk on fire"); }, close: async () => {} } as unknown as CatalogStore;
    const logged: string[] = [];
    const s = await testServer({ store: broken, settings: { logError: (m) => logged.push(m) } });
    try {
      const r = await s.app.inject(json("/v1/search", { query: "q" }));
      assert.equal(r.statusCode, 500);
      assert.deepEqual(r.json(), { error: "internal error", error_type: "INTERNAL" });
      assert.equal(logged.length, 1);
      assert.match(logged[0], /internal error in POST \/v1\/search: Error: disk on fire\n\s+at /);
    } finally {
      await s.close();
    }
  });
});

describe("API keys and CORS", () => {
  let s: Server;
  before(async () => {
    s = await testServer({ settings: { apiKeys: ["k-one", "k-two"], cors: ["http://shop.example"] } });
  });
  after(() => s.close());

  it("API routes need a known bearer key (401 + WWW-Authenticate otherwise); probes, metrics, docs and UI do not", async () => {
    const body = { query: "q", texts: ["t"] };
    const none = await s.app.inject(json("/rerank", body));
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error_type, "UNAUTHORIZED");
    assert.match(none.headers["www-authenticate"] as string, /^Bearer/);
    assert.equal((await s.app.inject(json("/rerank", body, { authorization: "Bearer nope" }))).statusCode, 401);
    assert.equal((await s.app.inject(json("/rerank", body, { authorization: "Bearer k-two" }))).statusCode, 200);
    for (const url of ["/health", "/ready", "/metrics", "/docs", "/docs/openapi.json", "/", "/v1/info"]) {
      assert.equal((await s.app.inject({ method: "GET", url })).statusCode, 200, url);
    }
    const doc = (await s.app.inject({ method: "GET", url: "/docs/openapi.json" })).json();
    assert.deepEqual(doc.paths["/rerank"].post.security, [{ bearer: [] }]);
    assert.equal(doc.components.securitySchemes.bearer.scheme, "bearer");
  });

  it("CORS: the configured origin gets preflight and response headers, another origin does not", async () => {
    const pre = await s.app.inject({ method: "OPTIONS", url: "/v1/rerank", headers: { origin: "http://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" } });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "http://shop.example");
    assert.match(String(pre.headers["access-control-allow-headers"]), /authorization/);
    const other = await s.app.inject({ method: "GET", url: "/health", headers: { origin: "http://evil.example" } });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    const mine = await s.app.inject({ method: "GET", url: "/health", headers: { origin: "http://shop.example" } });
    assert.equal(mine.headers["access-control-allow-origin"], "http://shop.example");
  });
});

describe("metrics, docs, web UI, reports", () => {
  let s: Server;
  let reports: string;
  before(async () => {
    reports = tempDir("esci-reports-");
    const write = (dir: string, created: string, ndcg: number) => {
      mkdirSync(join(reports, dir), { recursive: true });
      writeFileSync(join(reports, dir, "report.html"), `<!doctype html><h1>ESCI evaluation report ${dir}</h1>`);
      writeFileSync(join(reports, dir, "metrics.json"), JSON.stringify({ created, task1: { ndcg }, task2: { micro_f1: 0.5 } }));
    };
    write("older", "2025-01-01T00:00:00.000Z", 0.81);
    write("runs/newer run", "2026-01-01T00:00:00.000Z", 0.86);
    writeFileSync(join(reports, "secret.txt"), "not a report");
    s = await testServer({ settings: { reportsDir: reports } });
  });
  after(() => s.close());

  it("/metrics: Prometheus text with requests by route and status, latency, queue depth, batches, tokens, padding", async () => {
    await s.app.inject(json("/rerank", { query: "q", texts: ["a b c d e f", "a"] }));
    await s.app.inject(json("/rerank", { query: "q", texts: "x" }));
    const r = await s.app.inject({ method: "GET", url: "/metrics" });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
    const m = r.body;
    assert.match(m, /^esci_http_requests_total\{route="\/rerank",method="POST",status="200"\} 1$/m);
    assert.match(m, /^esci_http_requests_total\{route="\/rerank",method="POST",status="422"\} 1$/m);
    assert.match(m, /^# TYPE esci_http_request_duration_seconds histogram$/m);
    assert.match(m, /^esci_http_request_duration_seconds_bucket\{route="\/rerank",le="\+Inf"\} 2$/m);
    const model = ESCI_MODEL.replace(/[\\"]/g, "\\$&");
    for (const name of ["esci_queue_depth", "esci_padding_ratio", "esci_tokens_total", "esci_padded_tokens_total", "esci_batch_size_count"]) {
      assert.ok(m.includes(`${name}{model="${model}"}`), `${name} for the model`);
    }
    const tokens = Number(/^esci_tokens_total\{[^}]*\} (\d+)$/m.exec(m)![1]);
    const padded = Number(/^esci_padded_tokens_total\{[^}]*\} (\d+)$/m.exec(m)![1]);
    assert.ok(padded > tokens && tokens > 0, `tokens ${tokens}, padded ${padded}`);
    assert.match(m, /^esci_ready 1$/m);
    assert.match(m, /^process_resident_memory_bytes \d+$/m);
  });

  it("/docs/openapi.json describes every API route; /docs renders it without external assets", async () => {
    const doc = (await s.app.inject({ method: "GET", url: "/docs/openapi.json" })).json();
    assert.equal(doc.openapi, "3.1.0");
    for (const [path, method] of [["/v1/classify", "post"], ["/rerank", "post"], ["/v1/rerank", "post"], ["/v1/search", "post"], ["/v1/substitutes", "post"], ["/v1/embed", "post"], ["/health", "get"], ["/ready", "get"], ["/metrics", "get"], ["/v1/reports", "get"], ["/reports/{path}", "get"]]) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      if (method === "post") {
        assert.equal(op.requestBody.content["application/json"].schema.type, "object");
        assert.ok(op.responses["422"] && op.responses["400"], `${path} documents 400 and 422`);
      }
    }
    assert.ok(doc.paths["/rerank"].post.responses["413"]);
    assert.ok(doc.paths["/rerank"].post.responses["429"]);
    assert.equal(doc.paths["/app.js"], undefined, "UI assets are not API");
    const html = await s.app.inject({ method: "GET", url: "/docs" });
    assert.match(html.headers["content-type"] as string, /text\/html/);
    for (const route of ["/v1/classify", "/rerank", "/v1/rerank", "/v1/search", "/v1/embed", "/metrics"]) assert.ok(html.body.includes(`<code>${route}</code>`), route);
    assert.match(html.body, /raw_scores/);
    assert.doesNotMatch(html.body, /<script|https?:\/\/(?!localhost)/);
  });

  it("/docs/openapi.json holds every route Fastify registered, with the very schemas it validates and serializes with", async () => {
    const doc = (await s.app.inject({ method: "GET", url: "/docs/openapi.json" })).json();
    const resolve = (x: { $ref?: string }) => (x.$ref ? doc.components.schemas[x.$ref.replace("#/components/schemas/", "")] : x);
    const asJson = (x: unknown) => JSON.parse(JSON.stringify(x));
    const api = s.registered.filter((r) => (r.method === "GET" || r.method === "POST") && !r.doc?.hidden);
    assert.ok(api.length >= 15, `${api.length} routes`);
    const seen = new Set<string>();
    for (const r of api) {
      const where = `${r.method} ${r.url}`;
      assert.ok(r.doc, `${where} was registered outside the route table`);
      const path = r.url.replace(/\/\*$/, "/{path}");
      const op = doc.paths[path]?.[(r.method as string).toLowerCase()];
      assert.ok(op, `${where} is not in the document`);
      seen.add(`${r.method} ${path}`);
      assert.deepEqual(op.requestBody?.content["application/json"].schema, r.schema.body && asJson(r.schema.body), `${where} request body`);
      assert.deepEqual(op.parameters?.map((p: { schema: unknown }) => p.schema), r.schema.params && Object.values(asJson(r.schema.params).properties), `${where} parameters`);
      const registered = r.schema.response ?? {};
      assert.deepEqual(
        Object.keys(op.responses).map(Number),
        [...new Set([200, ...Object.keys(registered).map(Number)])].sort((a, b) => a - b),
        `${where} statuses`,
      );
      for (const [status, schema] of Object.entries(registered)) {
        assert.deepEqual(resolve(op.responses[status].content["application/json"].schema), asJson(schema), `${where} → ${status}`);
      }
      if (!registered[200]) assert.deepEqual(op.responses[200].content[r.doc.mediaType!], {}, `${where}: its media type`);
    }
    // …and nothing else: every operation of the document is a registered route.
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(documented.sort(), [...seen].sort());
    for (const r of s.routes) assert.ok(s.app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url}`);
  });

  it("each documented operation answers what its published schema says (its example body; errors included)", async () => {
    const doc = (await s.app.inject({ method: "GET", url: "/docs/openapi.json" })).json();
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown }> }; responses: Record<string, { content: Record<string, { schema?: TSchema & { $ref?: string } }> }> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace("{path}", "older/metrics.json");
        const example = op.requestBody?.content["application/json"].example;
        const r = await s.app.inject(method === "post" ? json(url, example) : { method: "GET", url });
        const answer = op.responses[String(r.statusCode)];
        assert.ok(answer, `${method} ${url} answered ${r.statusCode}, which it does not document: ${r.body}`);
        const schema = answer.content["application/json"]?.schema;
        if (!schema || !/application\/json/.test(String(r.headers["content-type"])) || path === "/docs/openapi.json" || path === "/reports/{path}") continue;
        const resolved = schema.$ref ? doc.components.schemas.Error : schema;
        assert.ok(Value.Check(resolved, r.json()), `${method} ${url} → ${r.statusCode}: ${JSON.stringify([...Value.Errors(resolved, r.json())].slice(0, 3))}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `${checked} answers checked`);
  });

  it("the web UI is served at / with its assets and a CSP", async () => {
    const page = await s.app.inject({ method: "GET", url: "/" });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers["content-type"] as string, /text\/html/);
    assert.match(page.headers["content-security-policy"] as string, /default-src 'self'/);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    const js = await s.app.inject({ method: "GET", url: "/app.js" });
    assert.match(js.headers["content-type"] as string, /javascript/);
    assert.equal((await s.app.inject({ method: "GET", url: "/style.css" })).statusCode, 200);
  });

  it("reports: listed newest first with their metrics; served with a no-script CSP; nothing else under --reports", async () => {
    const list = (await s.app.inject({ method: "GET", url: "/v1/reports" })).json().reports;
    assert.deepEqual(
      list.map((r: { path: string }) => r.path),
      ["runs/newer run", "older"],
    );
    assert.equal(list[0].url, "/reports/runs/newer%20run/report.html");
    assert.equal(list[0].ndcg, 0.86);
    assert.equal(list[0].micro_f1, 0.5);
    const page = await s.app.inject({ method: "GET", url: list[0].url });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /report runs\/newer run/);
    assert.match(page.headers["content-security-policy"] as string, /default-src 'none'/);
    assert.equal((await s.app.inject({ method: "GET", url: "/reports/older/metrics.json" })).json().task1.ndcg, 0.81);
    for (const url of ["/reports/secret.txt", "/reports/../package.json", "/reports/older/../../report.html", "/reports/%2e%2e/report.html", "/reports/nope/report.html"]) {
      const r = await s.app.inject({ method: "GET", url });
      assert.equal(r.statusCode, 404, url);
    }
  });

  it("without --reports the listing is 404 with a hint", async () => {
    const n = await testServer();
    try {
      const r = await n.app.inject({ method: "GET", url: "/v1/reports" });
      assert.equal(r.statusCode, 404);
      assert.match(r.json().error, /--reports DIR/);
    } finally {
      await n.close();
    }
  });
});
