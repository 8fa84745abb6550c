/**
 * Fuzzes the HTTP API's JSON bodies: 10,000 mutated requests to the fastify app in-process
 * (app.inject, no port) over the committed tiny models — a cross-encoder, a bi-encoder and a
 * demo-catalog store — so every route's body goes through validation, limits and the models.
 * Bodies are valid requests of each route with structural edits (types, huge or odd values,
 * missing and extra fields), byte-level edits of their JSON text, and odd content types.
 * A clean outcome is any status but 500 (INTERNAL: an exception esci did not turn into an error
 * answer); a 500 or an exception from inject is a crash.
 *
 *   node scripts/fuzz/http.mjs [--n 10000] [--seed 1]     (after npm run build)
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fuzz, int, isMain, mutateJson, mutateMany, pick, ROOT } from "./lib.mjs";

export const name = "http";

const dist = (p) => import(pathToFileURL(join(ROOT, "dist", "src", p)).href);
const MODELS = join(ROOT, "test", "fixtures", "models");

const REQUESTS = [
  ["/v1/classify", { pairs: [{ query: "wireless mouse", product: "Logitech M185" }, ["usb cable", "Anker USB-C cable"]], truncate: true }],
  ["/v1/classify", { query: "car stereo", products: ["Pioneer stereo", "dash cam"] }],
  ["/rerank", { query: "wireless mouse", texts: ["Logitech M185", "USB cable"], raw_scores: false, return_text: true, truncate: true }],
  ["/v1/rerank", { model: "x", query: "wireless mouse", documents: ["Logitech M185", { text: "USB cable" }], top_n: 1, return_documents: true }],
  ["/v1/embed", { inputs: ["wireless mouse", "usb cable"], truncate: true }],
  ["/v1/search", { query: "car stereo bluetooth", k: 5, candidates: 20, rerank: true, only: "E" }],
  ["/v1/substitutes", { product_id: "B08VSJGP1N", k: 3, candidates: 10 }],
];
const TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin1", "multipart/form-data; boundary=x"];

let app;
let models;
let storeDir;

export async function setup(dir) {
  const { CrossEncoder } = await dist("models/cross-encoder.js");
  const { BiEncoder } = await dist("models/bi-encoder.js");
  const { openStore } = await dist("search/store.js");
  const { indexCatalog } = await dist("search/indexer.js");
  const server = await dist("server/index.js");
  process.env.ESCI_CACHE = join(dir, "cache");
  storeDir = dir;
  const store = await openStore(`sqlite:${join(dir, "demo.db")}`);
  const indexer = await BiEncoder.load(join(MODELS, "tiny-st-roberta"));
  await indexCatalog(store, { catalog: join(ROOT, "demo", "catalog.jsonl"), embedder: indexer });
  await indexer.dispose();
  const state = new server.ServerState();
  const limits = { ...server.DEFAULT_LIMITS, maxPairs: 64, maxChars: 2000, maxBodyBytes: 256 * 1024 };
  ({ app } = await server.buildApp(state, { limits, apiKeys: [], cors: [], logError: () => {} }));
  const crossEncoder = await CrossEncoder.load(join(MODELS, "tiny-roberta-esci"), { session: "worker" });
  const biEncoder = await BiEncoder.load(join(MODELS, "tiny-st-roberta"), { session: "worker" });
  models = await server.queuedModels({ crossEncoder, biEncoder, store }, {}, new server.ServerMetrics());
  state.models = models;
  return REQUESTS;
}

export async function teardown() {
  await app.close();
  const { closeModels } = await dist("server/index.js");
  await closeModels(models);
}

export function mutate(rng, requests) {
  const [url, body] = pick(rng, requests);
  const r = rng();
  let payload;
  if (r < 0.55) payload = JSON.stringify(mutateJson(rng, body)) ?? "";
  else if (r < 0.9) payload = mutateMany(rng, Buffer.from(JSON.stringify(body)), requests.map(([, b]) => Buffer.from(JSON.stringify(b)))).toString("latin1");
  else payload = JSON.stringify(body);
  const contentType = rng() < 0.85 ? "application/json" : pick(rng, TYPES);
  return { url: rng() < 0.97 ? url : pick(rng, ["/v1/classify/", "/V1/classify", "/v1/../v1/rerank", "/rerank?x=1", "/nope"]), method: rng() < 0.97 ? "POST" : pick(rng, ["GET", "PUT", "DELETE"]), contentType, payload };
}

export async function check(c) {
  const res = await app.inject({ method: c.method, url: c.url, headers: c.contentType ? { "content-type": c.contentType } : {}, payload: c.payload });
  if (res.statusCode >= 500 && res.statusCode !== 503) throw new Error(`HTTP ${res.statusCode} for ${c.method} ${c.url}: ${res.body.slice(0, 300)}`);
  return `HTTP ${res.statusCode}`;
}

if (isMain(import.meta.url)) await fuzz(import.meta.url, name);
