/**
 * Connection timeouts over raw sockets on loopback: a client that connects and sends nothing,
 * half its headers, or headers and half its body gets 408 with esci's error body and the
 * connection closed, at the configured (short, here) header and body timeouts; a kept-alive
 * connection left idle is closed without an answer; a complete request is answered as usual.
 * The tests wait for the close, they do not time it (no wall-clock assertions): the server's
 * defaults (10 s, 30 s) would outlast each test's own timeout.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { buildApp, ServerState } from "../../src/server/index.js";
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from "../../src/server/limits.js";

const TIMEOUTS = { headersMs: 300, requestMs: 600, idleMs: 300 };
// For the idle case: a complete request must not be cut by the header timeout even when a busy
// machine delays reading it, so only the idle timeout is short.
const IDLE_ONLY = { headersMs: 60_000, requestMs: 60_000, idleMs: 300 };

let port = 0;
let idlePort = 0;
const apps: { close(): Promise<unknown> }[] = [];

async function listen(timeouts: typeof TIMEOUTS): Promise<number> {
  const { app } = await buildApp(new ServerState(), { limits: DEFAULT_LIMITS, apiKeys: [], cors: [], timeouts });
  apps.push(app);
  return Number(new URL(await app.listen({ host: "127.0.0.1", port: 0 })).port);
}

before(async () => {
  port = await listen(TIMEOUTS);
  idlePort = await listen(IDLE_ONLY);
});
after(() => Promise.all(apps.map((a) => a.close())));

/** Connect, send `chunks`, then stall; resolves with everything the server sent once it closes the connection. */
function stall(chunks: string[], to = port): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(to, "127.0.0.1", () => chunks.forEach((c) => s.write(c)));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("error", reject);
    s.on("close", () => resolve(got));
  });
}

function assert408(raw: string): void {
  const [head, body] = raw.split("\r\n\r\n");
  assert.match(head, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(head, /\r\nConnection: close/i);
  const json = JSON.parse(body) as { error: string; error_type: string; details: Record<string, number> };
  assert.equal(json.error_type, "TIMEOUT");
  assert.match(json.error, /--header-timeout/);
  assert.deepEqual(json.details, { header_timeout_s: 0.3, body_timeout_s: 0.6 });
}

const TEST = { timeout: 600_000 };

describe("connection timeouts", () => {
  it("defaults stay at or under 30 s", () => {
    for (const v of Object.values(DEFAULT_TIMEOUTS)) assert.ok(v > 0 && v <= 30_000);
  });

  it("a connection that sends nothing gets 408 and is closed", TEST, async () => {
    assert408(await stall([]));
  });

  it("half-sent headers get 408 and the connection closed", TEST, async () => {
    assert408(await stall(["POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: app"]));
  });

  it("a header dripped slowly, one line at a time, does not keep the connection open", TEST, async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(port, "127.0.0.1");
      let got = "";
      let i = 0;
      const drip = setInterval(() => s.writable && s.write(i++ === 0 ? "GET /health HTTP/1.1\r\n" : `X-Drip-${i}: y\r\n`), 50);
      s.on("data", (d) => (got += d));
      s.on("error", reject);
      s.on("close", () => {
        clearInterval(drip);
        resolve(got);
      });
    });
    assert408(raw);
  });

  it("headers and half the body get 408 at the body timeout", TEST, async () => {
    assert408(await stall(["POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", '{"query": "mou']));
  });

  it("a kept-alive connection is answered, then closed when idle", TEST, async () => {
    const raw = await stall(["GET /health HTTP/1.1\r\nHost: x\r\n\r\n"], idlePort);
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\{"status":"ok"\}$/);
    assert.doesNotMatch(raw, /408/);
  });

  it("a header timeout above the body timeout is refused", async () => {
    await assert.rejects(buildApp(new ServerState(), { limits: DEFAULT_LIMITS, apiKeys: [], cors: [], timeouts: { ...TIMEOUTS, headersMs: 700 } }), /must not exceed the body timeout/);
  });
});
