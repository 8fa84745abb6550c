/**
 * A PairTokenizer's encoding in a worker thread, for the server: tokenizing a request of a
 * thousand 20,000-character pairs takes seconds of CPU, and on the server's thread that would
 * stop the event loop (no /health, no other request read) for as long. The worker loads the same
 * tokenizer (from its `origin`) and returns the same encodings.
 *
 * A request is sent in chunks of CHUNK inputs, one after the other, so a small request that
 * arrives while a large one is being tokenized waits for one chunk, not for the whole request.
 */
import { Worker } from "node:worker_threads";
import { EsciError, type ErrorCode } from "../errors/index.js";
import type { Encoding, TextPair, TokenizerOrigin } from "./types.js";

export type TokenizeRequest = { id: number; maxLength: number } & ({ pairs: TextPair[]; texts?: undefined } | { pairs?: undefined; texts: string[] });

export type TokenizeReply = { id: number; encodings: Encoding[] } | { id: number; error: string; code?: ErrorCode; details?: Record<string, unknown> };

const WORKER_FILE = new URL("./worker.js", import.meta.url);

/** Inputs per message (a few milliseconds of tokenizing at the character cap). */
const CHUNK = 64;

export class TokenizerWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: Encoding[]): void; reject(e: unknown): void }>();
  private dead: EsciError | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: TokenizeReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ("error" in m) p.reject(new EsciError(m.code ?? "INTERNAL", `tokenizer worker: ${m.error}`, m.details));
      else p.resolve(m.encodings);
    });
    const fail = (why: string) => {
      this.dead ??= new EsciError("INTERNAL", `the tokenizer worker ${why}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on("error", (e) => fail(`failed: ${e.message}`));
    worker.on("exit", (code) => fail(`exited (code ${code})`));
  }

  /** A worker with the tokenizer `origin` names; rejects with the loader's error if it cannot load. */
  static start(origin: TokenizerOrigin): Promise<TokenizerWorker> {
    const worker = new Worker(WORKER_FILE, { workerData: origin });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new EsciError("INTERNAL", `the tokenizer worker for ${origin.dir} exited (code ${code}) before it was ready`));
      worker.once("exit", onExit);
      worker.once("error", reject);
      worker.once("message", (m: TokenizeReply) => {
        worker.off("exit", onExit);
        worker.off("error", reject);
        if ("encodings" in m) resolve(new TokenizerWorker(worker));
        else {
          void worker.terminate();
          reject(new EsciError(m.code ?? "INTERNAL", m.error, m.details));
        }
      });
    });
  }

  /** As PairTokenizer.encodePairs. */
  encodePairs(pairs: readonly TextPair[], maxLength: number): Promise<Encoding[]> {
    return this.chunked(pairs.length, (from, to) => ({ maxLength, pairs: pairs.slice(from, to) }));
  }

  /** As PairTokenizer.encodeTexts. */
  encodeTexts(texts: readonly string[], maxLength: number): Promise<Encoding[]> {
    return this.chunked(texts.length, (from, to) => ({ maxLength, texts: texts.slice(from, to) }));
  }

  private async chunked(n: number, part: (from: number, to: number) => Omit<TokenizeRequest, "id">): Promise<Encoding[]> {
    const out: Encoding[] = [];
    for (let from = 0; from < n; from += CHUNK) out.push(...(await this.send(part(from, Math.min(n, from + CHUNK)))));
    return out;
  }

  private send(req: Omit<TokenizeRequest, "id">): Promise<Encoding[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as TokenizeRequest);
    });
  }

  /** End the worker. */
  async release(): Promise<void> {
    if (this.dead) return;
    await this.worker.terminate();
  }
}
