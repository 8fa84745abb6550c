/**
 * Evaluation: join predictions with gold judgements on (query_id, product_id) and compute the
 * KDD Cup 2022 metrics (Task 1 nDCG, Task 2 accuracy/F1, Task 3 substitute micro-F1) plus
 * calibration and score distributions for the report.
 *
 * Two entry points share one join (`EvaluationSet`): `evaluateFiles` (a predictions file against a
 * gold file or dataset directory) and `evaluateScorer` (score a labelled pair source with a model).
 * Every mismatch is an InputIssue: duplicate keys, predictions without gold, gold without
 * predictions. Under --on-error skip, a prediction without gold is ignored (trec_eval -J ignores
 * unjudged documents too) and a judgement without prediction still counts in its query's ideal
 * DCG (as trec_eval does) but not in Tasks 2–3; both are counted and listed in `skipped`.
 */
import { stat } from "node:fs/promises";
import { EsciError } from "../errors/index.js";
import type { PairScorer } from "../models/types.js";
import { readEsciJudgements, type EsciFilter } from "./dataset.js";
import { openParquet } from "../io/parquet.js";
import { readTableBatches, tableFormatOf } from "../io/table.js";
import { describeIssue, IssueLog, raise, type InputIssue, type IssueHandler, type OnError, type SkippedSummary } from "./issues.js";
import { ESCI_GAINS, ESCI_LABELS, esciLabelsOf, parseEsciLabel, type EsciLabel } from "./labels.js";
import { calibration, type CalibrationResult } from "./metrics/calibration.js";
import { classificationReport, substituteReport, type ClassificationReport, type SubstituteReport } from "./metrics/classification.js";
import { meanNdcg, type JudgedItem } from "./metrics/ranking.js";
import { openPairSource, type PairRecord } from "./pairs.js";
import { parsePredictionRow, rankingScore, type ParsedPrediction, type ScoreSource } from "./predictions.js";
import { checkId, isAbsent } from "./values.js";
import { decisionCalibrations, type DecisionRule, type DecisionRules } from "./calibration/decision.js";
import { calibratedLogits } from "../models/calibration.js";
import { softmax } from "../models/cross-encoder.js";

export type Task = 1 | 2 | 3;

export interface Task1Metrics {
  /** Mean nDCG (trec_eval -c -J semantics, see metrics/ranking.ts). */
  ndcg: number;
  queries: number;
  zero_ideal_queries: number;
  /** How many predictions took their ranking score from each source. */
  score_source: Partial<Record<ScoreSource, number>>;
}

export interface ScoreDistribution {
  /** Histogram bin edges (length bins + 1). */
  edges: number[];
  /** Counts of ranking scores per gold class. */
  per_class: Record<EsciLabel, number[]>;
}

export interface Metrics {
  created: string;
  inputs: Record<string, unknown>;
  counts: { gold: number; predictions: number; matched: number; queries: number };
  task1?: Task1Metrics;
  task2?: ClassificationReport;
  task3?: SubstituteReport;
  calibration?: CalibrationResult;
  score_distribution?: ScoreDistribution;
  /** Model evaluations of an ESCI classifier: the metrics under raw, calibrated and balanced-prior decisions (calibration/decision.ts). */
  decision_rules?: DecisionRules;
  skipped: SkippedSummary;
}

const NO_LABEL = 255;
const LABEL_CODE: Record<EsciLabel, number> = { E: 0, S: 1, C: 2, I: 3 };

/** Gold judgements and the predictions matched to them, by (query_id, product_id). */
export class EvaluationSet {
  private readonly qids: string[] = [];
  private readonly pids: string[] = [];
  private readonly gold: number[] = [];
  private readonly goldRows: number[] = [];
  private readonly goldFiles: string[] = [];
  private readonly index = new Map<string, number>();
  private score: number[] = [];
  private predLabel: number[] = [];
  private conf: number[] = [];
  private predRow: number[] = [];
  private predictions = 0;
  private readonly sources: Partial<Record<ScoreSource, number>> = {};

