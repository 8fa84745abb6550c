/**
 * `esci classify|predict --queue`: classifyFile's ShardRunner on a BullMQ queue.
 *
 * classifyFile (esci/classify.ts) still reads the input, keeps the order, writes the output and
 * its resume marker; this runner only turns each shard's pairs into a job for the workers and
 * hands back their predictions. Shards are whole chunks of classifyFile's chunk size, and workers
 * score chunk by chunk with the same `scoreChunk`, so the output is byte-identical to a
 * single-machine run with the same model and settings.
 */
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { OnError, ShardOutcome, ShardRunner } from "../esci/index.js";
import type { Pair } from "../models/types.js";
import { openQueue } from "./connection.js";
import { SHARD_FORMAT, type ClassifyShardResult, type ModelSpec } from "./protocol.js";
import { ShardQueue, type ShardQueueOptions } from "./shard-queue.js";

export interface QueueClassifyOptions extends ShardQueueOptions {
  url: string;
  model: ModelSpec;
  /** classifyFile's chunkSize (default 1024); shards are `shardSize` records, a multiple of it. */
  chunkSize?: number;
  shardSize?: number;
  /** Shards enqueued ahead of the oldest unfinished one (default 16). */
  inflight?: number;
  batchSize?: number;
  maxLength?: number;
  onError?: OnError;
}

export class QueueClassifyRunner implements ShardRunner {
  readonly shardSize: number;
  readonly inflight: number;
  private run = "";
  private closed = false;

  private constructor(
    private readonly queue: Queue,
    readonly shards: ShardQueue,
    private readonly o: QueueClassifyOptions,
  ) {
    this.shardSize = o.shardSize ?? o.chunkSize ?? 1024;
    this.inflight = o.inflight ?? 16;
  }

  static async open(o: QueueClassifyOptions): Promise<QueueClassifyRunner> {
    const queue = await openQueue(o.url);
    return new QueueClassifyRunner(queue, ShardQueue.open(queue, o.url, o), o);
  }

  async start(previousRun: string | undefined): Promise<string> {
    this.run = previousRun ?? randomUUID().replace(/-/g, "").slice(0, 16);
    return this.run;
  }

  async score(pairs: Pair[], first: number): Promise<ShardOutcome> {
    const r = await this.shards.run<ClassifyShardResult>(
      {
        format: SHARD_FORMAT,
        kind: "classify",
        run: this.run,
        first,
        model: this.o.model,
        batchSize: this.o.batchSize,
        maxLength: this.o.maxLength,
        chunkSize: this.o.chunkSize ?? 1024,
        onError: this.o.onError ?? "fail",
        rows: pairs.length,
        pairs: pairs.map(([q, p]) => [q, p]),
      },
      pairs.length,
    );
    if (r.ok) return r.value;
    return { preds: pairs.map(() => null), failures: [], shardFailed: r.reason };
  }

  async committed(consumed: number): Promise<void> {
    await this.shards.release(consumed);
  }

  /** Drop this run's jobs before record `consumed` (e.g. a killed predecessor's), then disconnect; idempotent. */
  async close(consumed?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (consumed !== undefined && this.run) await this.shards.sweep(this.run, consumed);
    } finally {
      await this.shards.close();
      await this.queue.close();
    }
  }
}
