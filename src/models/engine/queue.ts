/**
 * The batching queue: the engine's online packing (engine.ts), one per model, shared by every
 * caller of a model that serves concurrent requests — so that pairs from concurrent requests run in
 * the same ONNX Runtime call, the way text-embeddings-inference's queue (its `core/`) does, and the
 * reason a busy server scores as fast as offline batch scoring.
 *
 * Callers hand in already-tokenized rows (so the queue can count tokens) and get one output row
 * back per input row, in order. One batch runs at a time (ONNX Runtime already uses every core
 * for one call); while it runs, new rows wait. A batch is formed around the oldest waiting row —
 * so no row waits behind ever newer ones — from the waiting rows of the most similar lengths
 * (oldest first within a length), as batching.ts packs offline: padded size (rows ×
 * longest row) ≤ `tokenBudget`, at most `maxBatch` rows. When the model is idle and less than a
 * full batch waits, the queue waits up to `maxWaitMs` for more. Padding is counted for metrics.
 *
 * Back-pressure: more than `maxQueuedRows` waiting rows is OVERLOADED (HTTP 429 in the server)
 * with a retry-after estimate from the recent throughput. Work whose caller went away (its
 * AbortSignal fired) is dropped before it runs. `close()` refuses new work and resolves once the
 * queue is empty (a graceful shutdown drains it).
 *
 * No HTTP here: the server maps the EsciErrors thrown below through ERROR_TABLE.
 */
import { EsciError } from "../../errors/index.js";
import type { Encoding } from "../../tokenizer/index.js";
import { DEFAULT_BATCH } from "./batching.js";

/** Runs one batch (padded to its own longest row by the callee); one output row per input row. */
export type BatchRunner = (rows: readonly Encoding[]) => Promise<Float32Array[]>;

export interface QueueOptions {
  /** Most padded tokens (rows × longest row) in one batch (default batching.ts DEFAULT_BATCH). */
  tokenBudget: number;
  /** Most rows in one batch. */
  maxBatch: number;
  /** How long an idle model waits for a fuller batch. */
  maxWaitMs: number;
  /** Most rows waiting (not yet running); beyond it submit() answers OVERLOADED. */
  maxQueuedRows: number;
}

/**
 * While more than two full batches wait, a batch takes no row shorter than this share of its
 * longest row: such a row would be mostly padding, and a batch of its own length comes soon.
 * With less waiting, everything goes into the batch (latency first). In a simulation of the load
 * test's workload (32 clients × 20 ESCI-like titles), this cut padding from 12% to 6%.
 */
export const MIN_LENGTH_RATIO = 0.8;

export const DEFAULT_QUEUE: QueueOptions = { ...DEFAULT_BATCH, maxWaitMs: 2, maxQueuedRows: 8192 };

/** What one batch did, for metrics. */
export interface BatchStats {
  rows: number;
  /** Real tokens in the batch. */
  tokens: number;
  /** rows × longest row: what the model computed. */
  paddedTokens: number;
  seconds: number;
  /** How long the batch's oldest row waited before the batch started. */
  oldestWaitSeconds: number;
}

export interface QueueObserver {
  onBatch?(stats: BatchStats): void;
  onRejected?(reason: "overloaded" | "cancelled" | "closed", rows: number): void;
}

interface Job {
  out: Float32Array[];
  remaining: number;
  resolve(rows: Float32Array[]): void;
  reject(e: unknown): void;
  settled: boolean;
  detach(): void;
}

interface Row {
  job: Job;
  /** Position in the job's input/output. */
  index: number;
  enc: Encoding;
  len: number;
  /** Arrival order: the oldest waiting row has the smallest. */
  seq: number;
  enqueued: number;
}

export class BatchQueue {
  readonly options: QueueOptions;
  private waiting: Row[] = [];
  private seq = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Rows per second, smoothed over recent batches: the Retry-After estimate. */
  private rate = 0;

