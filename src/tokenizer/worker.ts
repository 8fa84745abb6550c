/**
 * The worker-thread side of TokenizerWorker (worker-tokenizer.ts): loads the tokenizer its origin
 * names and answers encode requests in order. Loaded with `new Worker(…)`, never imported.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isEsciError } from "../errors/index.js";
import { loadTokenizer } from "./load.js";
import type { TokenizerOrigin } from "./types.js";
import type { TokenizeReply, TokenizeRequest } from "./worker-tokenizer.js";

const port = parentPort!;

function errorReply(id: number, e: unknown): TokenizeReply {
  return { id, error: (e as Error)?.message ?? String(e), ...(isEsciError(e) ? { code: e.code, details: e.details } : {}) };
}

try {
  const tokenizer = await loadTokenizer((workerData as TokenizerOrigin).dir, (workerData as TokenizerOrigin).options);
  port.on("message", (m: TokenizeRequest) => {
    try {
      const encodings = m.pairs ? tokenizer.encodePairs(m.pairs, m.maxLength) : tokenizer.encodeTexts(m.texts, m.maxLength);
      port.postMessage({ id: m.id, encodings } satisfies TokenizeReply);
    } catch (e) {
      port.postMessage(errorReply(m.id, e));
    }
  });
  port.postMessage({ id: 0, encodings: [] } satisfies TokenizeReply);
} catch (e) {
  port.postMessage(errorReply(0, e));
}
