/**
 * Scale-out on BullMQ (Redis): the coordinator side of `esci classify|predict|index --queue`
 * (a ShardRunner for classifyFile, a TextEmbedder for indexCatalog), the worker, and the shard
 * format they exchange. See docs/scale-out.md.
 */
export { QUEUE_NAME, parseQueueUrl, openQueue } from "./connection.js";
export { QueueClassifyRunner } from "./coordinator.js";
export type { QueueClassifyOptions } from "./coordinator.js";
export { QueueEmbedder } from "./embedder.js";
export type { QueueEmbedderOptions } from "./embedder.js";
export { describeModel, weightsSha256 } from "./model-spec.js";
export { startWorker } from "./worker.js";
export type { WorkerOptions, RunningWorker } from "./worker.js";
export { SHARD_FORMAT, shardJobId } from "./protocol.js";
export type { Shard, ClassifyShard, EmbedShard, ModelSpec } from "./protocol.js";
export type { QueueStatus } from "./shard-queue.js";
