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

export interface ClassifyFileResult {
  /** Rows written to the output, including those of a resumed run's earlier part. */
  written: number;
  /** Records consumed before this call started (0 for a fresh run). */
  resumedFrom: number;
  alreadyComplete: boolean;
  skipped: SkippedSummary;
}

interface MarkerState {
  lastRow: number;
  written: number;
  skipped: SkippedSummary;
}

async function fingerprintOf(o: ClassifyFileOptions): Promise<string> {
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
  });
}

export async function classifyFile(scorer: PairScorer, options: ClassifyFileOptions): Promise<ClassifyFileResult> {
  const chunkSize = options.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new EsciError("INVALID_ARGUMENT", `chunkSize must be a positive integer, got ${chunkSize}`);
  const onError = options.onError ?? "fail";
  const interval = options.commitIntervalMs ?? 1000;

  const out = await ResumableOutput.open<MarkerState>(options.output, {
    resume: options.resume,
    fingerprint: await fingerprintOf(options),
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
    return { lastRow, written, skipped: committed.toJSON() };
  };

  try {
    const source = await openPairSource(options.input, { ...options, onIssue });
    const total = source.total;
    const progress = () => options.onProgress?.(consumed + committed.count + pendingIssues.length, total);

    const scoreBatch = async (batch: PairRecord[]) => {
      const preds = await predictBatch(scorer, batch, options, onError, (i) => pendingIssues.push(i));
      for (let k = 0; k < batch.length; k++) {
        const p = preds[k];
        if (!p) continue;
        out.write(formatPredictionLine(batch[k].fields, p));
        written++;
      }
      consumed += batch.length;
      lastRow = batch[batch.length - 1].row;
      if (interval === 0 || Date.now() - lastCommit >= interval) {
        await out.commit(consumed, commitState());
        lastCommit = Date.now();
      }
      progress();
    };

    let batch: PairRecord[] = [];
    for await (const records of source.batches()) {
      for (const r of records) {
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        batch.push(r);
        if (batch.length === chunkSize) {
          await scoreBatch(batch);
          batch = [];
        }
      }
    }
    if (batch.length) await scoreBatch(batch);
    // Issues after the last record (trailing bad rows) belong to the finished run.
    lastRow = Number.MAX_SAFE_INTEGER;
    await out.finish(consumed, commitState());
    return { written, resumedFrom: out.resumed?.consumed ?? 0, alreadyComplete: false, skipped: committed.toJSON() };
  } catch (e) {
    // Keep every row finished before the failure (best effort: the failure may be the disk itself).
    if (consumed > 0) await out.commit(consumed, commitState()).catch(() => {});
    throw e;
  } finally {
    await out.close();
  }
}

/** Score one batch; under --on-error skip, a failing batch is retried pair by pair and failures are skipped. */
async function predictBatch(
  scorer: PairScorer,
  batch: PairRecord[],
  options: ClassifyFileOptions,
  onError: OnError,
  report: (i: InputIssue) => void,
): Promise<(PairPrediction | undefined)[]> {
  const pairs: Pair[] = batch.map((r) => [r.query, r.product]);
  const opts = { batchSize: options.batchSize, maxLength: options.maxLength };
  try {
    return checkCount(await scorer.predict(pairs, opts), pairs.length);
  } catch (e) {
    if (onError !== "skip" || !isEsciError(e) || e.code === "INTERNAL") throw e;
  }
  const out: (PairPrediction | undefined)[] = [];
  for (let k = 0; k < pairs.length; k++) {
    try {
      out.push(checkCount(await scorer.predict([pairs[k]], opts), 1)[0]);
    } catch (e) {
      if (!isEsciError(e) || e.code === "INTERNAL") throw e;
      report({ kind: "scoring_failed", file: batch[k].file, row: batch[k].row, reason: e.message });
      out.push(undefined);
    }
  }
  return out;
}

function checkCount(preds: PairPrediction[], n: number): PairPrediction[] {
  if (preds.length !== n) throw new EsciError("INTERNAL", `scorer returned ${preds.length} predictions for ${n} pairs`);
  return preds;
}