  constructor(private readonly onIssue?: IssueHandler) {}

  private static key(qid: string, pid: string): string {
    return `${qid}\u0001${pid}`;
  }

  get goldCount(): number {
    return this.gold.length;
  }

  /** Add one judgement; a repeated (query_id, product_id) is a "duplicate" issue. */
  addGold(qid: string, pid: string, label: EsciLabel, file: string, row: number): number | undefined {
    const k = EvaluationSet.key(qid, pid);
    const first = this.index.get(k);
    if (first !== undefined) {
      raise(
        {
          kind: "duplicate",
          file,
          row,
          column: "product_id",
          reason: `duplicate judgement (query_id ${qid}, product_id ${pid}); first at ${this.goldFiles[first] === file ? "" : `${this.goldFiles[first]}, `}row ${this.goldRows[first]}`,
        },
        this.onIssue,
      );
      return undefined;
    }
    const i = this.gold.length;
    this.index.set(k, i);
    this.qids.push(qid);
    this.pids.push(pid);
    this.gold.push(LABEL_CODE[label]);
    this.goldRows.push(row);
    this.goldFiles.push(file);
    this.score.push(NaN);
    this.predLabel.push(NO_LABEL);
    this.conf.push(NaN);
    this.predRow.push(0);
    return i;
  }

  /** Attach a prediction to its judgement; none or a second one is an issue. */
  addPrediction(p: ParsedPrediction, file: string, row: number): void {
    const i = this.index.get(EvaluationSet.key(p.query_id, p.product_id));
    if (i === undefined) {
      const issue: InputIssue = { kind: "prediction_without_gold", file, row, column: "product_id", reason: `no gold judgement for (query_id ${p.query_id}, product_id ${p.product_id})` };
      if (!this.onIssue) {
        throw new EsciError("INVALID_INPUT", `${describeIssue(issue)} (check the locale/split/version filters, or pass \`onError: "skip"\`)`, { ...issue, options: ["onError"] });
      }
      this.onIssue(issue);
      return;
    }
    if (this.predRow[i] !== 0) {
      raise(
        { kind: "duplicate", file, row, column: "product_id", reason: `duplicate prediction for (query_id ${p.query_id}, product_id ${p.product_id}); first at row ${this.predRow[i]}` },
        this.onIssue,
      );
      return;
    }
    this.predRow[i] = row;
    this.predictions++;
    const rs = rankingScore(p);
    if (rs) {
      this.score[i] = rs.score;
      this.sources[rs.source] = (this.sources[rs.source] ?? 0) + 1;
    }
    if (p.label !== undefined) this.predLabel[i] = LABEL_CODE[p.label];
    if (p.probs) {
      let m = 0;
      for (const v of Object.values(p.probs)) if ((v as number) > m) m = v as number;
      this.conf[i] = m;
    }
  }

  /**
   * Report judgements that got no prediction. Without a handler this throws one error that
   * counts them and names the first few.
   */
  checkCoverage(predictionsFile: string): void {
    const missing: number[] = [];
    for (let i = 0; i < this.gold.length; i++) if (this.predRow[i] === 0) missing.push(i);
    if (!missing.length) return;
    const issue = (i: number): InputIssue => ({
      kind: "gold_without_prediction",
      file: this.goldFiles[i],
      row: this.goldRows[i],
      column: "product_id",
      reason: `no prediction in ${predictionsFile} for (query_id ${this.qids[i]}, product_id ${this.pids[i]})`,
    });
    if (!this.onIssue) {
      const first = missing.slice(0, 5).map((i) => `  ${describeIssue(issue(i))}`);
      throw new EsciError(
        "INVALID_INPUT",
        `${missing.length} gold judgement${missing.length > 1 ? "s have" : " has"} no prediction (check the locale/split/version filters, or pass \`onError: "skip"\`):\n${first.join("\n")}`,
        { ...issue(missing[0]), count: missing.length, options: ["onError"] },
      );
    }
    for (const i of missing) this.onIssue(issue(i));
  }

