/**
 * `esci worker`: takes shards off the queue, scores or embeds them, returns the results.
 *
 * A worker loads each model a job names once (ONNX Runtime in a worker thread, so BullMQ can renew
 * the shard's lock while a batch runs) and checks the sha256 of its weights against the job's:
 * other weights refuse the shard with a reason naming this host, which the coordinator prints.
 * Classify shards are scored chunk by chunk with classifyFile's own `scoreChunk`, so a shard
 * yields exactly the predictions a single-machine run computes for those rows.
 *
 * Test hooks (environment, read once): ESCI_TEST_KILL_AFTER_ROWS=N makes the process SIGKILL
 * itself once it has scored N rows (mid-shard when N is not a shard boundary); ESCI_TEST_FAIL_SHARD=K
 * makes every attempt at the shard starting at record K throw; ESCI_TEST_CHUNK_DELAY_MS=T sleeps
 * T ms after each chunk, so a test can act while a run is under way.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/atomic.js";
import { hostname } from "node:os";
import { Worker, type Job } from "bullmq";
import { scoreChunk, type ShardOutcome } from "../esci/index.js";
import { BiEncoder } from "../models/bi-encoder.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { lockMs, openQueue, parseQueueUrl, QUEUE_NAME } from "./connection.js";
import { weightsSha256 } from "./model-spec.js";
import { encodeVectors, resultFileOf, SHARD_FORMAT, type ClassifyShard, type EmbedShard, type EmbedShardResult, type FileResult, type ModelSpec, type Shard } from "./protocol.js";

export interface WorkerOptions {
  url: string;
  /** Shards processed at once by this process (default 1). */
  concurrency?: number;
  /** ONNX Runtime intra-op threads per model (default: all cores). */
  threads?: number;
  /** After each finished shard: its kind, rows and first record. */
  onShard?: (kind: Shard["kind"], rows: number, first: number) => void;
  /** A shard this worker failed or refused, and why. */
  onFailure?: (first: number, reason: string) => void;
}

export interface RunningWorker {
  readonly name: string;
  close(): Promise<void>;
}

type Loaded = { kind: "classify"; model: CrossEncoder } | { kind: "embed"; model: BiEncoder };

const hook = (name: string): number | undefined => {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : Number(v);
};

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  // CLIENT SETNAME takes no spaces: BullMQ lists workers by this connection name.
  const name = `esci-worker@${hostname()}-${process.pid}`;
  const models = new Map<string, Promise<{ loaded: Loaded; sha256: string }>>();
  const killAfter = hook("ESCI_TEST_KILL_AFTER_ROWS");
  const failShard = hook("ESCI_TEST_FAIL_SHARD");
  const chunkDelay = hook("ESCI_TEST_CHUNK_DELAY_MS");
  let rowsScored = 0;

  const load = (kind: Shard["kind"], spec: ModelSpec) => {
    const key = JSON.stringify([kind, spec.id, spec.revision, spec.quantize, spec.labels]);
    let p = models.get(key);
    if (!p) {
      const opts = { revision: spec.revision, quantize: spec.quantize, threads: o.threads, session: "worker" as const };
      p = (async () => {
        const loaded: Loaded =
          kind === "classify" ? { kind, model: await CrossEncoder.load(spec.id, { ...opts, labels: spec.labels }) } : { kind, model: await BiEncoder.load(spec.id, opts) };
        return { loaded, sha256: weightsSha256(loaded.model.model.dir) };
      })();
      p.catch(() => models.delete(key)); // a failed load is retried with the next shard
      models.set(key, p);
    }
    return p;
  };

  const afterChunk = async (rows: number) => {
    rowsScored += rows;
    if (killAfter !== undefined && rowsScored >= killAfter) process.kill(process.pid, "SIGKILL");
    if (chunkDelay) await new Promise((r) => setTimeout(r, chunkDelay));
  };

  const processShard = async (job: Job<Shard>): Promise<ShardOutcome | EmbedShardResult | FileResult> => {
    const file = job.data.payloadFile;
    if (file === undefined) return score(job.data);
    const shard = { ...job.data, ...(JSON.parse(await readFile(file, "utf8")) as object) } as Shard;
    const resultFile = resultFileOf(file);
    await writeFileAtomic(resultFile, JSON.stringify(await score(shard)));
    return { resultFile };
  };

  const score = async (shard: Shard): Promise<ShardOutcome | EmbedShardResult> => {
    if (shard.format !== SHARD_FORMAT) throw new Error(`${name}: shard format ${shard.format} is not ${SHARD_FORMAT}; run the same esci version on coordinator and workers`);
    if (failShard !== undefined && shard.first === failShard) throw new Error(`${name}: ESCI_TEST_FAIL_SHARD=${failShard} makes this shard fail`);
    const { loaded, sha256 } = await load(shard.kind, shard.model);
    if (sha256 !== shard.model.sha256) {
      throw new Error(
        `${name} refuses the shard: its weights of ${shard.model.id} have sha256 ${sha256.slice(0, 16)}…, the job's have ${shard.model.sha256.slice(0, 16)}… ` +
          "(give every worker the checkpoint the coordinator uses: same path contents or hub revision)",
      );
    }
    if (loaded.kind === "classify") return scoreShard(loaded.model, shard as ClassifyShard, afterChunk);
    return embedShard(loaded.model, shard as EmbedShard, afterChunk);
  };

  // Fail fast, naming the URL, when Redis is not there (the worker itself would retry for ever).
  await (await openQueue(o.url)).close();
  const lock = lockMs();
  const worker = new Worker<Shard>(QUEUE_NAME, processShard, {
    connection: parseQueueUrl(o.url),
    concurrency: o.concurrency ?? 1,
    name,
    lockDuration: lock,
    stalledInterval: lock,
    // A shard whose worker died this many times is failed rather than handed out forever.
    maxStalledCount: 3,
  });
  worker.on("error", () => {}); // connection errors: ioredis reconnects
  worker.on("completed", (job) => o.onShard?.(job.data.kind, job.data.rows, job.data.first));
  worker.on("failed", (job, err) => o.onFailure?.(job?.data.first ?? -1, err.message));
  await worker.waitUntilReady();

  return {
    name,
    async close() {
      await worker.close();
      for (const p of models.values()) await p.then(({ loaded }) => loaded.model.dispose()).catch(() => {});
    },
  };
}

async function scoreShard(model: CrossEncoder, s: ClassifyShard, afterChunk: (rows: number) => Promise<void>): Promise<ShardOutcome> {
  const out: ShardOutcome = { preds: [], failures: [] };
  for (let i = 0; i < s.pairs.length; i += s.chunkSize) {
    const chunk = s.pairs.slice(i, i + s.chunkSize);
    const r = await scoreChunk(model, chunk, s, s.onError);
    out.preds.push(...r.preds);
    for (const f of r.failures) out.failures.push({ index: i + f.index, reason: f.reason });
    await afterChunk(chunk.length);
  }
  return out;
}

async function embedShard(model: BiEncoder, s: EmbedShard, afterChunk: (rows: number) => Promise<void>): Promise<EmbedShardResult> {
  const vectors = await model.embed(s.texts, { batchSize: s.batchSize, maxLength: s.maxLength });
  await afterChunk(s.texts.length);
  return encodeVectors(vectors, model.dimension);
}
