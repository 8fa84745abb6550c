/**
 * `esci index --queue`: a TextEmbedder whose vectors come from workers.
 *
 * The indexer (search/indexer.ts) stays as it is — it reads the catalog, skips unchanged
 * products, writes rows, vectors and its resume checkpoint in one transaction per batch — and
 * only its `embed` call goes out: each batch's texts are cut into shards that workers embed at
 * the same time, and the vectors come back bit-exact (base64 float32). The indexer is told to use
 * batches of shardSize × inflight rows so one batch keeps every worker busy. A killed coordinator
 * resumes as a single-machine index run does: from the store's last committed batch.
 *
 * The embedding width is not known before a model is built, so opening the embedder sends one
 * probe text through the queue: it also proves that a worker is there and accepts the weights.
 */
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import { EsciError } from "../errors/index.js";
import type { EmbedOptions, TextEmbedder } from "../models/types.js";
import { openQueue } from "./connection.js";
import { decodeVectors, SHARD_FORMAT, type EmbedShardResult, type ModelSpec } from "./protocol.js";
import { ShardQueue, type ShardQueueOptions } from "./shard-queue.js";

export interface QueueEmbedderOptions extends ShardQueueOptions {
  url: string;
  model: ModelSpec;
  /** The id vectors are recorded under in the store (as BiEncoder.modelId: the normalized ref). */
  modelId: string;
  /** Texts per shard (default 512). */
  shardSize?: number;
  /** Shards per indexer batch (default 16). */
  inflight?: number;
}

export class QueueEmbedder implements TextEmbedder {
  private readonly run = randomUUID().replace(/-/g, "").slice(0, 16);
  private next = 0;
  private closed = false;

  private constructor(
    private readonly queue: Queue,
    private readonly shards: ShardQueue,
    private readonly o: QueueEmbedderOptions,
    readonly dimension: number,
  ) {}

  static async open(o: QueueEmbedderOptions): Promise<QueueEmbedder> {
    const queue = await openQueue(o.url);
    // A new run id per process (a resumed index run starts from the store's checkpoint, not from
    // the queue), so a killed coordinator's shards are orphans: BullMQ drops them after an hour.
    const shards = ShardQueue.open(queue, o.url, { keepSeconds: 3600, ...o });
    try {
      const probe = new QueueEmbedder(queue, shards, o, 0);
      const [v] = await probe.embed(["dimension probe"]);
      return new QueueEmbedder(queue, shards, o, v.length);
    } catch (e) {
      await shards.close();
      await queue.close();
      throw e;
    }
  }

  get modelId(): string {
    return this.o.modelId;
  }

  /** Rows per indexer batch that keep every shard slot busy. */
  get batchRows(): number {
    return (this.o.shardSize ?? 512) * (this.o.inflight ?? 16);
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const size = this.o.shardSize ?? 512;
    const parts: Promise<Float32Array[]>[] = [];
    for (let i = 0; i < texts.length; i += size) {
      const slice = texts.slice(i, i + size);
      const first = this.next;
      this.next += slice.length;
      parts.push(
        this.shards
          .run<EmbedShardResult>(
            { format: SHARD_FORMAT, kind: "embed", run: this.run, first, model: this.o.model, batchSize: options.batchSize, maxLength: options.maxLength, rows: slice.length, texts: slice },
            slice.length,
          )
          .then((r) => {
            if (!r.ok) throw new EsciError("JOB_FAILED", `embedding shard of ${slice.length} texts (from "${slice[0].slice(0, 40)}") failed after every retry: ${r.reason}`, { reason: r.reason });
            return decodeVectors(r.value, slice.length);
          }),
      );
    }
    const settled = await Promise.allSettled(parts);
    await this.shards.release(this.next);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.flatMap((s) => (s as PromiseFulfilledResult<Float32Array[]>).value);
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shards.close();
    await this.queue.close();
  }
}
