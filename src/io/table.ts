/**
 * One way to read a table of records from JSONL, CSV or Parquet, chosen by file extension.
 *
 * Pair files, prediction files and gold files all go through here, so every format gets the same
 * row numbering in errors: JSONL rows are line numbers (blank lines are skipped but keep their
 * numbers), CSV rows count data records after the header, Parquet rows count from 1.
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

async function* jsonlBatches(path: string): AsyncGenerator<TableRow[]> {
  for await (const lines of readLineBatches(path)) {
    const out: TableRow[] = [];
    for (const { lineNo, text } of lines) {
      if (text.trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        throw new EsciError("INVALID_INPUT", `${path}, row ${lineNo}: not valid JSON (${(e as Error).message})`, { file: path, row: lineNo });
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        throw new EsciError("INVALID_INPUT", `${path}, row ${lineNo}: expected a JSON object per line`, { file: path, row: lineNo });
      }
      out.push({ row: lineNo, values: v as Record<string, unknown> });
    }
    if (out.length) yield out;
  }
}

async function* csvBatches(path: string): AsyncGenerator<TableRow[]> {
  let header: string[] | undefined;
  for await (const records of readCsvBatches(path)) {
    const out: TableRow[] = [];
    for (const r of records) {
      if (!header) {
        header = r.fields.map((h) => h.trim());
        const seen = new Set<string>();
        for (const h of header) {
          if (seen.has(h)) throw new EsciError("INVALID_INPUT", `${path}: header repeats column "${h}"`, { file: path, column: h });
          seen.add(h);
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
  if (!header) throw new EsciError("INVALID_INPUT", `${path}: empty CSV file (a header row is required)`, { file: path });
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

/**
 * Batches of rows of a JSONL, CSV or Parquet file. `columns` is a hint for Parquet (read only
 * those that exist); text formats always yield every field.
 */
export async function* readTableBatches(path: string, options: { columns?: readonly string[] } = {}): AsyncGenerator<TableRow[]> {
  await assertReadable(path);
  const format = tableFormatOf(path);
  if (format === "jsonl") yield* jsonlBatches(path);
  else if (format === "csv") yield* csvBatches(path);
  else yield* parquetBatches(path, options.columns);
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
