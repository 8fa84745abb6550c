/**
 * Bad input rows: an error by default, or — with `--on-error skip` — a counted, listed skip.
 *
 * Readers and the evaluator never drop a row silently: each problem becomes an `InputIssue`
 * naming the file, row and column, handed to an `IssueHandler`. Without a handler the issue is
 * thrown as `EsciError("INVALID_INPUT")`; with an `IssueLog` it is counted and (up to a cap)
 * listed, and the count and list go into metrics.json and the HTML report.
 */
import { EsciError } from "../errors/index.js";

/** What went wrong, for counting skips by cause. */
export type IssueKind =
  | "malformed_row" // a JSONL line that is not a JSON object
  | "missing_column"
  | "missing_value"
  | "wrong_type"
  | "unknown_label"
  | "duplicate"
  | "missing_product"
  | "prediction_without_gold"
  | "gold_without_prediction"
  | "scoring_failed";

export interface InputIssue {
  kind: IssueKind;
  file: string;
  /** 1-based row (see io/table.ts for what a row is in each format). */
  row?: number;
  column?: string;
  reason: string;
}

export type IssueHandler = (issue: InputIssue) => void;

export type OnError = "fail" | "skip";

export function describeIssue(i: InputIssue): string {
  let s = i.file;
  if (i.row !== undefined) s += `, row ${i.row}`;
  if (i.column !== undefined) s += `, column "${i.column}"`;
  return `${s}: ${i.reason}`;
}

export function issueError(i: InputIssue): EsciError {
  return new EsciError("INVALID_INPUT", describeIssue(i), { ...i });
}

/** Report an issue to the handler, or throw it when there is none. */
export function raise(issue: InputIssue, handler?: IssueHandler): void {
  if (!handler) throw issueError(issue);
  handler(issue);
}

/** Counts every issue and keeps the first `cap` for reports. */
export class IssueLog {
  count = 0;
  readonly items: InputIssue[] = [];
  private readonly kinds = new Map<IssueKind, number>();

  constructor(private readonly cap = 1000) {}

  /** A log continuing from a saved summary (e.g. a resumed run's progress marker). */
  static fromJSON(saved: SkippedSummary | undefined, cap = 1000): IssueLog {
    const log = new IssueLog(cap);
    if (saved) {
      log.count = saved.count;
      log.items.push(...saved.items.slice(0, cap));
      for (const [k, n] of Object.entries(saved.by_kind)) log.kinds.set(k as IssueKind, n as number);
    }
    return log;
  }

  readonly add: IssueHandler = (issue) => {
    this.count++;
    if (this.items.length < this.cap) this.items.push(issue);
    this.kinds.set(issue.kind, (this.kinds.get(issue.kind) ?? 0) + 1);
  };

  /** Counts per kind of problem. */
  byKind(): Partial<Record<IssueKind, number>> {
    return Object.fromEntries(this.kinds);
  }

  toJSON(): SkippedSummary {
    return { count: this.count, by_kind: this.byKind(), items: this.items, truncated: this.count > this.items.length };
  }
}

/** The `skipped` section of metrics.json. */
export interface SkippedSummary {
  count: number;
  by_kind: Partial<Record<IssueKind, number>>;
  /** The first issues (up to the log's cap), in the order met. */
  items: InputIssue[];
  truncated: boolean;
}

/** The handler for an --on-error mode: undefined (throw) for "fail", the log's add for "skip". */
export function handlerFor(mode: OnError, log: IssueLog): IssueHandler | undefined {
  return mode === "skip" ? log.add : undefined;
}