  /** All metrics the matched data allows, restricted to `tasks` when given. */
  metrics(options: { tasks?: readonly Task[]; bins?: number; zeroIdeal?: "zero" | "exclude" } = {}): Omit<Metrics, "created" | "inputs" | "skipped"> {
    const want = (t: Task) => !options.tasks || options.tasks.includes(t);
    const n = this.gold.length;
    const goldL: EsciLabel[] = [];
    const predL: EsciLabel[] = [];
    const confs: number[] = [];
    const correct: boolean[] = [];
    let matched = 0;
    let anyScore = false;
    for (let i = 0; i < n; i++) {
      if (this.predRow[i] === 0) continue;
      matched++;
      if (!Number.isNaN(this.score[i])) anyScore = true;
      if (this.predLabel[i] !== NO_LABEL) {
        goldL.push(ESCI_LABELS[this.gold[i]]);
        predL.push(ESCI_LABELS[this.predLabel[i]]);
        if (!Number.isNaN(this.conf[i])) {
          confs.push(this.conf[i]);
          correct.push(this.gold[i] === this.predLabel[i]);
        }
      }
    }
    const byQuery = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      let a = byQuery.get(this.qids[i]);
      if (!a) byQuery.set(this.qids[i], (a = []));
      a.push(i);
    }
    const out: Omit<Metrics, "created" | "inputs" | "skipped"> = {
      counts: { gold: n, predictions: this.predictions, matched, queries: byQuery.size },
    };
    if (want(1) && anyScore) {
      const self = this;
      function* queries(): Generator<JudgedItem[]> {
        for (const idx of byQuery.values()) {
          yield idx.map((i) => {
            const s = self.score[i];
            return { id: self.pids[i], gain: ESCI_GAINS[ESCI_LABELS[self.gold[i]]], score: Number.isNaN(s) ? undefined : s };
          });
        }
      }
      const r = meanNdcg(queries(), { zeroIdeal: options.zeroIdeal });
      out.task1 = { ndcg: r.ndcg, queries: r.queries, zero_ideal_queries: r.zero_ideal_queries, score_source: { ...this.sources } };
    }
    if (want(2) && goldL.length) out.task2 = classificationReport(goldL, predL, ESCI_LABELS);
    if (want(3) && goldL.length) out.task3 = substituteReport(goldL, predL);
    if (confs.length) out.calibration = calibration(confs, correct, options.bins ?? 15);
    if (anyScore) out.score_distribution = this.distribution();
    return out;
  }

  private distribution(bins = 20): ScoreDistribution {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < this.score.length; i++) {
      const s = this.score[i];
      if (Number.isNaN(s)) continue;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const edges = Array.from({ length: bins + 1 }, (_, k) => lo + ((hi - lo) * k) / bins);
    const per = Object.fromEntries(ESCI_LABELS.map((l) => [l, new Array<number>(bins).fill(0)])) as Record<EsciLabel, number[]>;
    for (let i = 0; i < this.score.length; i++) {
      const s = this.score[i];
      if (Number.isNaN(s) || this.predRow[i] === 0) continue;
      const b = Math.min(bins - 1, Math.floor(((s - lo) / (hi - lo)) * bins));
      per[ESCI_LABELS[this.gold[i]]][b]++;
    }
    return { edges, per_class: per };
  }
}

// ---------------------------------------------------------------------------------------------
// Reading gold

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    throw new EsciError("NOT_FOUND", `${path}: no such file or directory`, { file: path });
  }
}

/**
 * Load gold judgements into `set`: an ESCI dataset directory or examples Parquet file (filtered
 * by locale/split/version), or a JSONL/CSV/Parquet table with query_id, product_id and
 * esci_label (or label).
 */
