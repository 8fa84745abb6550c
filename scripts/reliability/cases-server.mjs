/**
 * The server rows of docs/reliability.md: every HTTP abuse case tried against a real server — the
 * in-process startServer from dist/ on a loopback port 0, over the committed tiny fixture model
 * tiny-roberta-esci, with an API key, short connection timeouts and small limits — and what it
 * answered: the HTTP status (or "connection closed"), and the message of the error body.
 *
 *   export async function run(ctx) → [{ area, fault, outcome, message }]
 *
 * `ctx` is { root, tmpDir, esci(args, opts) } (scripts/reliability/generate.mjs builds it; only
 * `root` and `tmpDir` are used here). Standalone, `node scripts/reliability/cases-server.mjs`
 * (after npm run build) prints the rows as a Markdown table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const KEY = "reliability-key";
const TIMEOUTS = { headersMs: 2000, requestMs: 3000, idleMs: 500 };

/** One HTTP exchange; resolves with status and body, or status 0 and the socket error. */
function http(url, { method = "POST", headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve({ status: res.statusCode, body: s }));
    });
    req.on("error", (e) => resolve({ status: 0, body: e.message }));
    req.end(body);
  });
}

/** Raw bytes on a socket, then stall; resolves with what came back once the server closes. */
function raw(port, chunks) {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => chunks.forEach((c) => s.write(c)));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("error", () => {});
    s.on("close", () => resolve(got));
  });
}

/** A row from an HTTP answer: "HTTP 413" and the error body's message. */
function fromAnswer(area, fault, r) {
  if (r.status === 0) return { area, fault, outcome: "connection closed", message: r.body };
  let message = "";
  try {
    const j = JSON.parse(r.body);
    message = j.error ?? (j.status ? `status: ${j.status}` : Array.isArray(j.results) ? `answered: ${j.results.length} results` : JSON.stringify(j).slice(0, 200));
  } catch {
    message = r.body.slice(0, 200);
  }
  return { area, fault, outcome: `HTTP ${r.status}`, message };
}

/** A row from raw socket output: the status line's code, or "connection closed" when none came. */
function fromRaw(area, fault, got, closed = "connection closed") {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
  if (!m) return { area, fault, outcome: closed, message: got ? got.slice(0, 200) : "(no bytes)" };
  const body = got.split("\r\n\r\n").slice(1).join("\r\n\r\n");
  const first = fromAnswer(area, fault, { status: Number(m[1]), body });
  // A kept-alive exchange that was answered and then closed by the idle timeout.
  return m[1] === "200" ? { ...first, outcome: `HTTP 200, then ${closed}` } : { ...first, outcome: `HTTP ${m[1]}, connection closed` };
}

