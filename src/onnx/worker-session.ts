/**
 * An ONNX Runtime session in a worker thread, with OnnxSession's `inputNames` / `run` / `release`.
 *
 * Why: onnxruntime-node's `run` is a synchronous native call (its promise only wraps it in a
 * setImmediate), so on the server's thread a 1-second batch would stop the event loop for that
 * second: requests would not be read, /health would not answer, disconnects would go unseen —
 * and since reading one request takes several loop turns, the queue would see only a trickle of
 * the rows clients have sent and batch them badly. Run in a worker, the model computes while the
 * main thread keeps taking requests. Feeds and outputs are transferred, not copied.
 *
 * The loader makes one when asked (`LoadOptions.session: "worker"`, what `esci serve` uses), in
 * place of an in-thread OnnxSession, so the model is loaded once.
 */
import { Worker } from "node:worker_threads";
import { EsciError } from "../errors/index.js";
import type { FloatOutput, ModelSession } from "./session.js";

export interface WorkerInit {
  onnxPath: string;
  threads?: number;
  spinning?: boolean;
}

export type WorkerRequest = { id: number; feeds: Record<string, { data: BigInt64Array; dims: number[] }>; output: string } | { id: number; close: true };

export type WorkerReply =
  | { id: 0; ready: true; inputNames: string[] }
  | { id: 0; ready: false; error: string; code?: string }
  | { id: number; data: Float32Array; dims: number[] }
  | { id: number; error: string; code?: string };

const WORKER_FILE = new URL("./model-worker.js", import.meta.url);

export class WorkerSession implements ModelSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: FloatOutput): void; reject(e: unknown): void }>();
  private dead: EsciError | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly path: string,
  ) {
    worker.on("message", (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ("error" in m) p.reject(new EsciError(m.code === "CORRUPT_FILE" ? "CORRUPT_FILE" : "INTERNAL", `model worker: ${m.error}`));
      else if ("data" in m) p.resolve({ data: m.data, dims: m.dims });
    });
    const fail = (why: string) => {
      this.dead ??= new EsciError("INTERNAL", `the model worker for ${path} ${why}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on("error", (e) => fail(`failed: ${e.message}`));
    worker.on("exit", (code) => fail(`exited (code ${code})`));
  }

  /** Start a worker with its own session on `onnxPath`; rejects with the loader's error if it cannot load. */
  static start(init: WorkerInit): Promise<WorkerSession> {
    const worker = new Worker(WORKER_FILE, { workerData: init });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new EsciError("INTERNAL", `the model worker for ${init.onnxPath} exited (code ${code}) before it was ready`));
      worker.once("exit", onExit);
      worker.once("error", reject);
      worker.once("message", (m: WorkerReply) => {
        worker.off("exit", onExit);
        worker.off("error", reject);
        if ("ready" in m && m.ready) resolve(new WorkerSession(worker, m.inputNames, init.onnxPath));
        else {
          void worker.terminate();
          reject(new EsciError(m.id === 0 && "code" in m && m.code === "CORRUPT_FILE" ? "CORRUPT_FILE" : "INTERNAL", "error" in m ? m.error : "model worker did not start"));
        }
      });
    });
  }

  /** As OnnxSession.run; the feeds' buffers are transferred to the worker (unusable here afterwards). */
  run(feeds: Record<string, { data: BigInt64Array; dims: number[] }>, output: string): Promise<FloatOutput> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<FloatOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, feeds, output };
      this.worker.postMessage(req, Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer));
    });
  }

  /** Release the worker's session and end the worker. */
  async release(): Promise<void> {
    if (this.dead) return;
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage({ id, close: true } satisfies WorkerRequest);
    await done;
  }
}