export async function loadGold(set: EvaluationSet, path: string, filter: EsciFilter, onIssue?: IssueHandler): Promise<void> {
  const dir = await isDirectory(path);
  let official = dir;
  if (!dir && tableFormatOf(path) === "parquet") {
    const pq = await openParquet(path);
    official = pq.columnNames.includes("esci_label") && pq.columnNames.includes("product_locale");
    await pq.close();
  }
  if (official) {
    for await (const batch of readEsciJudgements(path, { ...filter, onIssue })) {
      for (const j of batch) set.addGold(j.query_id, j.product_id, j.esci_label, j.file, j.row);
    }
    return;
  }
  let kept = 0;
  const limit = filter.limit ?? Infinity;
  for await (const rows of readTableBatches(path, { onIssue })) {
    for (const { row, values } of rows) {
      if (kept >= limit) return;
      const qid = checkId(values.query_id, { file: path, row, column: "query_id" });
      if (!qid.ok) {
        raise(qid.issue, onIssue);
        continue;
      }
      const pid = checkId(values.product_id, { file: path, row, column: "product_id" });
      if (!pid.ok) {
        raise(pid.issue, onIssue);
        continue;
      }
      const column = "esci_label" in values ? "esci_label" : "label";
      const raw = values[column];
      const label = parseEsciLabel(raw);
      if (label === undefined) {
        raise(
          isAbsent(raw)
            ? { kind: "missing_value", file: path, row, column: "esci_label", reason: 'missing gold label (column "esci_label" or "label")' }
            : { kind: "unknown_label", file: path, row, column, reason: `unknown label ${JSON.stringify(raw)}` },
          onIssue,
        );
        continue;
      }
      set.addGold(qid.value, pid.value, label, path, row);
      kept++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface EvaluateCommon {
  tasks?: readonly Task[];
  onError?: OnError;
  /** ECE bins (default 15). */
  bins?: number;
  zeroIdeal?: "zero" | "exclude";
  /** Recorded in metrics.json `inputs`. */
  inputs?: Record<string, unknown>;
}

export interface EvaluateFilesOptions extends EvaluateCommon {
  predictions: string;
  gold: string;
  filter?: EsciFilter;
}

function finishMetrics(set: EvaluationSet, log: IssueLog, o: EvaluateCommon): Metrics {
  const m = set.metrics({ tasks: o.tasks, bins: o.bins, zeroIdeal: o.zeroIdeal });
  return { created: new Date().toISOString(), inputs: o.inputs ?? {}, ...m, skipped: log.toJSON() };
}

/** Predictions file (JSONL/CSV/Parquet) against gold; see the module comment for the join rules. */
export async function evaluateFiles(o: EvaluateFilesOptions): Promise<Metrics> {
  const log = new IssueLog();
  const onIssue = o.onError === "skip" ? log.add : undefined;
  const set = new EvaluationSet(onIssue);
  await loadGold(set, o.gold, o.filter ?? {}, onIssue);
  if (!set.goldCount) {
    throw new EsciError("INVALID_INPUT", `${o.gold}: no gold judgements after filtering (${JSON.stringify(o.filter ?? {})})`, { file: o.gold });
  }
  for await (const rows of readTableBatches(o.predictions, { onIssue })) {
    for (const { row, values } of rows) {
      const p = parsePredictionRow(o.predictions, row, values);
      if (!p.ok) {
        raise(p.issue, onIssue);
        continue;
      }
      set.addPrediction(p.value, o.predictions, row);
    }
  }
  set.checkCoverage(o.predictions);
  return finishMetrics(set, log, o);
}

export interface EvaluateScorerOptions extends EvaluateCommon, EsciFilter {
  data: string;
  template?: string;
  batchSize?: number;
  maxLength?: number;
  onProgress?: (done: number, total: number | undefined) => void;
}

/**
 * Score a labelled pair source (ESCI directory or pair file with gold labels) and evaluate.
 * Rows without query_id are grouped by query text for Task 1; rows without product_id are
 * identified by their row number.
 */
export async function evaluateScorer(scorer: PairScorer, o: EvaluateScorerOptions): Promise<Metrics> {
  const log = new IssueLog();
  const onIssue = o.onError === "skip" ? log.add : undefined;
  // A one-logit reranker gives a Task 1 score only; otherwise every label must be an ESCI label.
  const oneLogit = scorer.labels.length === 1;
  if (!oneLogit) esciLabelsOf(scorer.labels);
  const set = new EvaluationSet(onIssue);
  const source = await openPairSource(o.data, { ...o, onIssue });
  const batchSize = o.batchSize ?? 32;
  let done = 0;
  const scored: Array<{ qid: string; pid: string; gold: EsciLabel; logits: number[] }> = [];
  const run = async (batch: PairRecord[]) => {
    const preds = await scorer.predict(
      batch.map((r) => [r.query, r.product] as const),
      { batchSize, maxLength: o.maxLength },
    );
    for (let k = 0; k < batch.length; k++) {
      const r = batch[k];
      const pp = preds[k];
      const parsed: ParsedPrediction = { query_id: r.query_id ?? r.query, product_id: r.product_id ?? `#${r.row}` };
      if (oneLogit) parsed.score = Object.values(pp.probs)[0];
      else {
        Object.assign(parsed, esciView(scorer.labels, pp.probs));
        scored.push({ qid: parsed.query_id, pid: parsed.product_id, gold: r.label!, logits: pp.logits });
      }
      set.addPrediction(parsed, r.file, r.row);
    }
    done += batch.length;
    o.onProgress?.(done, source.total);
  };
  let batch: PairRecord[] = [];
  for await (const records of source.batches()) {
    for (const r of records) {
      if (r.label === undefined) {
        raise({ kind: "missing_value", file: r.file, row: r.row, column: "label", reason: "no gold label (column label or esci_label)" }, onIssue);
        continue;
      }
      if (set.addGold(r.query_id ?? r.query, r.product_id ?? `#${r.row}`, r.label, r.file, r.row) === undefined) continue;
      batch.push(r);
      if (batch.length === batchSize) {
        await run(batch);
        batch = [];
      }
    }
  }
  if (batch.length) await run(batch);
  if (!set.goldCount) throw new EsciError("INVALID_INPUT", `${o.data}: no labelled pairs to evaluate`, { file: o.data });
  const metrics = finishMetrics(set, log, o);
  if (scored.length) metrics.decision_rules = decisionRules(scorer, scored);
  return metrics;
}

/** Probabilities keyed by model label → ESCI letters (summed if two names map to one) and the arg-max letter. */
function esciView(labels: readonly string[], probs: Readonly<Record<string, number>>): Pick<ParsedPrediction, "probs" | "label"> {
  const out: Partial<Record<EsciLabel, number>> = {};
  let best: EsciLabel | undefined;
  for (const name of labels) {
    const l = parseEsciLabel(name) as EsciLabel;
    out[l] = (out[l] ?? 0) + probs[name];
  }
  for (const l of Object.keys(out) as EsciLabel[]) if (best === undefined || out[l]! > out[best]!) best = l;
  return { probs: out, label: best };
}

/** The scored pairs judged under each decision rule: Task 1 nDCG and Task 2 F1s of each. */
function decisionRules(scorer: PairScorer, scored: ReadonlyArray<{ qid: string; pid: string; gold: EsciLabel; logits: number[] }>): DecisionRules {
  const cals = decisionCalibrations(scored.map((s) => s.logits), scorer.calibration, scorer.labels.length);
  const rules = {} as DecisionRules["rules"];
  for (const rule of Object.keys(cals) as DecisionRule[]) {
    const set = new EvaluationSet();
    scored.forEach((s, i) => {
      set.addGold(s.qid, s.pid, s.gold, "(scored)", i + 1);
      const p = softmax(calibratedLogits(s.logits, cals[rule]));
      const probs = Object.fromEntries(scorer.labels.map((l, k) => [l, p[k]]));
      set.addPrediction({ query_id: s.qid, product_id: s.pid, ...esciView(scorer.labels, probs) }, "(scored)", i + 1);
    });
    const m = set.metrics({ tasks: [1, 2] });
    rules[rule] = { micro_f1: m.task2!.micro_f1, macro_f1: m.task2!.macro_f1, ...(m.task1 ? { ndcg: m.task1.ndcg } : {}) };
  }
  return { calibration: scorer.calibration ?? null, rules };
}
