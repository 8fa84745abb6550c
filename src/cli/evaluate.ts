/**
 * `esci evaluate`: KDD Cup 2022 metrics and an HTML report, for a model on labelled data or for a
 * predictions file against gold judgements. Flag parsing and printing only; the join, metrics
 * and report are esci/evaluate.ts and esci/report/.
 */
import { EsciError } from "../errors/index.js";
import type { EsciFilter } from "../esci/dataset.js";
import { evaluateFiles, evaluateScorer, type Metrics, type Task } from "../esci/evaluate.js";
import { renderSummary, writeReport } from "../esci/report/html.js";
import { checkOutputPath } from "../io/output-path.js";
import { bool, num, parseFlags, requireStr, str, type Parsed } from "./args.js";
import { writeStoreReport } from "../search/report.js";
import { runStoreTask1 } from "./search.js";
import { DATASET_FLAGS, parseOnError, parseVersion } from "./classify.js";
import { loadCrossEncoder, MODEL_FLAGS } from "./model-flags.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";

const HELP = `Usage:
  esci evaluate --model M --data PATH [--task 1|2|3] [--locale us] [--split test] [--limit N] --report DIR
  esci evaluate --predictions P --gold G [--task 1|2|3] --report DIR
  esci evaluate --task 1 --store STORE --data ESCI_DIR [--model M] [--candidates 100] [--report DIR]

Writes DIR/metrics.json (task1.ndcg, task2.accuracy/micro_f1/macro_f1/weighted_f1/per_class/
confusion, task3.micro_f1, calibration, skipped) and DIR/report.html (self-contained), and prints
a summary. Each task is reported when the inputs allow it.

  --model M            score --data with this cross-encoder (see esci classify --help for
                       --labels, --revision, --threads, --quantize, --batch-size, --max-length);
                       its esci_calibration.json applies unless --no-calibration, and the
                       report compares raw arg-max, calibrated and calibrated under a balanced
                       label prior (micro/macro-F1, Task 1 nDCG)
  --data PATH          ESCI dataset directory, or a JSONL/CSV/Parquet pair file with gold labels
                       ("label" or "esci_label"; "query_id"/"product_id" optional)
  --predictions P      JSONL (or CSV/Parquet) with query_id, product_id and one of probs
                       ({label: p}), label or score
  --gold G             ESCI dataset directory (or its examples .parquet), or a JSONL/CSV with
                       query_id, product_id, esci_label
  --task 1|2|3         only this task; also picks the dataset version (1: small, 2–3: large)
  --locale L           us (default), es, jp or all          (dataset gold/data only)
  --split S            test (default), train or all         (dataset gold/data only)
  --version V          small, large or all (default: small for --task 1, else large)
  --limit N            first N judgements after filtering
  --template T         product text template for --data DIR (default "{title}")
  --on-error fail|skip stop at the first bad row (default) or skip it and list it in the report
  --bins N             calibration bins (default 15)
  --report DIR         where metrics.json and report.html go
Two-stage search (--store): nDCG of stage 1 (BM25 + vector kNN) alone and of stage 1 reranked by
the cross-encoder M, side by side, over the judged products of each query in --data.
  --store STORE        a catalog store made by esci index (sqlite:PATH or postgres://…)
  --embed-model B      the store's bi-encoder (default: the one recorded in the store)
  --candidates N       stage-1 candidates per query (default 100)
  --no-rerank          stage 1 only`;

