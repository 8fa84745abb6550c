/**
 * The coordinator's side of the queue: enqueue a shard, wait for its result, drop it once saved.
 *
 * Results are gathered by polling each awaited shard's state (one small Redis call per shard in
 * flight every `pollMs`) rather than from BullMQ's event stream: polling needs no state carried
 * across a Redis restart or a coordinator restart, and a shard that vanished (a Redis without AOF
 * that lost its data) is simply added again. Job ids are `${run}-${first}`, so a coordinator that
 * reattaches with --resume finds the shards its predecessor enqueued, takes the results already
 * there, and gives shards that failed for good a fresh set of attempts.
 *
 * Retries happen in BullMQ: a shard whose worker throws is retried up to `attempts` times; one
 * whose worker dies (kill -9, lost machine) keeps its lock only until the lock expires, and the
 * other workers' stalled-job check puts it back in the queue. Each new failed attempt is reported
 * with its reason (e.g. a worker refusing other weights) through `onRetry`.
 *
 * Test hook: ESCI_TEST_KILL_AFTER_SHARDS=N makes the coordinator SIGKILL itself once N shard
 * results have come back (before the last is saved), to test reattaching with --resume.
 */
import { readFile, unlink } from "node:fs/promises";
import { writeFileAtomic } from "../io/atomic.js";
import { join } from "node:path";
import { Job, type Queue } from "bullmq";
import { Redis } from "ioredis";
import { EsciError } from "../errors/index.js";
import { parseQueueUrl } from "./connection.js";
import { resultFileOf, shardJobId, type FileResult, type Shard } from "./protocol.js";

export type ShardResult<R> = { ok: true; value: R } | { ok: false; reason: string };

export interface QueueStatus {
  /** Workers connected to the queue (any run). */
  workers: number;
  /** Failed or stalled attempts of this run's shards seen so far. */
  retries: number;
  /** Set while Redis does not answer. */
  redisError?: string;
}

export interface ShardQueueOptions {
  /** Tries per shard before it is marked failed (BullMQ `attempts`; default 3). */
  attempts?: number;
  pollMs?: number;
  /**
   * Let BullMQ delete finished jobs older than this (seconds) by itself. For shards whose results
   * only the process that asked can use (embeddings): a killed coordinator's leftovers go away.
   */
  keepSeconds?: number;
  /** A directory every worker sees at the same path: shard texts and results go through files there. */
  shardDir?: string;
  onStatus?: (s: QueueStatus) => void;
  /** A failed attempt: which shard, and the worker's reason. */
  onRetry?: (first: number, reason: string) => void;
}

interface Awaited {
  shard: Shard;
  resolve: (r: ShardResult<unknown>) => void;
  reject: (e: unknown) => void;
  /** The job failed before this process added it (a resumed run): retry it once. */
  staleFailure: boolean;
  attemptsSeen: number;
}

export class ShardQueue {
  private readonly awaited = new Map<string, Awaited>();
  private readonly finished = new Map<string, number>(); // job id → end record (exclusive)
  private readonly status: QueueStatus = { workers: 0, retries: 0 };
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastWorkerCount = 0;
  private closed = false;
  private results = 0;
  private readonly killAfter = process.env.ESCI_TEST_KILL_AFTER_SHARDS ? Number(process.env.ESCI_TEST_KILL_AFTER_SHARDS) : undefined;

  constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
    private readonly options: ShardQueueOptions = {},
  ) {}

  static open(queue: Queue, url: string, options: ShardQueueOptions = {}): ShardQueue {
    const redis = new Redis({ ...parseQueueUrl(url), lazyConnect: false });
    redis.on("error", () => {}); // reported through the status while it lasts
    return new ShardQueue(queue, redis, options);
  }

  /** Enqueue `shard` (unless its job exists already) and wait for its result. */
  async run<R>(full: Shard, size: number): Promise<ShardResult<R>> {
    const shard = this.options.shardDir ? await this.toFile(full) : full;
    const id = shardJobId(shard.run, shard.first);
    const state = await this.queue.getJobState(id);
    if (state === "unknown") await this.add(shard);
    return new Promise<ShardResult<R>>((resolve, reject) => {
      this.awaited.set(id, { shard, resolve: resolve as (r: ShardResult<unknown>) => void, reject, staleFailure: state === "failed", attemptsSeen: 0 });
      this.finished.delete(id);
      this.schedule();
    }).then(async (r) => {
      if (r.ok && shard.payloadFile) r = { ok: true, value: JSON.parse(await readFile((r.value as FileResult).resultFile, "utf8")) as R };
      if (this.killAfter !== undefined && ++this.results >= this.killAfter) process.kill(process.pid, "SIGKILL");
      this.finished.set(id, shard.first + size);
      return r;
    });
  }

  /** Remove the finished shards that end at or before record `consumed` (their results are saved). */
  async release(consumed: number): Promise<void> {
    const ids = [...this.finished].filter(([, end]) => end <= consumed).map(([id]) => id);
    for (const id of ids) {
      await this.queue.remove(id);
      this.finished.delete(id);
      if (this.options.shardDir) for (const f of [this.payloadPath(id), resultFileOf(this.payloadPath(id))]) await unlink(f).catch(() => {});
    }
  }

  /** Remove every finished job of `run` that starts before record `before` (left by a killed coordinator). */
  async sweep(run: string, before: number): Promise<void> {
    const prefix = `${run}-`;
    for (const state of ["completed", "failed"] as const) {
      for (let start = 0; ; start += 1000) {
        const jobs = await this.queue.getJobs([state], start, start + 999, true);
        if (!jobs.length) break;
        for (const j of jobs) if (j?.id?.startsWith(prefix) && Number(j.id.slice(prefix.length)) < before) await j.remove().catch(() => {});
      }
    }
  }

  getStatus(): QueueStatus {
    return { ...this.status };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const a of this.awaited.values()) a.reject(new EsciError("CANCELLED", "the coordinator stopped waiting for its shards"));
    this.awaited.clear();
    this.redis.disconnect();
  }

  private payloadPath(id: string): string {
    return join(this.options.shardDir!, `${id}.json`);
  }

  /** Move the shard's texts into the shared directory; the job keeps everything else. */
  private async toFile(shard: Shard): Promise<Shard> {
    const payloadFile = this.payloadPath(shardJobId(shard.run, shard.first));
    const payload = shard.kind === "classify" ? { pairs: shard.pairs } : { texts: shard.texts };
    // Renamed into place: a resumed coordinator rewrites the file a worker may be reading.
    await writeFileAtomic(payloadFile, JSON.stringify(payload));
    return shard.kind === "classify" ? { ...shard, pairs: [], payloadFile } : { ...shard, texts: [], payloadFile };
  }

  private async add(shard: Shard): Promise<void> {
    await this.queue.add(shard.kind, shard, {
      jobId: shardJobId(shard.run, shard.first),
      attempts: this.options.attempts ?? 3,
      backoff: { type: "fixed", delay: 500 },
      ...(this.options.keepSeconds ? { removeOnComplete: { age: this.options.keepSeconds }, removeOnFail: { age: this.options.keepSeconds } } : {}),
    });
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, this.options.pollMs ?? 200);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (Date.now() - this.lastWorkerCount > 1000) {
        this.status.workers = await this.queue.getWorkersCount();
        this.lastWorkerCount = Date.now();
      }
      for (const [id, a] of [...this.awaited]) await this.check(id, a);
      this.status.redisError = undefined;
    } catch (e) {
      this.status.redisError = (e as Error).message;
    } finally {
      this.ticking = false;
    }
    this.options.onStatus?.(this.getStatus());
    if (this.awaited.size) this.schedule();
  }

  private async check(id: string, a: Awaited): Promise<void> {
    const state = await this.queue.getJobState(id);
    if (state === "unknown") {
      await this.add(a.shard); // lost (a Redis without persistence): score it again
      return;
    }
    // BullMQ's job hash: atm = attempts made (failed tries), stc = times found stalled.
    const [attempts, stalls, reason, returnvalue] = await this.redis.hmget(this.queue.toKey(id), "atm", "stc", "failedReason", "returnvalue");
    const seen = Number(attempts ?? 0) + Number(stalls ?? 0);
    if (seen > a.attemptsSeen && !a.staleFailure) {
      this.status.retries += seen - a.attemptsSeen;
      this.options.onRetry?.(a.shard.first, reason ?? (Number(stalls) > 0 ? "its worker stopped answering (stalled)" : "unknown"));
    }
    a.attemptsSeen = seen;
    if (state === "failed" && a.staleFailure) {
      const job = await Job.fromId(this.queue, id);
      await job?.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      a.staleFailure = false;
      a.attemptsSeen = 0;
      return;
    }
    if (state === "completed") {
      this.awaited.delete(id);
      a.resolve({ ok: true, value: JSON.parse(returnvalue ?? "null") });
    } else if (state === "failed") {
      this.awaited.delete(id);
      a.resolve({ ok: false, reason: reason ?? "failed (no reason recorded)" });
    }
  }
}
