/**
 * The worker-thread side of json-body.ts: gathers each body's chunks as they arrive and, at its
 * end, parses it with the secure-json-parse that fastify itself uses (resolved from fastify's own
 * dependencies) and the options it was started with; answers with the value or "invalid".
 * Loaded with `new Worker(…)`, never imported.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { JsonWorkerReply, JsonWorkerRequest } from "./json-body.js";

const port = parentPort!;
const fastifyMain = createRequire(import.meta.url).resolve("fastify");
const { parse } = createRequire(fastifyMain)("secure-json-parse") as { parse(text: string, options: unknown): unknown };
const bodies = new Map<number, Buffer[]>();

port.on("message", (m: JsonWorkerRequest) => {
  if ("chunk" in m) {
    const chunks = bodies.get(m.id) ?? [];
    chunks.push(Buffer.from(m.chunk));
    bodies.set(m.id, chunks);
    return;
  }
  const chunks = bodies.get(m.id) ?? [];
  bodies.delete(m.id);
  if ("cancel" in m) return;
  let reply: JsonWorkerReply;
  try {
    reply = { id: m.id, value: parse(Buffer.concat(chunks).toString("utf8"), workerData) };
  } catch {
    reply = { id: m.id, invalid: true };
  }
  port.postMessage(reply);
});