export async function run(ctx) {
  const root = ctx.root;
  const { startServer } = await import(pathToFileURL(join(root, "dist", "src", "server", "index.js")).href);
  const { CrossEncoder } = await import(pathToFileURL(join(root, "dist", "src", "models", "cross-encoder.js")).href);
  process.env.ESCI_CACHE ??= join(ctx.tmpDir, "esci-cache");
  const limits = { maxPairs: 8, maxChars: 200, maxBodyBytes: 4096 };
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    settings: { limits, timeouts: TIMEOUTS, apiKeys: [KEY], cors: [], logError: () => {} },
    queue: { maxQueuedRows: 8 },
    load: async () => ({ crossEncoder: await CrossEncoder.load(join(root, "test", "fixtures", "models", "tiny-roberta-esci"), { session: "worker", tokenizer: "worker" }) }),
  });
  const url = server.url;
  const port = Number(new URL(url).port);
  const rows = [];
  const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const post = (path, body, headers = auth) => http(`${url}${path}`, { headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  try {
    rows.push(fromAnswer("server: start", "GET /ready while the model loads", await http(`${url}/ready`, { method: "GET" })));
    await server.loaded;
    rows.push(fromAnswer("server: start", "GET /ready once loaded", await http(`${url}/ready`, { method: "GET" })));

    const pair = { query: "wireless mouse", products: ["Logitech M185"] };
    rows.push(fromAnswer("server: auth", "no Authorization header", await post("/v1/classify", pair, { "content-type": "application/json" })));
    rows.push(fromAnswer("server: auth", "unknown API key", await post("/v1/classify", pair, { ...auth, authorization: "Bearer wrong" })));
    rows.push(fromAnswer("server: auth", "Authorization not a Bearer key", await post("/v1/classify", pair, { ...auth, authorization: "Basic dXNlcjpwdw==" })));

    rows.push(fromAnswer("server: body", "not JSON", await post("/v1/classify", '{"query": "mouse", ')));
    rows.push(fromAnswer("server: body", "empty body with Content-Type: application/json", await post("/v1/classify", "")));
    rows.push(fromAnswer("server: body", "Content-Type: text/plain", await post("/v1/classify", JSON.stringify(pair), { ...auth, "content-type": "text/plain" })));
    rows.push(fromAnswer("server: body", "Content-Type: application/x-www-form-urlencoded", await post("/v1/classify", "query=mouse", { ...auth, "content-type": "application/x-www-form-urlencoded" })));
    rows.push(fromAnswer("server: body", `body over --max-body (${limits.maxBodyBytes} bytes)`, await post("/v1/classify", { query: "q", products: ["x".repeat(limits.maxBodyBytes)] })));
    rows.push(fromAnswer("server: body", "a JSON array instead of an object", await post("/v1/classify", [1, 2])));
    rows.push(fromAnswer("server: fields", "wrong type (products is a string)", await post("/v1/classify", { query: "q", products: "x" })));
    rows.push(fromAnswer("server: fields", 'integer field sent as a string (k: "5")', await post("/v1/search", { query: "q", k: "5" })));
    rows.push(fromAnswer("server: fields", "both pairs and query/products", await post("/v1/classify", { ...pair, pairs: [["a", "b"]] })));
    rows.push(fromAnswer("server: fields", "neither pairs nor query/products", await post("/v1/classify", {})));
    rows.push(fromAnswer("server: fields", "empty products list", await post("/v1/classify", { query: "q", products: [] })));
    rows.push(fromAnswer("server: fields", `text over --max-chars (${limits.maxChars})`, await post("/v1/classify", { query: "q", products: ["x".repeat(limits.maxChars + 1)] })));
    rows.push(fromAnswer("server: fields", `more pairs than --max-pairs (${limits.maxPairs})`, await post("/v1/classify", { query: "q", products: Array(limits.maxPairs + 1).fill("p") })));
    rows.push(fromAnswer("server: fields", "/rerank pair over the token limit with truncate false", await post("/rerank", { query: "q", texts: ["word ".repeat(39)], truncate: false })));
    rows.push(fromAnswer("server: fields", 'truncation_direction "Left"', await post("/rerank", { query: "q", texts: ["t"], truncation_direction: "Left" })));
    rows.push(fromAnswer("server: fields", "top_n 0", await post("/v1/rerank", { query: "q", documents: ["d"], top_n: 0 })));
    rows.push(fromAnswer("server: fields", "search k over 100", await post("/v1/search", { query: "q", k: 101 })));

    rows.push(fromAnswer("server: routes", "unknown route", await post("/v2/classify", pair)));
    rows.push(fromAnswer("server: routes", "GET on a POST route", await http(`${url}/v1/classify`, { method: "GET", headers: auth })));
    rows.push(fromAnswer("server: routes", "search without --store", await post("/v1/search", { query: "q" })));
    rows.push(fromAnswer("server: routes", "embed without a bi-encoder", await post("/v1/embed", { inputs: "q" })));
    rows.push(fromAnswer("server: routes", "report path escaping --reports", await http(`${url}/reports/..%2F..%2Fetc/report.html`, { method: "GET", headers: auth })));

    rows.push(fromRaw("server: connection", `nothing sent after connecting (--header-timeout ${TIMEOUTS.headersMs / 1000} s)`, await raw(port, [])));
    rows.push(fromRaw("server: connection", "headers half sent, then silence", await raw(port, ["POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Ty"])));
    rows.push(fromRaw("server: connection", `body half sent, then silence (--body-timeout ${TIMEOUTS.requestMs / 1000} s)`, await raw(port, [`POST /v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`, '{"query":'])));
    rows.push(fromRaw("server: connection", `kept-alive connection left idle (--idle-timeout ${TIMEOUTS.idleMs / 1000} s)`, await raw(port, ["GET /health HTTP/1.1\r\nHost: x\r\n\r\n"]), "connection closed"));
    rows.push(fromRaw("server: connection", "headers over 16 KiB", await raw(port, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`])));
    rows.push(fromRaw("server: connection", "bytes that are not HTTP", await raw(port, ["HELLO THERE\r\n\r\n"])));
    rows.push(fromRaw("server: connection", "Content-Length and Transfer-Encoding both (smuggling)", await raw(port, ["POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"])));

    // Overload: 8 queued rows at most; hold the model with a first request, then ask for more.
    const flood = await Promise.all(Array.from({ length: 6 }, () => post("/v1/classify", { query: "q", products: Array(limits.maxPairs).fill("product text") })));
    const overloaded = flood.find((r) => r.status === 429) ?? flood.find((r) => r.status !== 200) ?? flood[0];
    rows.push(fromAnswer("server: load", `6 concurrent requests of ${limits.maxPairs} pairs, --max-queue 8`, overloaded));

    // Shutdown: close() (what SIGTERM runs) while a request is in flight; then a new request.
    const inflight = post("/v1/classify", { query: "q", products: Array(limits.maxPairs).fill("product text") });
    await new Promise((r) => setTimeout(r, 20)); // let it reach the server
    const closing = server.close();
    const late = await post("/v1/classify", pair);
    rows.push(fromAnswer("server: shutdown", "request in flight when the drain began", await inflight));
    // the port is the run's own: shown as $PORT so the table does not change between runs
    rows.push({ ...fromAnswer("server: shutdown", "new request while draining", late), ...(late.status === 0 ? { outcome: "connection refused (the port is closed)", message: late.body.replaceAll(`:${port}`, ":$PORT") } : {}) });
    await closing;
  } finally {
    await server.close();
  }
  return rows;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const tmpDir = mkdtempSync(join(tmpdir(), "esci-reliability-server-"));
  try {
    const rows = await run({ root, tmpDir });
    console.log("| area | fault | outcome | message |\n|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.area} | ${r.fault} | ${r.outcome} | ${r.message.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
