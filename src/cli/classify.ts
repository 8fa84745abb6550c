/**
 * `esci classify`: one pair → label and probabilities, or a whole file → prediction JSONL.
 *
 * This file only parses flags, loads the CrossEncoder and draws progress; scoring, the resumable
 * output and the row format live in esci/classify.ts so `esci predict` and tests share them.
 */
import { readFile, rm, stat } from "node:fs/promises";
import { EsciError, isEsciError } from "../errors/index.js";
import { classifyFile } from "../esci/classify.js";
import type { DatasetVersion } from "../esci/dataset.js";
import type { OnError } from "../esci/issues.js";
import { parseEsciLabel } from "../esci/labels.js";
import { checkOutputPath } from "../io/output-path.js";
import { ResumableOutput } from "../io/resumable.js";
import { bool, num, parseFlags, requireStr, str, type Options, type Parsed } from "./args.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";
import { DEFAULT_CROSS_ENCODER, loadCrossEncoder, MODEL_FLAGS, MODEL_FLAGS_HELP, modelRef } from "./model-flags.js";
import type { ScoreCalibration } from "../models/calibration.js";
import { openQueuedClassify, QUEUE_FLAGS, QUEUE_FLAGS_HELP } from "./queue-flags.js";

/** Flags that select rows of an ESCI dataset directory. */
export const DATASET_FLAGS: Options = {
  locale: { type: "string" },
  split: { type: "string" },
  version: { type: "string" },
  limit: { type: "string" },
  template: { type: "string" },
};

export function parseOnError(p: Parsed): OnError {
  const v = str(p, "on-error") ?? "fail";
  if (v !== "fail" && v !== "skip") throw new EsciError("INVALID_ARGUMENT", `--on-error must be "fail" or "skip", got "${v}"`);
  return v;
}

export function parseVersion(p: Parsed, fallback?: DatasetVersion): DatasetVersion | undefined {
  const v = str(p, "version") ?? fallback;
  if (v !== undefined && v !== "small" && v !== "large" && v !== "all") {
    throw new EsciError("INVALID_ARGUMENT", `--version must be small, large or all, got "${v}"`);
  }
  return v;
}

/** The model settings a resumed run must share with the interrupted one (with the input's, in esci/classify.ts). */
export function modelFingerprint(p: Parsed, labels: readonly string[], calibration?: ScoreCalibration): Record<string, unknown> {
  return { model: modelRef(str(p, "model") ?? DEFAULT_CROSS_ENCODER), revision: str(p, "revision"), labels, quantize: str(p, "quantize"), calibration: calibration ?? null };
}

/**
 * A run that failed after committing rows keeps OUT.partial and OUT.progress.json so that
 * --resume can go on; the error then says so, and how to continue or clean up, instead of leaving
 * the files unexplained. A run that failed before its first commit leaves nothing: its empty
 * OUT.partial is removed.
 */
export async function explainKeptPartial(e: unknown, output: string): Promise<unknown> {
  const partial = ResumableOutput.partialPath(output);
  const marker = ResumableOutput.markerPath(output);
  if (isEsciError(e) && e.code === "CONFLICT") return e; // a refused --resume: its message says what to do
  let rows = 0;
  try {
    rows = (JSON.parse(await readFile(marker, "utf8")) as { consumed: number }).consumed;
  } catch {
    // no marker: nothing was committed
  }
  if (rows === 0) {
    if ((await stat(partial).catch(() => undefined))?.size === 0) await rm(partial, { force: true });
    await rm(marker, { force: true });
    return e;
  }
  const note =
    `${partial} keeps the ${rows.toLocaleString("en-US")} rows finished before the failure: ` +
    `fix the cause and rerun the same command with --resume to continue from there (add --on-error skip to skip bad rows), ` +
    `or delete ${partial} and ${marker}`;
  if (isEsciError(e)) return new EsciError(e.code, `${e.message}\n${note}`, e.details, { cause: e });
  process.stderr.write(`esci: ${note}\n`);
  return e;
}

