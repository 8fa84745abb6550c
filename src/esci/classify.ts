/**
 * Score a pair file (or an ESCI dataset directory) with any PairScorer into a prediction JSONL
 * file that can be resumed after a crash.
 *
 * Rows are scored in consecutive chunks of `chunkSize` records and written in input order;
 * commits (io/resumable.ts) fall on batch boundaries, so a resumed run re-forms exactly the same
 * batches as an uninterrupted one (the same padding, hence the same numbers from a real model)
 * and its output file is byte-identical. Skipped rows are tracked as committed (rows up to the
 * last commit, saved in the marker) and pending (read ahead, re-read on resume), so a resumed run
 * neither loses nor double-counts them. A run that fails (a bad row under --on-error fail, a
 * scorer error) commits the rows it finished before rethrowing, so a resume starts right there.
 * `on error` is not part of the resume fingerprint: rows before the failure were all valid, so a
 * run stopped by a bad row may go on with skipping turned on and match a skipping run from the start.
 *
 * With a `ShardRunner` (src/jobs/ puts one on a BullMQ queue) the same loop sends shards of whole
 * chunks to workers, keeps several in flight and writes their results in input order; workers
 * score each chunk with `scoreChunk`, the function the local path uses, so the output bytes match.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { EsciError, isEsciError } from "../errors/index.js";
import type { Pair, PairPrediction, PairScorer } from "../models/types.js";
import { ResumableOutput } from "../io/resumable.js";
import { IssueLog, type InputIssue, type OnError, type SkippedSummary } from "./issues.js";
import { openPairSource, type PairRecord } from "./pairs.js";
import { formatPredictionLine } from "./predictions.js";
import type { EsciReadOptions } from "./dataset.js";

export interface ClassifyFileOptions extends EsciReadOptions {
  input: string;
  output: string;
  resume?: boolean;
  onError?: OnError;
  /** Most pairs per ONNX Runtime call (passed to the scorer). */
  batchSize?: number;
  /**
   * Records per scorer call (default 1024): the unit the scorer sorts by length and packs into
   * batches, and the unit of resume, so a resumed run forms exactly the same batches.
   */
  chunkSize?: number;
  maxLength?: number;
  /** Extra identity of the run checked on resume, e.g. the model name and labels. */
  fingerprint?: Record<string, unknown>;
  /** Commit at most this often (default 1000 ms); every batch when 0. */
  commitIntervalMs?: number;
  /** fsync before each commit (default true). */
  durable?: boolean;
  onProgress?: (done: number, total: number | undefined) => void;
  /** Called once before scoring when the run resumes after `consumed` records (for rates and ETAs). */
  onResume?: (consumed: number) => void;
}

/** What became of one chunk or shard: a prediction per pair, or the reason it has none. */
export interface ShardOutcome {
  /** One per pair, input order; null where the pair was not scored. */
  preds: (PairPrediction | null)[];
  /** Pairs without a prediction: index within the shard and why. */
  failures: { index: number; reason: string }[];
  /** Set when the whole shard failed (e.g. a worker gave up after its retries). */
  shardFailed?: string;
}

/**
 * Scores shards of consecutive records somewhere else; classifyFile keeps the order, the resume
 * marker and the output. Shards are whole chunks, so workers form the batches a local run forms.
 */
export interface ShardRunner {
  /** Records per shard: a multiple of the chunk size. */
  readonly shardSize: number;
  /** Shards handed out before the oldest one is awaited. */
  readonly inflight: number;
  /** Start a run or, given the id saved in the marker, reattach to it; returns the run id. */
  start(previousRun: string | undefined): Promise<string>;
  /** Score `pairs`, the records from index `first` (0-based, in input order) on. */
  score(pairs: Pair[], first: number): Promise<ShardOutcome>;
  /** Everything before record `consumed` is in the output for good: results may be dropped. */
  committed(consumed: number): Promise<void>;
}

export interface ClassifyFileResult {
  /** Rows written to the output, including those of a resumed run's earlier part. */
  written: number;
  /** Records consumed before this call started (0 for a fresh run). */
  resumedFrom: number;
  alreadyComplete: boolean;
  skipped: SkippedSummary;
}

interface MarkerState {
  /** The ShardRunner's run id, when shards are scored elsewhere. */
  run?: string;
  lastRow: number;
  written: number;
  skipped: SkippedSummary;
}

