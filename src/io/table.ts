/**
 * One way to read a table of records from JSONL, CSV or Parquet, chosen by file extension.
 *
 * Pair files, prediction files and gold files all go through here, so every format gets the same
 * row numbering in errors: JSONL rows are line numbers (blank lines are skipped but keep their
 * numbers), CSV rows count data records after the header, Parquet rows count from 1.
 *
 * A table without a single row — a 0-byte file, blank lines only, a CSV header alone, a Parquet
 * file of 0 rows — is INVALID_INPUT "no rows in FILE" for every caller: a command that "wrote 0
 * predictions" from an empty file has hidden a mistake. A JSONL line that is not a JSON object is
 * an issue like a bad value: thrown, or handed to `onIssue` (`--on-error skip`) and counted.
 */
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { EsciError } from "../errors/index.js";
import { readCsvBatches } from "./csv.js";
import { readLineBatches } from "./lines.js";
import { openParquet } from "./parquet.js";

export type TableFormat = "jsonl" | "csv" | "parquet";

export interface TableRow {
  row: number;
  values: Record<string, unknown>;
}

/** A row the reader could not turn into values (esci/issues.ts's InputIssue accepts it). */
export interface TableIssue {
  kind: "malformed_row";
  file: string;
  row: number;
  reason: string;
}

export interface TableReadOptions {
  /** A hint for Parquet (read only those that exist); text formats always yield every field. */
  columns?: readonly string[];
  /** Receives malformed rows instead of throwing them (`--on-error skip`). */
  onIssue?: (issue: TableIssue) => void;
}

export function tableFormatOf(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  if (ext === ".csv") return "csv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  throw new EsciError("INVALID_ARGUMENT", `${path}: unknown file type "${ext}" (expected .jsonl, .csv or .parquet, or an ESCI dataset directory)`, { file: path });
}

export async function assertReadable(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new EsciError("NOT_FOUND", `${path}: no such file or directory`, { file: path });
  }
}

/** Counts of what a reader met, for the "no rows" message. */
interface Seen {
  rows: number;
  issues: number;
  lines: number;
}

async function* jsonlBatches(path: string, seen: Seen, onIssue?: TableReadOptions["onIssue"]): AsyncGenerator<TableRow[]> {
  const malformed = (row: number, reason: string) => {
    const issue: TableIssue = { kind: "malformed_row", file: path, row, reason };
    if (!onIssue) throw new EsciError("INVALID_INPUT", `${path}, row ${row}: ${reason}`, { ...issue });
    seen.issues++;
    onIssue(issue);
  };
  for await (const lines of readLineBatches(path)) {
    seen.lines += lines.length;
    const out: TableRow[] = [];
    for (const { lineNo, text } of lines) {
      if (text.trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        malformed(lineNo, `not valid JSON (${(e as Error).message})`);
        continue;
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        malformed(lineNo, "expected a JSON object per line");
        continue;
      }
      out.push({ row: lineNo, values: v as Record<string, unknown> });
    }
    if (out.length) yield out;
  }
}

async function* csvBatches(path: string, seen: Seen): AsyncGenerator<TableRow[]> {
  let header: string[] | undefined;
  for await (const records of readCsvBatches(path)) {
    const out: TableRow[] = [];
    for (const r of records) {
      if (!header) {
        header = r.fields.map((h) => h.trim());
        const names = new Set<string>();
        for (const h of header) {
          if (names.has(h)) throw new EsciError("INVALID_INPUT", `${path}: header repeats column "${h}"`, { file: path, column: h });
          names.add(h);
        }
        continue;
      }
      if (r.fields.length !== header.length) {
        throw new EsciError(
          "INVALID_INPUT",
          `${path}, row ${r.index} (line ${r.line}): ${r.fields.length} fields, header has ${header.length}`,
          { file: path, row: r.index, line: r.line },
        );
      }
      const values: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) values[header[i]] = r.fields[i];
      out.push({ row: r.index, values });
    }
    if (out.length) yield out;
  }
  seen.lines = header ? 1 : 0;
}

async function* parquetBatches(path: string, columns?: readonly string[]): AsyncGenerator<TableRow[]> {
  const pq = await openParquet(path);
  try {
    const cols = columns ? columns.filter((c) => pq.columnNames.includes(c)) : pq.columnNames.filter((c) => c !== "__index_level_0__");
    for await (const slice of pq.slices(cols, 16_384)) {
      const out: TableRow[] = new Array(slice.length);
      for (let i = 0; i < slice.length; i++) {
        const values: Record<string, unknown> = {};
        for (const c of cols) values[c] = slice.columns[c][i];
        out[i] = { row: slice.rowStart + i + 1, values };
      }
      yield out;
    }
  } finally {
    await pq.close();
  }
}

/** Batches of rows of a JSONL, CSV or Parquet file; INVALID_INPUT "no rows in FILE" when it has none. */
export async function* readTableBatches(path: string, options: TableReadOptions = {}): AsyncGenerator<TableRow[]> {
  await assertReadable(path);
  const format = tableFormatOf(path);
  const seen: Seen = { rows: 0, issues: 0, lines: 0 };
  const batches = format === "jsonl" ? jsonlBatches(path, seen, options.onIssue) : format === "csv" ? csvBatches(path, seen) : parquetBatches(path, options.columns);
  for await (const batch of batches) {
    seen.rows += batch.length;
    yield batch;
  }
  if (seen.rows === 0 && seen.issues === 0) throw noRows(path, format, seen.lines);
}

/** "no rows in FILE" now, reading only the first batch, for a command that would otherwise create something first. */
export async function assertHasRows(path: string): Promise<void> {
  for await (const batch of readTableBatches(path, { onIssue: () => {} })) if (batch.length) return;
}

function noRows(path: string, format: TableFormat, lines: number): EsciError {
  const why =
    format === "parquet"
      ? "the Parquet file holds 0 rows"
      : lines === 0
        ? "the file is empty"
        : format === "csv"
          ? "the CSV file has a header but no data rows"
          : "the file holds only blank lines";
  return new EsciError("INVALID_INPUT", `no rows in ${path}: ${why}`, { file: path });
}

/** Row count without parsing values: lines for JSONL, records for CSV, metadata for Parquet. */
export async function countTableRows(path: string): Promise<number> {
  const format = tableFormatOf(path);
  let n = 0;
  if (format === "parquet") {
    const pq = await openParquet(path);
    n = pq.numRows;
    await pq.close();
  } else if (format === "jsonl") {
    for await (const lines of readLineBatches(path)) for (const l of lines) if (l.text.trim() !== "") n++;
  } else {
    for await (const records of readCsvBatches(path)) n += records.length;
    n = Math.max(0, n - 1);
  }
  return n;
}
