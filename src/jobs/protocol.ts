/**
 * The shard format: what a coordinator puts in a BullMQ job and what a worker returns.
 *
 * A job carries everything a worker needs and nothing it must look up elsewhere: the model (id or
 * path, revision, quantization, label names and the sha256 of its weights, which the worker
 * checks), the scoring settings, and the shard's texts. Only texts travel — the coordinator keeps
 * every other field of the input rows and formats the output itself — so a shard of 1,024 ESCI
 * pairs is ~150 KB in Redis. Predictions come back as JSON numbers, which round-trip float64
 * exactly, so the coordinator writes the bytes a single-machine run writes. Embeddings come back
 * as base64 float32, bit-exact and a third the size of JSON.
 *
 * With a shared directory (`--shard-dir`, the same path on every machine) the texts and the
 * result go through files instead: the job's `payloadFile` names `{pairs}` / `{texts}` as JSON,
 * the worker writes the result next to it (`….result.json`, renamed into place when complete)
 * and returns only `{ resultFile }`, so Redis carries a few hundred bytes per shard.
 */
import type { OnError, ShardOutcome } from "../esci/index.js";

/** Bumped when the job layout changes; workers refuse formats they do not know. */
export const SHARD_FORMAT = 1;

export interface ModelSpec {
  /** Hub id or path, as the coordinator's user gave it (a path must exist on every worker). */
  id: string;
  revision?: string;
  quantize?: "int8";
  /** --labels (classify only). */
  labels?: string[];
  /** sha256 of the checkpoint's weights (see model-spec.ts); workers with other weights refuse. */
  sha256: string;
}

interface ShardBase {
  format: typeof SHARD_FORMAT;
  /** The coordinator's run id (jobs of one run share it). */
  run: string;
  /** 0-based index of the shard's first record in the run's input. */
  first: number;
  model: ModelSpec;
  batchSize?: number;
  maxLength?: number;
  /** Shared-directory transport: the texts are in this file and the shard's list is empty. */
  payloadFile?: string;
  /** Rows in the shard (also when the texts are in payloadFile). */
  rows: number;
}

export interface ClassifyShard extends ShardBase {
  kind: "classify";
  /** Pairs per scorer call: the chunks of a single-machine run (classifyFile's chunkSize). */
  chunkSize: number;
  onError: OnError;
  pairs: [string, string][];
}

export interface EmbedShard extends ShardBase {
  kind: "embed";
  texts: string[];
}

export type Shard = ClassifyShard | EmbedShard;

export type ClassifyShardResult = ShardOutcome;

export interface EmbedShardResult {
  dimension: number;
  /** base64 of the vectors' float32 values, row after row (little-endian). */
  vectors: string;
}

/** What a worker returns for a shard that came through the shared directory. */
export interface FileResult {
  resultFile: string;
}

export function resultFileOf(payloadFile: string): string {
  return payloadFile.replace(/\.json$/, "") + ".result.json";
}

/** BullMQ job id of a shard: unique per run and start, so a resumed coordinator re-adds nothing twice. */
export function shardJobId(run: string, first: number): string {
  return `${run}-${first}`;
}

export function encodeVectors(vectors: readonly Float32Array[], dimension: number): EmbedShardResult {
  const buf = Buffer.alloc(vectors.length * dimension * 4);
  vectors.forEach((v, i) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(buf, i * dimension * 4));
  return { dimension, vectors: buf.toString("base64") };
}

export function decodeVectors(r: EmbedShardResult, count: number): Float32Array[] {
  const buf = Buffer.from(r.vectors, "base64");
  if (buf.length !== count * r.dimension * 4) throw new Error(`embedding shard holds ${buf.length} bytes, expected ${count} × ${r.dimension} float32`);
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) out.push(new Float32Array(buf.buffer.slice(buf.byteOffset + i * r.dimension * 4, buf.byteOffset + (i + 1) * r.dimension * 4)));
  return out;
}