async function fingerprintOf(o: ClassifyFileOptions, runner: ShardRunner | undefined): Promise<string> {
  const st = await stat(o.input).catch(() => undefined);
  // Keys are what a refused --resume names, with the old and the new value.
  return JSON.stringify({
    input: resolve(o.input),
    "input size (bytes)": st?.isDirectory() ? undefined : st?.size,
    "input modified": st?.isDirectory() || !st ? undefined : new Date(st.mtimeMs).toISOString(),
    "batch size": o.batchSize,
    "chunk size": o.chunkSize ?? 1024,
    "max length": o.maxLength,
    locale: o.locale,
    split: o.split,
    version: o.version,
    limit: o.limit,
    template: o.template,
    ...o.fingerprint,
    "shard size": runner?.shardSize,
  });
}

function isShardRunner(s: PairScorer | ShardRunner): s is ShardRunner {
  return "shardSize" in s && typeof (s as ShardRunner).score === "function";
}

/** Score with a local scorer, or hand shards to a ShardRunner (e.g. workers of a job queue). */
export async function classifyFile(scorer: PairScorer | ShardRunner, options: ClassifyFileOptions): Promise<ClassifyFileResult> {
  const chunkSize = options.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new EsciError("INVALID_ARGUMENT", `chunkSize must be a positive integer, got ${chunkSize}`);
  const onError = options.onError ?? "fail";
  const interval = options.commitIntervalMs ?? 1000;
  const runner = isShardRunner(scorer) ? scorer : undefined;
  if (runner && (!Number.isInteger(runner.shardSize) || runner.shardSize < chunkSize || runner.shardSize % chunkSize !== 0)) {
    throw new EsciError("INVALID_ARGUMENT", `shard size must be a multiple of the chunk size ${chunkSize} (so workers form the batches a single machine forms), got ${runner.shardSize}`);
  }
  const shardSize = runner?.shardSize ?? chunkSize;
  const inflight = runner?.inflight ?? 1;

  const out = await ResumableOutput.open<MarkerState>(options.output, {
    resume: options.resume,
    fingerprint: await fingerprintOf(options, runner),
    durable: options.durable,
  });
  const committed = IssueLog.fromJSON(out.resumed?.state?.skipped);
  if (out.alreadyComplete) {
    await out.finish(out.resumed?.consumed ?? 0);
    return { written: out.resumed?.state?.written ?? 0, resumedFrom: out.resumed?.consumed ?? 0, alreadyComplete: true, skipped: committed.toJSON() };
  }

  if (out.resumed) options.onResume?.(out.resumed.consumed + committed.count);
  const resumeRow = out.resumed?.state?.lastRow ?? 0;
  let pendingIssues: InputIssue[] = [];
  const onIssue =
    onError === "skip"
      ? (i: InputIssue) => {
          // Rows up to the resume point were already logged by the interrupted run.
          if (i.row === undefined || i.row > resumeRow) pendingIssues.push(i);
        }
      : undefined;

  let consumed = out.resumed?.consumed ?? 0;
  let written = out.resumed?.state?.written ?? 0;
  let lastRow = resumeRow;
  let toSkip = consumed;
  let lastCommit = Date.now();

  const commitState = (): MarkerState => {
    const keep: InputIssue[] = [];
    const done: InputIssue[] = [];
    for (const i of pendingIssues) (i.row === undefined || i.row <= lastRow ? done : keep).push(i);
    // Reader issues arrive ahead of scoring failures; list them all in row order.
    done.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    for (const i of done) committed.add(i);
    pendingIssues = keep;
    return { run, lastRow, written, skipped: committed.toJSON() };
  };
  const commit = async () => {
    await out.commit(consumed, commitState());
    await runner?.committed(consumed);
  };

  let run: string | undefined;
  const failedShards: string[] = [];
  // Under --on-error fail, output stops at the first failed shard (a resume restarts there); the
  // later shards still run, and their results wait in the queue for that resume.
  let halted = false;

  try {
    // A fresh queued run saves its id before any shard is enqueued, so --resume always reattaches.
    if (runner) {
      run = await runner.start(out.resumed?.state?.run);
      if (!out.resumed) await commit();
    }
    const source = await openPairSource(options.input, { ...options, onIssue });
    const total = source.total;
    // Rows done = consumed records + rows the reader rejected (scoring failures are already consumed).
    const rejected = (issues: InputIssue[]) => issues.filter((i) => i.kind !== "scoring_failed").length;
    const progress = () => options.onProgress?.(consumed + committed.count - (committed.byKind().scoring_failed ?? 0) + rejected(pendingIssues), total);

    const score = async (batch: PairRecord[], first: number): Promise<ShardOutcome> => {
      const pairs: Pair[] = batch.map((r) => [r.query, r.product]);
      return runner ? runner.score(pairs, first) : scoreChunk(scorer as PairScorer, pairs, options, onError);
    };
    const write = async (batch: PairRecord[], outcome: ShardOutcome) => {
      if (outcome.preds.length !== batch.length) throw new EsciError("INTERNAL", `${outcome.preds.length} predictions for a shard of ${batch.length} pairs`);
      if (outcome.shardFailed && onError === "fail") {
        if (!halted) await commit();
        halted = true;
      }
      if (halted) {
        if (outcome.shardFailed) failedShards.push(`${batch[0].file}, rows ${batch[0].row}–${batch[batch.length - 1].row}: ${outcome.shardFailed}`);
        return;
      }
      for (const f of outcome.failures) pendingIssues.push({ kind: "scoring_failed", file: batch[f.index].file, row: batch[f.index].row, reason: f.reason });
      if (outcome.shardFailed) for (const r of batch) pendingIssues.push({ kind: "scoring_failed", file: r.file, row: r.row, reason: outcome.shardFailed });
      for (let k = 0; k < batch.length; k++) {
        const p = outcome.preds[k];
        if (!p) continue;
        out.write(formatPredictionLine(batch[k].fields, p));
        written++;
      }
      consumed += batch.length;
      lastRow = batch[batch.length - 1].row;
      if (interval === 0 || Date.now() - lastCommit >= interval) {
        await commit();
        lastCommit = Date.now();
      }
      progress();
    };

    // Shards in flight, oldest first; written strictly in this order.
    const flight: { batch: PairRecord[]; outcome: Promise<ShardOutcome> }[] = [];
    let next = consumed;
    const send = async (batch: PairRecord[]) => {
      const outcome = score(batch, next);
      outcome.catch(() => {}); // awaited in order below; an early rejection must not go unhandled
      flight.push({ batch, outcome });
      next += batch.length;
      while (flight.length >= inflight) {
        const head = flight.shift()!;
        await write(head.batch, await head.outcome);
      }
    };

    let batch: PairRecord[] = [];
    for await (const records of source.batches()) {
      for (const r of records) {
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        batch.push(r);
        if (batch.length === shardSize) {
          await send(batch);
          batch = [];
        }
      }
    }
    if (batch.length) flight.push({ batch, outcome: score(batch, next) });
    for (const head of flight.splice(0)) await write(head.batch, await head.outcome);
    // Issues after the last record (trailing bad rows) belong to the finished run.
    lastRow = Number.MAX_SAFE_INTEGER;
    if (halted) {
      throw new EsciError(
        "JOB_FAILED",
        `${failedShards.length} shard${failedShards.length > 1 ? "s" : ""} failed after every retry, so ${options.output} was not written:\n  ${failedShards.join("\n  ")}\n` +
          "Fix the cause (e.g. the workers named above) and rerun with `resume: true`: the output continues at the first failed shard, the failed shards are tried again and the finished ones are taken from the queue. Or start over with `onError: \"skip\"` to write the output without those rows.",
        { failed: failedShards, options: ["resume", "onError"] },
      );
    }
    await out.finish(consumed, commitState());
    await runner?.committed(consumed);
    return { written, resumedFrom: out.resumed?.consumed ?? 0, alreadyComplete: false, skipped: committed.toJSON() };
  } catch (e) {
    // Keep every row finished before the failure (best effort: the failure may be the disk itself).
    if (consumed > 0) await out.commit(consumed, commitState()).catch(() => {});
    throw e;
  } finally {
    await out.close();
  }
}