const HELP = `Usage:
  esci classify --model M --query "…" --product "…" [--json]
  esci classify --model M --input FILE|DIR --output FILE [--resume] [--on-error fail|skip]
                [--batch-size N] [--max-length N] [--labels a,b,…]
                [--queue redis://HOST:PORT[/DB] [--shard-size N]]

One pair: prints the predicted label and every label's probability.
A file (JSONL, CSV or Parquet with "query" and "product" columns, or an ESCI dataset directory):
writes JSONL rows = the input's fields + "logits", "probs" ({label: p}) and "label", in input order.
A run killed at any point continues with --resume and ends with the same output file.

Flags:
  --query, --product   score one pair
  --json               print the one-pair result as JSON
  --input FILE|DIR     pairs to score
  --output FILE        prediction JSONL (written as FILE.partial, renamed when complete)
  --resume             continue an interrupted run with the same input and settings
  --on-error fail|skip bad rows (missing/wrong-typed fields, unknown labels, missing products):
                       stop with an error naming file, row and column (fail, default), or skip
                       and list them
${MODEL_FLAGS_HELP}
${QUEUE_FLAGS_HELP}
ESCI dataset directory input:
  --locale us          product_locale to keep (us, es, jp, all; default us)
  --split S            train, test or all (default all)
  --version V          small, large or all (default all)
  --limit N            first N judgements after filtering
  --template T         product text, e.g. "{title}" (default) or "{title} {brand} {color} {bullets}"`;

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...MODEL_FLAGS,
    ...DATASET_FLAGS,
    ...QUEUE_FLAGS,
    query: { type: "string" },
    product: { type: "string" },
    json: { type: "boolean" },
    input: { type: "string" },
    output: { type: "string" },
    resume: { type: "boolean" },
    "on-error": { type: "string" },
  });
  const query = str(p, "query");
  const product = str(p, "product");
  const input = str(p, "input");
  const output = str(p, "output");
  if ((query !== undefined || product !== undefined) && (input !== undefined || output !== undefined)) {
    throw new EsciError("INVALID_ARGUMENT", "give either --query and --product (one pair), or --input and --output (a file), not both");
  }
  if (input === undefined) {
    if (output !== undefined) throw new EsciError("INVALID_ARGUMENT", "--output needs --input (the file of pairs to classify)");
    if (query !== undefined && product === undefined) throw new EsciError("INVALID_ARGUMENT", "--query needs --product (the product text to classify against the query)");
    if (product !== undefined && query === undefined) throw new EsciError("INVALID_ARGUMENT", "--product needs --query (the search query to classify the product against)");
    if (query === undefined) throw new EsciError("INVALID_ARGUMENT", "nothing to classify: give --query and --product (one pair), or --input FILE and --output FILE");
  } else requireStr(p, "output");
  if (input === undefined && str(p, "queue") !== undefined) throw new EsciError("INVALID_ARGUMENT", "--queue scores files: give --input and --output");
  const batchSize = num(p, "batch-size", { integer: true, min: 1 });
  const maxLength = num(p, "max-length", { integer: true, min: 3 });
  const onError = parseOnError(p);
  const version = parseVersion(p);
  const limit = num(p, "limit", { integer: true, min: 1 });
  if (input !== undefined) await checkOutputPath(requireStr(p, "output"), { inputs: [input, str(p, "model")], label: "--output" });

  const model = str(p, "queue") === undefined ? await loadCrossEncoder(p) : undefined;
  let queued: Awaited<ReturnType<typeof openQueuedClassify>>;
  try {
    if (input === undefined) {
      const [pred] = await model!.predict([[query as string, product as string]], { maxLength });
      const esci = parseEsciLabel(pred.label);
      if (bool(p, "json")) process.stdout.write(JSON.stringify({ ...pred, ...(esci ? { esci } : {}) }) + "\n");
      else {
        const w = Math.max(...Object.keys(pred.probs).map((k) => k.length));
        const lines = [`label: ${pred.label}${esci && esci !== pred.label ? ` (ESCI ${esci})` : ""}${pred.calibrated ? " (calibrated)" : ""}`, ...Object.entries(pred.probs).map(([k, v]) => `  ${k.padEnd(w)}  ${v.toFixed(4)}`)];
        process.stdout.write(lines.join("\n") + "\n");
      }
      return 0;
    }
    const bar = new ProgressBar({ label: "classify", unit: "pairs", quiet: bool(p, "quiet") });
    queued = await openQueuedClassify(p, { onError, batchSize, maxLength, bar, quiet: bool(p, "quiet") });
    const result = await classifyFile(queued?.runner ?? model!, {
      input,
      output: output as string,
      resume: bool(p, "resume"),
      onError,
      batchSize,
      maxLength,
      locale: str(p, "locale"),
      split: str(p, "split"),
      version,
      limit,
      template: str(p, "template"),
      fingerprint: modelFingerprint(p, queued?.labels ?? model!.labels, model?.calibration),
      onProgress: (done, total) => bar.update(done, total),
      onResume: (done) => bar.resumeAt(done),
    }).catch(async (e: unknown) => {
      throw await explainKeptPartial(e, output as string);
    });
    bar.finish();
    await queued?.runner.close(Number.MAX_SAFE_INTEGER);
    const lines = [`wrote ${result.written.toLocaleString("en-US")} rows to ${output}`];
    if (result.alreadyComplete) lines.push("(the interrupted run had already finished)");
    else if (result.resumedFrom) lines.push(`(resumed after ${result.resumedFrom.toLocaleString("en-US")} rows)`);
    if (result.skipped.count) {
      lines.push(`skipped ${result.skipped.count.toLocaleString("en-US")} rows:`);
      for (const i of result.skipped.items.slice(0, 20)) lines.push(`  ${i.file}${i.row !== undefined ? `, row ${i.row}` : ""}${i.column ? `, column "${i.column}"` : ""}: ${i.reason}`);
      if (result.skipped.count > 20) lines.push(`  … and ${result.skipped.count - 20} more`);
    }
    process.stderr.write(lines.join("\n") + "\n");
    return 0;
  } finally {
    await model?.dispose();
    await queued?.runner.close();
  }
}

export const classifyCommand: Command = {
  name: "classify",
  summary: "ESCI label and probabilities for one pair or a whole file (resumable)",
  help: HELP,
  run,
};
