/**
 * JSON request bodies, parsed off the event loop when they are large. With fastify's own parser a
 * maximal body (16 MiB, --max-body) costs the event loop, in single turns: Buffer.concat of its
 * chunks (~30 ms measured under load), UTF-8 decoding, `JSON.parse`, and secure-json-parse's two
 * regular-expression scans of the whole text — tens of milliseconds in which /health and every
 * other request wait (bench/health-under-load.mjs).
 *
 * So the body's chunks are counted as they arrive, exactly as fastify's rawBody does (the same
 * limit, Content-Length check and errors). A body that stays within INLINE_BYTES is parsed here by
 * fastify's own default parser. Once it grows past that, its chunks go, one by one as they
 * arrive, to a worker thread that joins them and runs the same secure-json-parse with the same
 * options; the value comes back by structured clone, which copies strings without parsing them.
 * Either way a body is accepted or refused exactly as fastify would, with the same errors, so
 * errors.ts words them.
 */
import { Worker } from "node:worker_threads";
import { errorCodes, type FastifyInstance } from "fastify";

/** Bodies up to this size are parsed on the event loop (a millisecond or two of JSON.parse). */
export const INLINE_BYTES = 512 * 1024;

/** secure-json-parse's options as fastify sets them by default (onProtoPoisoning, onConstructorPoisoning). */
export const POISONING = { protoAction: "error", constructorAction: "error" } as const;

/** To the worker: a body's next chunk (transferred), its end (parse it), or its cancellation. */
export type JsonWorkerRequest = { id: number; chunk: ArrayBuffer } | { id: number; end: true } | { id: number; cancel: true };
export type JsonWorkerReply = { id: number; value: unknown } | { id: number; invalid: true };

/** One body on its way to the worker. */
interface WorkerBody {
  push(chunk: Buffer): void;
  /** The parsed value; rejects with fastify's invalid-JSON error. */
  end(): Promise<unknown>;
  cancel(): void;
}

/** One worker, started with the first large body, joining and parsing bodies as their chunks come. */
class JsonParseWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { worker: Worker; resolve(v: unknown): void; reject(e: unknown): void }>();

  begin(): WorkerBody {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const post = (m: JsonWorkerRequest, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
    return {
      push(chunk) {
        // a copy of just this chunk (its own buffer may hold other bytes), transferred
        const copy = new Uint8Array(chunk).buffer;
        post({ id, chunk: copy }, [copy]);
      },
      end: () =>
        new Promise((resolve, reject) => {
          this.pending.set(id, { worker, resolve, reject });
          post({ id, end: true });
        }),
      cancel: () => post({ id, cancel: true }),
    };
  }

  private start(): Worker {
    const worker = new Worker(new URL("./json-worker.js", import.meta.url), { workerData: POISONING });
    worker.unref(); // an idle parser does not keep the process alive
    worker.on("message", (m: JsonWorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ("invalid" in m) p.reject(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY());
      else p.resolve(m.value);
    });
    const fail = (e: unknown) => {
      for (const [id, p] of this.pending) {
        if (p.worker !== worker) continue;
        this.pending.delete(id);
        p.reject(e);
      }
      if (this.worker === worker) this.worker = undefined; // the next large body starts a fresh one
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the JSON body worker exited (code ${code})`)));
    return worker;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

/** How many bodies each path parsed (for tests). */
export interface JsonBodyCounts {
  inline: number;
  worker: number;
}

type Payload = NodeJS.ReadableStream & { receivedEncodedLength?: number };

/** Replaces fastify's application/json parser with one that parses large bodies in a worker thread. */
export function useJsonBodyParser(app: FastifyInstance): JsonBodyCounts {
  const inline = app.getDefaultJsonParser(POISONING.protoAction, POISONING.constructorAction);
  const worker = new JsonParseWorker();
  const counts: JsonBodyCounts = { inline: 0, worker: 0 };
  app.removeContentTypeParser("application/json");
  // What follows mirrors fastify's rawBody (lib/content-type-parser.js): same limit, same checks, same errors.
  app.addContentTypeParser("application/json", (req, payload: Payload, done) => {
    const limit = req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024;
    const contentLength = Number(req.headers["content-length"]);
    if (contentLength > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
    let received = 0;
    let chunks: Buffer[] = [];
    let body: WorkerBody | undefined;
    const stop = () => {
      payload.removeListener("data", onData);
      payload.removeListener("end", onEnd);
      payload.removeListener("error", onEnd);
    };
    function onData(data: Buffer | string) {
      const chunk = typeof data === "string" ? Buffer.from(data) : data;
      received += chunk.length;
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        stop();
        body?.cancel();
        done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
      } else if (body) body.push(chunk);
      else {
        chunks.push(chunk);
        if (received > INLINE_BYTES) {
          body = worker.begin();
          chunks.forEach((c) => body!.push(c));
          chunks = [];
        }
      }
    }
    function onEnd(err?: Error & { statusCode?: number }) {
      stop();
      if (err != null) {
        if (!(typeof err.statusCode === "number" && err.statusCode >= 400)) err.statusCode = 400;
        body?.cancel();
        return done(err, undefined);
      }
      if (!Number.isNaN(contentLength) && (payload.receivedEncodedLength || received) !== contentLength) {
        body?.cancel();
        return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined);
      }
      if (!body) {
        counts.inline++;
        return inline(req, Buffer.concat(chunks, received).toString("utf8"), done);
      }
      counts.worker++;
      body.end().then(
        (value) => done(null, value),
        (e: Error) => done(e, undefined),
      );
    }
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onEnd);
    payload.resume();
  });
  app.addHook("onClose", async () => {
    await worker.close();
  });
  return counts;
}