function parseTask(raw: string | undefined): Task | undefined {
  if (raw === undefined) return undefined;
  if (raw === "1" || raw === "2" || raw === "3") return Number(raw) as Task;
  throw new EsciError("INVALID_ARGUMENT", `--task must be 1, 2 or 3, got "${raw}"`);
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...MODEL_FLAGS,
    ...DATASET_FLAGS,
    data: { type: "string" },
    predictions: { type: "string" },
    gold: { type: "string" },
    task: { type: "string" },
    report: { type: "string" },
    "on-error": { type: "string" },
    bins: { type: "string" },
    store: { type: "string" },
    "embed-model": { type: "string" },
    candidates: { type: "string" },
    "no-rerank": { type: "boolean" },
  });
  if (str(p, "store") !== undefined) return runStore(p);
  const report = requireStr(p, "report");
  const task = parseTask(str(p, "task"));
  const tasks = task ? [task] : undefined;
  const filter: EsciFilter = {
    locale: str(p, "locale") ?? "us",
    split: str(p, "split") ?? "test",
    version: parseVersion(p, task === 1 ? "small" : "large"),
    limit: num(p, "limit", { integer: true, min: 1 }),
  };
  const onError = parseOnError(p);
  const bins = num(p, "bins", { integer: true, min: 1, max: 1000 });
  const predictions = str(p, "predictions");
  const gold = str(p, "gold");
  const data = str(p, "data");
  const model = str(p, "model");
  const quiet = bool(p, "quiet");
  const batchSize = num(p, "batch-size", { integer: true, min: 1 });
  const maxLength = num(p, "max-length", { integer: true, min: 3 });
  await checkOutputPath(report, { kind: "directory", inputs: [predictions, gold, data, model], label: "--report" });

  let metrics: Metrics;
  if (predictions !== undefined || gold !== undefined) {
    if (model !== undefined || data !== undefined) throw new EsciError("INVALID_ARGUMENT", "give either --model and --data, or --predictions and --gold");
    const pred = requireStr(p, "predictions");
    const g = requireStr(p, "gold");
    metrics = await evaluateFiles({
      predictions: pred,
      gold: g,
      filter,
      tasks,
      onError,
      bins,
      inputs: { predictions: pred, gold: g, ...filter, task },
    });
  } else {
    if (data === undefined) throw new EsciError("INVALID_ARGUMENT", "missing --data (with --model; or --predictions and --gold)");
    const scorer = await loadCrossEncoder(p);
    const bar = new ProgressBar({ label: "evaluate", unit: "pairs", quiet });
    try {
      metrics = await evaluateScorer(scorer, {
        data,
        ...filter,
        template: str(p, "template"),
        batchSize,
        maxLength,
        tasks,
        onError,
        bins,
        inputs: { model, labels: scorer.labels, data, ...filter, task },
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.finish();
    } finally {
      await scorer.dispose();
    }
  }
  const out = await writeReport(report, metrics);
  process.stdout.write(renderSummary(metrics));
  process.stderr.write(`wrote ${out.metrics} and ${out.html}\n`);
  return 0;
}

/** --store: Task 1 of the two-stage search pipeline (search/evaluate.ts does the work). */
async function runStore(p: Parsed): Promise<number> {
  const task = parseTask(str(p, "task")) ?? 1;
  if (task !== 1) throw new EsciError("INVALID_ARGUMENT", "--store evaluates the ranking task: use --task 1");
  const filter: EsciFilter = {
    locale: str(p, "locale") ?? "us",
    split: str(p, "split") ?? "test",
    version: parseVersion(p, "small"),
    limit: num(p, "limit", { integer: true, min: 1 }),
  };
  const data = requireStr(p, "data");
  const report = str(p, "report");
  if (report !== undefined) await checkOutputPath(report, { kind: "directory", inputs: [data], label: "--report" });
  const { result, text } = await runStoreTask1(p, {
    data,
    filter,
    rerankModel: str(p, "model"),
    noRerank: bool(p, "no-rerank"),
    template: str(p, "template"),
  });
  process.stdout.write(text);
  if (report !== undefined) {
    const out = await writeStoreReport(report, result);
    process.stderr.write(`wrote ${out.metrics} and ${out.html}\n`);
  }
  return 0;
}

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "KDD Cup 2022 metrics (nDCG, F1, substitute F1) and an HTML report",
  help: HELP,
  run,
};
