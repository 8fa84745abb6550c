/**
 * The `--queue` flags of `esci classify`, `esci predict` and `esci index`, and the one way the
 * commands turn them into a coordinator: resolve the model here (for its weights' sha256), connect
 * to Redis, and feed the progress bar the number of workers alive and the retries so far. Failed
 * attempts (a refusing or crashing worker) are printed as they happen, with the worker's reason.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { EsciError } from "../errors/index.js";
import type { OnError } from "../esci/issues.js";
import { QueueClassifyRunner } from "../jobs/coordinator.js";
import { QueueEmbedder } from "../jobs/embedder.js";
import { describeModel } from "../jobs/model-spec.js";
import type { QueueStatus } from "../jobs/shard-queue.js";
import { num, requireStr, str, type Options, type Parsed } from "./args.js";
import { DEFAULT_CROSS_ENCODER, modelRef, parseLabels } from "./model-flags.js";
import type { ProgressBar } from "./progress.js";

/** classifyFile's chunk size: shards are whole chunks so workers batch like a single machine. */
const CHUNK = 1024;
/** Texts per embedding shard of `esci index --queue`. */
const EMBED_SHARD = 512;

export const QUEUE_FLAGS: Options = {
  queue: { type: "string" },
  "shard-size": { type: "string" },
  "in-flight": { type: "string" },
  attempts: { type: "string" },
  "shard-dir": { type: "string" },
};

export const QUEUE_FLAGS_HELP = `Many machines (see docs/scale-out.md; start \`esci worker --queue URL\` on each):
  --queue redis://HOST:PORT[/DB]  split the input into shards on this Redis (BullMQ) queue
  --shard-size N       pairs per shard, a multiple of ${CHUNK} (default ${CHUNK}); esci index: texts per
                       shard (default ${EMBED_SHARD})
  --in-flight N        shards enqueued ahead of the oldest unfinished one (default 16)
  --attempts N         tries per shard before it is marked failed (default 3)
  --shard-dir DIR      pass shard texts and results as files in DIR (the same shared path on every
                       worker) instead of through Redis`;

export interface ShardFlags {
  shardSize: number;
  inflight?: number;
  attempts?: number;
  shardDir?: string;
}

export function parseShardFlags(p: Parsed, unit: number, fallback = unit): ShardFlags {
  const shardSize = num(p, "shard-size", { integer: true, min: unit }) ?? fallback;
  if (shardSize % unit !== 0) throw new EsciError("INVALID_ARGUMENT", `--shard-size must be a multiple of ${unit} (workers then form the batches one machine forms), got ${shardSize}`);
  const shardDir = str(p, "shard-dir");
  if (shardDir !== undefined && !existsSync(shardDir)) throw new EsciError("INVALID_ARGUMENT", `--shard-dir ${shardDir} does not exist (create it on the shared file system first)`);
  return { shardSize, inflight: num(p, "in-flight", { integer: true, min: 1 }), attempts: num(p, "attempts", { integer: true, min: 1 }), shardDir: shardDir && resolve(shardDir) };
}

/** Show workers and retries on the bar; print each failed attempt once. */
export function queueReporting(bar: ProgressBar, quiet: boolean) {
  let redisDown = false;
  const say = (m: string) => {
    if (!quiet) process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}esci: ${m}\n`);
  };
  return {
    onStatus: (s: QueueStatus) => {
      bar.increment(0, { workers: s.redisError ? "?" : s.workers, retries: s.retries });
      if (s.redisError && !redisDown) say(`Redis does not answer (${s.redisError}); waiting for it to come back`);
      if (!s.redisError && redisDown) say("Redis is back");
      redisDown = Boolean(s.redisError);
    },
    onRetry: (first: number, reason: string) => say(`shard from record ${first + 1}: an attempt failed: ${reason}`),
  };
}

/** A coordinator for `esci classify|predict --input … --queue URL`; undefined without --queue. */
export async function openQueuedClassify(
  p: Parsed,
  o: { onError: OnError; batchSize?: number; maxLength?: number; bar: ProgressBar; quiet: boolean },
): Promise<{ runner: QueueClassifyRunner; labels: string[] } | undefined> {
  const url = str(p, "queue");
  if (url === undefined) return undefined;
  const flags = parseShardFlags(p, CHUNK);
  const q = str(p, "quantize");
  if (q !== undefined && q !== "int8") throw new EsciError("INVALID_ARGUMENT", `--quantize must be "int8", got "${q}"`);
  const { spec, labels } = await describeModel(modelRef(str(p, "model") ?? DEFAULT_CROSS_ENCODER), { revision: str(p, "revision"), quantize: q, labels: parseLabels(p) });
  const runner = await QueueClassifyRunner.open({
    url,
    model: spec,
    chunkSize: CHUNK,
    ...flags,
    batchSize: o.batchSize,
    maxLength: o.maxLength,
    onError: o.onError,
    ...queueReporting(o.bar, o.quiet),
  });
  return { runner, labels };
}

/** The bi-encoder of `esci index --queue`: workers embed, this process writes the store. */
export async function openQueuedEmbedder(p: Parsed, id: string, o: { bar: ProgressBar; quiet: boolean }): Promise<QueueEmbedder> {
  const ref = modelRef(id);
  const { spec } = await describeModel(ref, { revision: str(p, "revision") });
  return QueueEmbedder.open({ url: requireStr(p, "queue"), model: spec, modelId: ref, ...parseShardFlags(p, 1, EMBED_SHARD), ...queueReporting(o.bar, o.quiet) });
}
