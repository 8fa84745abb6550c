/**
 * The worker-thread side of WorkerSession (worker-session.ts): one OnnxSession, answering run
 * requests in order and transferring each output buffer back. Loaded with `new Worker(…)`, never
 * imported.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isEsciError } from "../errors/index.js";
import { OnnxSession } from "./session.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./worker-session.js";

const port = parentPort!;
const init = workerData as WorkerInit;

function errorReply(id: number, e: unknown): WorkerReply {
  return { id, error: (e as Error)?.message ?? String(e), ...(isEsciError(e) ? { code: e.code } : {}) };
}

let session: OnnxSession;
try {
  session = await OnnxSession.create(init.onnxPath, { threads: init.threads, spinning: init.spinning });
  port.postMessage({ id: 0, ready: true, inputNames: [...session.inputNames] } satisfies WorkerReply);
} catch (e) {
  port.postMessage({ ...errorReply(0, e), ready: false } as WorkerReply);
  process.exit(1);
}

port.on("message", async (m: WorkerRequest) => {
  if ("close" in m) {
    await session.release();
    port.close();
    return;
  }
  try {
    const out = await session.run(m.feeds, m.output);
    // A view into a larger buffer would transfer (and detach) more than this output.
    const data = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength ? out.data : out.data.slice();
    port.postMessage({ id: m.id, data, dims: out.dims } satisfies WorkerReply, [data.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage(errorReply(m.id, e));
  }
});
