/**
 * Bounded work per request: a maximal request (every pair at --max-chars characters) is tokenized
 * in the model's tokenizer worker, not on the event loop, so /health is answered while it is in
 * flight. The test checks the order of the answers, not their times (the timing, < 50 ms, is
 * measured by bench/health-under-load.mjs).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS } from "../../src/server/limits.js";
import { testServer } from "./helpers.js";

function send(url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? "GET" : "POST", headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("bounded work", () => {
  it("/health answers while a maximal /v1/classify request is being tokenized", { timeout: 600_000 }, async () => {
    const limits = { ...DEFAULT_LIMITS, maxPairs: 100 };
    const s = await testServer({ settings: { limits } });
    try {
      // 100 pairs × 2 × 20,000 characters: 4 M characters, a second or more of tokenizing.
      const text = "wireless optical mouse with nano receiver ".repeat(Math.ceil(limits.maxChars / 42)).slice(0, limits.maxChars);
      const body = JSON.stringify({ pairs: Array.from({ length: limits.maxPairs }, (_, i) => [`${i} ${text}`.slice(0, limits.maxChars), text]) });
      // The order of events on the server: the route starts (after the body is parsed), /health is answered,
      // the tokenized rows reach the batching queue. Tokenizing on the event loop would put
      // "queued" before "health".
      const order: string[] = [];
      let started!: () => void;
      const routeStarted = new Promise<void>((r) => (started = r));
      s.app.addHook("preHandler", async (req) => {
        if (req.url === "/v1/classify") {
          order.push("route");
          started();
        }
      });
      // Recorded by the server as it answers, so the client's own loop turns cannot reorder it.
      s.app.addHook("onSend", async (req) => {
        if (req.url === "/health") order.push("health");
      });
      const queue = s.models.scorer.engine.batchQueue!;
      const submit = queue.submit.bind(queue);
      queue.submit = (rows, signal) => {
        order.push("queued");
        return submit(rows, signal);
      };
      const url = await s.app.listen({ host: "127.0.0.1", port: 0 });
      const big = send(`${url}/v1/classify`, body);
      await routeStarted;
      const h = await send(`${url}/health`);
      const b = await big;
      assert.equal(h.status, 200);
      assert.equal(b.status, 200, b.body);
      assert.equal((JSON.parse(b.body) as { results: unknown[] }).results.length, limits.maxPairs);
      assert.deepEqual(order, ["route", "health", "queued"]);
    } finally {
      await s.close();
    }
  });
});