/**
 * Score one chunk of pairs; under --on-error skip, a failing chunk is retried pair by pair and
 * the pairs that still fail are reported instead of predicted. Workers of a queue call this too.
 */
export async function scoreChunk(scorer: PairScorer, pairs: readonly Pair[], options: { batchSize?: number; maxLength?: number }, onError: OnError): Promise<ShardOutcome> {
  const opts = { batchSize: options.batchSize, maxLength: options.maxLength };
  try {
    return { preds: checkCount(await scorer.predict(pairs, opts), pairs.length), failures: [] };
  } catch (e) {
    if (onError !== "skip" || !isEsciError(e) || e.code === "INTERNAL") throw e;
  }
  const out: ShardOutcome = { preds: [], failures: [] };
  for (let k = 0; k < pairs.length; k++) {
    try {
      out.preds.push(checkCount(await scorer.predict([pairs[k]], opts), 1)[0]);
    } catch (e) {
      if (!isEsciError(e) || e.code === "INTERNAL") throw e;
      out.failures.push({ index: k, reason: e.message });
      out.preds.push(null);
    }
  }
  return out;
}

function checkCount(preds: PairPrediction[], n: number): PairPrediction[] {
  if (preds.length !== n) throw new EsciError("INTERNAL", `scorer returned ${preds.length} predictions for ${n} pairs`);
  return preds;
}
