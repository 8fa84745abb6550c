/**
 * models/engine/: the batching engine every caller goes through (engine.ts), its offline
 * (batching.ts) and online (queue.ts) packings, its runner on an ONNX Runtime session (run.ts)
 * and the encoding of inputs for it (encode.ts).
 */
export { BatchEngine, type EngineRunOptions } from "./engine.js";
export { DEFAULT_BATCH, planBatches, type BatchPlanOptions } from "./batching.js";
export { BatchQueue, DEFAULT_QUEUE, MIN_LENGTH_RATIO, type BatchRunner, type BatchStats, type QueueObserver, type QueueOptions } from "./queue.js";
export { sessionRunner } from "./run.js";
export { encodeInputs, type EncodeInput } from "./encode.js";