  constructor(
    private readonly run: BatchRunner,
    options: Partial<QueueOptions> = {},
    private readonly observer: QueueObserver = {},
  ) {
    this.options = { ...DEFAULT_QUEUE, ...options };
    const o = this.options;
    for (const k of ["tokenBudget", "maxBatch", "maxQueuedRows"] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new EsciError("INVALID_ARGUMENT", `queue ${k} must be a positive integer, got ${o[k]}`);
    }
    if (!(o.maxWaitMs >= 0)) throw new EsciError("INVALID_ARGUMENT", `queue maxWaitMs must be ≥ 0, got ${o.maxWaitMs}`);
  }

  /** Rows waiting (not yet running). */
  get depth(): number {
    return this.waiting.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Seconds a caller should wait before retrying, from the recent throughput (at least 1). */
  retryAfterSeconds(): number {
    return this.rate > 0 ? Math.max(1, Math.ceil(this.waiting.length / this.rate)) : 1;
  }

  /** Queue `rows`; resolves with one output row per input row, in input order. */
  submit(rows: readonly Encoding[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (this.closed) {
      this.observer.onRejected?.("closed", rows.length);
      return Promise.reject(new EsciError("UNAVAILABLE", "the model is shutting down; retry on another instance"));
    }
    if (signal?.aborted) {
      this.observer.onRejected?.("cancelled", rows.length);
      return Promise.reject(cancelled());
    }
    if (rows.length === 0) return Promise.resolve([]);
    if (this.waiting.length + rows.length > this.options.maxQueuedRows) {
      this.observer.onRejected?.("overloaded", rows.length);
      const retry = this.retryAfterSeconds();
      return Promise.reject(
        new EsciError(
          "OVERLOADED",
          `the batching queue is full (${this.waiting.length} of ${this.options.maxQueuedRows} pairs waiting, ${rows.length} more asked); retry after ${retry} s`,
          { queued: this.waiting.length, max_queued: this.options.maxQueuedRows, retry_after_s: retry },
        ),
      );
    }
    return new Promise<Float32Array[]>((resolve, reject) => {
      const onAbort = () => this.cancel(job);
      const job: Job = {
        out: new Array<Float32Array>(rows.length),
        remaining: rows.length,
        resolve,
        reject,
        settled: false,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const now = performance.now();
      rows.forEach((enc, index) => this.waiting.push({ job, index, enc, len: enc.inputIds.length, seq: this.seq++, enqueued: now }));
      this.schedule();
    });
  }

  /** Refuse new work; resolves when nothing waits or runs any more. */
  close(): Promise<void> {
    this.closed = true;
    return this.whenIdle();
  }

  /** Resolves when nothing waits or runs. */
  whenIdle(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Drop a job's waiting rows (rows already running finish, and their results are ignored). */
  private cancel(job: Job): void {
    if (job.settled) return;
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((r) => r.job !== job);
    this.observer.onRejected?.("cancelled", before - this.waiting.length);
    this.settle(job, cancelled());
    this.notifyIdle();
  }

  private settle(job: Job, error?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.detach();
    if (error === undefined) job.resolve(job.out);
    else job.reject(error);
  }

  private schedule(): void {
    if (this.running || this.waiting.length === 0) return;
    const oldest = this.waiting[0];
    const waited = performance.now() - oldest.enqueued;
    if (!this.fullBatchWaiting() && waited < this.options.maxWaitMs) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.schedule();
        }, this.options.maxWaitMs - waited);
      }
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    void this.runNext();
  }

  private fullBatchWaiting(): boolean {
    if (this.waiting.length >= this.options.maxBatch) return true;
    let tokens = 0;
    for (const r of this.waiting) tokens += r.len;
    return tokens >= this.options.tokenBudget;
  }

  /**
   * The next batch: the oldest waiting row, then rows of the nearest lengths, grown one row at a
   * time on the side (shorter or longer) that adds the least padding, while rows × longest ≤
   * tokenBudget (and, when busy, every row ≥ MIN_LENGTH_RATIO × longest). Within one length the
   * oldest rows go first: taking, say, the newest rows of a common length would leave its oldest
   * rows behind batch after batch.
   */
  private takeBatch(): Row[] {
    // Waiting rows by length, each length's rows oldest first (`waiting` is in arrival order).
    const byLen = new Map<number, Row[]>();
    for (const r of this.waiting) {
      const pool = byLen.get(r.len);
      if (pool) pool.push(r);
      else byLen.set(r.len, [r]);
    }
    const lens = [...byLen.keys()].sort((a, b) => a - b);
    const pools = lens.map((l) => byLen.get(l)!);
    const used = new Array<number>(pools.length).fill(0);
    const seed = this.waiting[0];
    let lo = lens.indexOf(seed.len); // the seed is its pool's first row
    let hi = lo;
    used[lo] = 1;
    let longest = seed.len;
    const batch = [seed];
    const left = (i: number) => used[i] < pools[i].length;
    const { maxBatch, tokenBudget } = this.options;
    const busy = this.waiting.length > 2 * maxBatch;
    while (batch.length < maxBatch) {
      const n = batch.length;
      // Pools strictly between lo and hi are used up; the next row comes from lo's or hi's pool,
      // or from the next length outward. Down pads the new row to `longest`; up pads every row.
      const di = left(lo) ? lo : lo - 1;
      const ui = left(hi) ? hi : hi + 1;
      const down = di >= 0 && (n + 1) * longest <= tokenBudget && (!busy || lens[di] >= MIN_LENGTH_RATIO * longest) ? longest - lens[di] : Infinity;
      const up = ui < pools.length && (n + 1) * lens[ui] <= tokenBudget && (!busy || lens[lo] >= MIN_LENGTH_RATIO * lens[ui]) ? n * (lens[ui] - longest) : Infinity;
      if (down === Infinity && up === Infinity) break;
      if (down <= up) {
        lo = di;
        batch.push(pools[di][used[di]++]);
      } else {
        hi = ui;
        longest = lens[ui];
        batch.push(pools[ui][used[ui]++]);
      }
    }
    const taken = new Set(batch);
    this.waiting = this.waiting.filter((r) => !taken.has(r));
    return batch;
  }

  private async runNext(): Promise<void> {
    this.running = true;
    const batch = this.takeBatch();
    const start = performance.now();
    let tokens = 0;
    let longest = 0;
    let oldest = start;
    for (const r of batch) {
      tokens += r.len;
      longest = Math.max(longest, r.len);
      oldest = Math.min(oldest, r.enqueued);
    }
    try {
      const out = await this.run(batch.map((r) => r.enc));
      if (out.length !== batch.length) throw new EsciError("INTERNAL", `the model returned ${out.length} rows for a batch of ${batch.length}`);
      batch.forEach((r, i) => {
        if (r.job.settled) return;
        r.job.out[r.index] = out[i];
        if (--r.job.remaining === 0) this.settle(r.job);
      });
    } catch (e) {
      for (const r of batch) this.settle(r.job, e);
      // The failed jobs' other rows would only be computed to be thrown away.
      this.waiting = this.waiting.filter((r) => !r.job.settled);
    }
    const seconds = (performance.now() - start) / 1000;
    this.rate = this.rate === 0 ? batch.length / seconds : 0.8 * this.rate + 0.2 * (batch.length / seconds);
    this.observer.onBatch?.({ rows: batch.length, tokens, paddedTokens: batch.length * longest, seconds, oldestWaitSeconds: (start - oldest) / 1000 });
    this.running = false;
    this.notifyIdle();
    this.schedule();
  }

  private notifyIdle(): void {
    if (this.running || this.waiting.length > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}

/** The CANCELLED error of work whose caller went away. */
export function cancelled(): EsciError {
  return new EsciError("CANCELLED", "the work was cancelled (its caller went away, e.g. a client disconnected) before its rows were scored");
}
