/**
 * The batching engine: the one road from encoded rows to a model's ONNX session. Every caller —
 * the CLI's commands, the search pipeline, the job workers and the HTTP server — reaches it
 * through CrossEncoder.predict and BiEncoder.embed, as text-embeddings-inference's router reaches
 * its `core/` queue. It packs rows of similar lengths into batches within a token budget, runs one
 * batch at a time, and hands each caller its rows back in input order.
 *
 * Two packings, one runner:
 *  - offline (the default): each call's rows are packed on their own, as batching.ts plans them
 *    (longest first, rows × longest row ≤ tokenBudget), and run batch after batch with progress:
 *    the batches, and so the bytes, that `esci predict` and `esci classify` have always written;
 *  - queued (after `startQueue`, as a server does): the rows of concurrent calls wait in one
 *    BatchQueue (queue.ts) and are packed together, with back-pressure and cancellation.
 * Either way one batch runs at a time per model (ONNX Runtime already uses every core for one
 * batch), so an offline call and queued calls on the same model take turns.
 */
import { EsciError } from "../../errors/index.js";
import type { Encoding } from "../../tokenizer/index.js";
import { DEFAULT_BATCH, planBatches, type BatchPlanOptions } from "./batching.js";
import { BatchQueue, cancelled, type BatchRunner, type QueueObserver, type QueueOptions } from "./queue.js";

export interface EngineRunOptions {
  /** Offline packing (default DEFAULT_BATCH); a queued engine packs with its queue's options. */
  batch?: Partial<BatchPlanOptions>;
  /** Called after each offline batch with (rows done, rows total). */
  onProgress?: (done: number, total: number) => void;
  /** Fires when the caller went away: its rows not yet run are dropped and the call is CANCELLED. */
  signal?: AbortSignal;
}

export class BatchEngine {
  private queue: BatchQueue | undefined;
  /** The batch that runs (or ran) last: the next one starts once it has settled. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly runner: BatchRunner) {}

  /**
   * From now on, calls share one batching queue (for a model that serves concurrent callers).
   * Returns the queue, for its depth and options.
   */
  startQueue(options: Partial<QueueOptions> = {}, observer?: QueueObserver): BatchQueue {
    if (this.queue) throw new EsciError("INVALID_ARGUMENT", "the model's batching queue is already started");
    this.queue = new BatchQueue((rows) => this.runBatch(rows), options, observer);
    return this.queue;
  }

  /** The batching queue, once startQueue has made one. */
  get batchQueue(): BatchQueue | undefined {
    return this.queue;
  }

  /** One output row per input row, in input order. */
  run(rows: readonly Encoding[], o: EngineRunOptions = {}): Promise<Float32Array[]> {
    return this.queue ? this.queue.submit(rows, o.signal) : this.runOffline(rows, o);
  }

  private async runOffline(rows: readonly Encoding[], o: EngineRunOptions): Promise<Float32Array[]> {
    const plan = planBatches(
      rows.map((r) => r.inputIds.length),
      { ...DEFAULT_BATCH, ...o.batch },
    );
    const out = new Array<Float32Array>(rows.length);
    let done = 0;
    for (const idx of plan) {
      if (o.signal?.aborted) throw cancelled();
      const res = await this.runBatch(idx.map((i) => rows[i]));
      idx.forEach((rowIndex, j) => (out[rowIndex] = res[j]));
      done += idx.length;
      o.onProgress?.(done, rows.length);
    }
    return out;
  }

  /** Runs one packed batch once the batch before it has settled. */
  private runBatch(rows: readonly Encoding[]): Promise<Float32Array[]> {
    const run = this.last.then(() => this.runner(rows));
    this.last = run.catch(() => {});
    return run;
  }

  /** Refuses queued work from now on; resolves once the waiting and running batches are done. */
  async close(): Promise<void> {
    await this.queue?.close();
    await this.last;
  }
}
