/**
 * server/json-body.ts: a body over INLINE_BYTES is parsed in a worker thread, and every answer is
 * the one fastify's own parser gives. Each case is sent twice, as a small body (parsed inline) and
 * padded past INLINE_BYTES with a long string (parsed in the worker): same status, same error type
 * and message, and for valid bodies the same value reaching the route. No models load: an echo
 * route shows the parsed value, and the model routes answer 503 (still loading) once a body is valid.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { buildApp, ServerState } from "../../src/server/index.js";
import { INLINE_BYTES, useJsonBodyParser } from "../../src/server/json-body.js";
import { DEFAULT_LIMITS } from "../../src/server/limits.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
/** A string field long enough to put a body past INLINE_BYTES. */
const PAD = "wireless optical mouse é 🛒 ".repeat(Math.ceil((INLINE_BYTES + 1000) / 28));

let app: FastifyInstance;
before(async () => {
  ({ app } = await buildApp(new ServerState(), { limits: DEFAULT_LIMITS, apiKeys: [], cors: [] }));
  app.post("/test/echo", async (req) => ({ sha: sha(JSON.stringify(req.body)) }));
});
after(() => app.close());

async function post(url: string, payload: string | Buffer) {
  const r = await app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json" } });
  return { status: r.statusCode, body: r.json() as { error?: string; error_type?: string; sha?: string } };
}

/** `small` as given, and with `"pad": PAD` spliced in after its opening brace (so > INLINE_BYTES). */
function both(small: string): [string, string] {
  const big = small.replace(/^(\ufeff?\s*)\{/, (_m, lead: string) => `${lead}{"pad": ${JSON.stringify(PAD)}, `);
  assert.ok(Buffer.byteLength(big) > INLINE_BYTES && Buffer.byteLength(small) <= INLINE_BYTES);
  return [small, big];
}

describe("JSON bodies past INLINE_BYTES, parsed in a worker", () => {
  it("a valid body reaches the route as the same value (multi-byte characters across chunks included)", async () => {
    for (const text of both('{"query": "sac à dos 🎒", "products": ["a", "b"], "n": [1, 2.5, null, true]}')) {
      const r = await post("/test/echo", Buffer.from(text));
      assert.equal(r.status, 200);
      assert.equal(r.body.sha, sha(JSON.stringify(JSON.parse(text))));
    }
  });

  const cases: [string, string, string][] = [
    ["valid, the models still loading", "/v1/classify", '{"query": "q", "products": ["a"]}'],
    ["a schema failure", "/v1/classify", '{"query": 5, "products": ["a"]}'],
    ["not JSON", "/v1/classify", '{"query": "q", "products": ["a"'],
    ["a __proto__ key", "/v1/classify", '{"__proto__": {"x": 1}, "query": "q", "products": ["a"]}'],
    ["constructor.prototype", "/v1/classify", '{"constructor": {"prototype": {"x": 1}}, "query": "q", "products": ["a"]}'],
    ["a byte-order mark before the JSON", "/v1/classify", '\ufeff{"query": "q", "products": ["a"]}'],
  ];
  for (const [name, url, small] of cases) {
    it(`${name}: the same answer inline and in the worker`, async () => {
      const [a, b] = both(small);
      const inline = await post(url, a);
      const worker = await post(url, b);
      assert.equal(worker.status, inline.status, JSON.stringify(worker.body));
      assert.equal(worker.body.error_type, inline.body.error_type);
      // a schema message names the field; the pad field changes nothing else
      assert.equal(worker.body.error, inline.body.error);
    });
  }

  it("answers as before: 400 MALFORMED for bad JSON, 503 for a valid body while models load", async () => {
    const [, bad] = both('{"query": "q", "products": ["a"');
    assert.deepEqual((await post("/v1/classify", bad)).body.error_type, "MALFORMED");
    const [, ok] = both('{"query": "q", "products": ["a"]}');
    assert.equal((await post("/v1/classify", ok)).status, 503);
  });

  it("bodies up to INLINE_BYTES are parsed inline, larger ones in the worker", async () => {
    const bare = Fastify();
    const counts = useJsonBodyParser(bare);
    bare.post("/echo", async (req) => req.body);
    try {
      const [small, big] = both('{"query": "q"}');
      for (const text of [small, big, big]) {
        const r = await bare.inject({ method: "POST", url: "/echo", payload: text, headers: { "content-type": "application/json; charset=utf-8" } });
        assert.deepEqual(r.json(), JSON.parse(text));
      }
      assert.deepEqual(counts, { inline: 1, worker: 2 });
    } finally {
      await bare.close();
    }
  });
});
