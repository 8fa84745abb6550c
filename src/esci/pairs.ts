/**
 * Query–product pair files: JSONL, CSV or Parquet with `query` and `product` columns and optional
 * `label` (or `esci_label`), `query_id` and `product_id`.
 *
 * `esci classify`, `esci predict` and `esci evaluate --model` all read pairs through
 * `openPairSource`, which also accepts an ESCI dataset directory (dataset.ts), so the three
 * commands agree on columns, label spellings and error messages. Every other field of a row is
 * kept in `fields` and written back next to the predictions (predictions.ts).
 */
import { stat } from "node:fs/promises";
import { EsciError } from "../errors/index.js";
import { countTableRows, readTableBatches, tableFormatOf } from "../io/table.js";
import { raise, type IssueHandler } from "./issues.js";
import { parseEsciLabel, type EsciLabel } from "./labels.js";
import { checkId, checkText, isAbsent } from "./values.js";
import { openEsciPairs, type EsciReadOptions } from "./dataset.js";

export interface PairRecord {
  file: string;
  /** 1-based row in `file` (see io/table.ts). */
  row: number;
  /** The input's fields, as read (written back with the predictions). */
  fields: Record<string, unknown>;
  query: string;
  product: string;
  /** Gold label, when the input has one. */
  label?: EsciLabel;
  query_id?: string;
  product_id?: string;
}

export interface PairSource {
  /** Rows the source will yield (before rows skipped as invalid), when known. */
  total?: number;
  /** Batches of valid rows in input order; invalid rows go to the issue handler (or throw). */
  batches(): AsyncGenerator<PairRecord[]>;
}

export interface PairSourceOptions extends EsciReadOptions {
  onIssue?: IssueHandler;
}

const LABEL_COLUMNS = ["label", "esci_label"] as const;

/** Validate one row of a plain pair file; undefined when it was reported as an issue. */
export function pairFromRow(file: string, row: number, values: Record<string, unknown>, onIssue?: IssueHandler): PairRecord | undefined {
  const q = checkText(values.query, { file, row, column: "query" });
  if (!q.ok) return void raise(q.issue, onIssue);
  const p = checkText(values.product, { file, row, column: "product" });
  if (!p.ok) return void raise(p.issue, onIssue);
  const rec: PairRecord = { file, row, fields: values, query: q.value, product: p.value };
  for (const col of LABEL_COLUMNS) {
    const raw = values[col];
    if (isAbsent(raw)) continue;
    const l = parseEsciLabel(raw);
    if (l === undefined) {
      return void raise(
        { kind: "unknown_label", file, row, column: col, reason: `unknown label ${JSON.stringify(raw)} (expected E, S, C, I or exact, substitute, complement, irrelevant)` },
        onIssue,
      );
    }
    rec.label = l;
    break;
  }
  for (const col of ["query_id", "product_id"] as const) {
    if (isAbsent(values[col])) continue;
    const id = checkId(values[col], { file, row, column: col });
    if (!id.ok) return void raise(id.issue, onIssue);
    rec[col] = id.value;
  }
  return rec;
}

/** A plain pair file (JSONL/CSV/Parquet). */
export function openPairFile(path: string, options: { onIssue?: IssueHandler } = {}): PairSource & { count(): Promise<number> } {
  tableFormatOf(path);
  let checkedHeader = false;
  return {
    count: () => countTableRows(path),
    async *batches() {
      for await (const rows of readTableBatches(path, { onIssue: options.onIssue })) {
        if (!checkedHeader && tableFormatOf(path) !== "jsonl" && rows.length) {
          // CSV and Parquet have a header: a missing column is one error, not one skip per row.
          for (const col of ["query", "product"]) {
            if (!(col in rows[0].values)) {
              throw new EsciError("INVALID_INPUT", `${path}: missing column "${col}" (pair files need "query" and "product")`, { file: path, column: col });
            }
          }
          checkedHeader = true;
        }
        const out: PairRecord[] = [];
        for (const r of rows) {
          const rec = pairFromRow(path, r.row, r.values, options.onIssue);
          if (rec) out.push(rec);
        }
        if (out.length) yield out;
      }
    },
  };
}

/** Pairs from a file or an ESCI dataset directory (detected by being a directory). */
export async function openPairSource(path: string, options: PairSourceOptions = {}): Promise<PairSource> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new EsciError("NOT_FOUND", `${path}: no such file or directory`, { file: path });
  }
  if (isDir) return openEsciPairs(path, options);
  const src = openPairFile(path, options);
  return { total: await src.count(), batches: () => src.batches() };
}
