/**
 * Column-sliced Parquet reading in bounded memory, on top of hyparquet.
 *
 * The official ESCI files are written by pandas/pyarrow with row groups of up to ~1M rows and no
 * page index, and the products file carries long descriptions we usually do not need. So we read
 * only the named columns, one row group at a time, and within a group in slices of `sliceRows`
 * rows. hyparquet re-fetches a column chunk for every slice (skipping, without decompressing, the
 * pages before the slice); the buffer below keeps the compressed bytes fetched for the current row
 * group, so a chunk is read from disk once and decoded values never exceed one slice per column.
 *
 * A damaged file is an INVALID_INPUT error naming it, never a hang: the footer's row counts must
 * add up and stay within what the file's size can hold, and each column chunk's pages are checked
 * (parquet-pages.ts) before hyparquet decodes any of them. hyparquet reads a chunk's pages in
 * order from its first byte (no offset index), so it decodes exactly the pages that were checked.
 */
import { open, type FileHandle } from "node:fs/promises";
import { parquetMetadataAsync, parquetScan, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaTree } from "hyparquet";
import { getTreePath } from "hyparquet/src/schema.js";
import { EsciError } from "../errors/index.js";
import { checkColumnChunk, PageDefect } from "./parquet-pages.js";

/** A DecodedArray from hyparquet: a plain array or a typed array (INT64 → BigInt64Array). */
export type ColumnValues = ArrayLike<unknown>;

export interface ParquetSlice {
  /** 0-based index of the slice's first row in the file. */
  rowStart: number;
  length: number;
  columns: Record<string, ColumnValues>;
}

/** An AsyncBuffer over a file handle that memoises the byte ranges read since the last clear(). */
class GroupCachedFile implements AsyncBuffer {
  private cache = new Map<string, Promise<ArrayBuffer>>();
  constructor(
    private readonly fh: FileHandle,
    readonly byteLength: number,
  ) {}

  slice(start: number, end?: number): Promise<ArrayBuffer> {
    const stop = end ?? this.byteLength;
    const key = `${start}:${stop}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.read(start, stop);
      this.cache.set(key, p);
    }
    return p;
  }

  clear(): void {
    this.cache.clear();
  }

  private async read(start: number, end: number): Promise<ArrayBuffer> {
    const buf = new Uint8Array(new ArrayBuffer(Math.max(0, end - start)));
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await this.fh.read(buf, off, buf.length - off, start + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.buffer;
  }
}

export interface ParquetFile {
  path: string;
  metadata: FileMetaData;
  /** Top-level column names. */
  columnNames: string[];
  numRows: number;
  /** Read `columns` in slices; unknown columns are an INVALID_INPUT error naming the file. */
  slices(columns: readonly string[], sliceRows?: number): AsyncGenerator<ParquetSlice>;
  close(): Promise<void>;
}

const DEFAULT_SLICE_ROWS = 131_072;

/**
 * The most rows a file of `bytes` bytes may claim: one per bit, or 2^20 for a small file. Decoding
 * costs time in proportion to the rows a footer or page header claims, so a damaged count in a
 * small file would otherwise be minutes of work; a real table stores more than a bit per row.
 */
export const maxParquetRows = (bytes: number): number => Math.max(2 ** 20, 8 * bytes);

/** A footer integer (i64 as bigint, or a number) as a number; undefined if it is not a non-negative safe integer. */
function count(x: unknown): number | undefined {
  const n = typeof x === "bigint" ? Number(x) : x;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** A footer field for a message: its number, or what is wrong with it. */
const shown = (x: unknown): string => (x === undefined ? "missing" : typeof x === "number" || typeof x === "bigint" ? String(x) : "not a number");

/** The footer's row counts: present, adding up, and within maxParquetRows(size). Returns each row group's rows. */
function checkRowCounts(path: string, metadata: FileMetaData, size: number): number[] {
  const bad = (what: string) => new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (${what}; the file is damaged)`, { file: path });
  const total = count(metadata.num_rows);
  const cap = maxParquetRows(size);
  if (total === undefined) throw bad(`its footer's row count is ${shown(metadata.num_rows)}`);
  if (total > cap) throw bad(`its footer claims ${total} rows, more than a file of ${size} bytes can hold`);
  const groups = metadata.row_groups.map((g, i) => {
    const n = count(g.num_rows);
    if (n === undefined || n > total) throw bad(`row group ${i + 1}'s row count is ${shown(g.num_rows)} (the file's is ${total})`);
    return n;
  });
  const sum = groups.reduce((a, b) => a + b, 0);
  if (sum !== total) throw bad(`its row groups hold ${sum} rows, its footer says ${total}`);
  return groups;
}

export async function openParquet(path: string): Promise<ParquetFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new EsciError("NOT_FOUND", `${path}: cannot open (${(e as Error).message})`, { file: path }, { cause: e });
  }
  try {
    const { size } = await fh.stat();
    const file = new GroupCachedFile(fh, size);
    let metadata: FileMetaData;
    let columnNames: string[];
    try {
      metadata = await parquetMetadataAsync(file);
      // hyparquet builds the schema tree lazily: a damaged footer can parse and still fail here
      columnNames = parquetSchema(metadata).children.map((c) => c.element.name);
    } catch (e) {
      throw new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (${(e as Error).message})`, { file: path }, { cause: e });
    }
    file.clear();
    const groupRows = checkRowCounts(path, metadata, size);
    const numRows = Number(metadata.num_rows);
    const schemaTree = parquetSchema(metadata);

    /** Checks the pages of `columns` in row group `g` (reading their chunks into the group's cache). */
    async function checkGroup(g: number, columns: readonly string[]): Promise<void> {
      for (const chunk of metadata.row_groups[g].columns) {
        const meta = chunk.meta_data;
        const column = meta?.path_in_schema?.[0];
        if (!meta || !columns.includes(column!)) continue;
        const where = `column "${column}", row group ${g + 1}`;
        const bad = (what: string, cause?: unknown) =>
          new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (${where}: ${what}; the file is damaged)`, { file: path, column, row_group: g + 1 }, { cause });
        // the byte range hyparquet will read for the chunk
        const start = count(meta.dictionary_page_offset || meta.data_page_offset);
        const length = count(meta.total_compressed_size);
        if (start === undefined || length === undefined) {
          throw bad(`its offset (${shown(meta.dictionary_page_offset || meta.data_page_offset)}) or size (${shown(meta.total_compressed_size)}) is not a byte count`);
        }
        if (start < 4 || start + length > size - 8) throw bad(`its ${length} bytes at offset ${start} are not inside the file's ${size}`);
        let schemaPath: SchemaTree[];
        try {
          schemaPath = getTreePath(schemaTree, meta.path_in_schema);
        } catch (e) {
          throw bad(`not in the schema (${(e as Error).message})`, e);
        }
        const bytes = new Uint8Array(await file.slice(start, start + length));
        try {
          checkColumnChunk({ bytes, meta, schemaPath, groupRows: groupRows[g], maxPageValues: maxParquetRows(size) });
        } catch (e) {
          if (e instanceof PageDefect) throw bad(e.message, e);
          throw bad(`pages cannot be checked (${(e as Error).message})`, e);
        }
      }
    }
    // first row of each row group: the scan's ranges are whole, non-empty row groups
    let rowsBefore = 0;
    const groupStarts = groupRows.map((n) => (rowsBefore += n) - n);

    async function* slices(columns: readonly string[], sliceRows = DEFAULT_SLICE_ROWS): AsyncGenerator<ParquetSlice> {
      const missing = columns.filter((c) => !columnNames.includes(c));
      if (missing.length) {
        throw new EsciError("INVALID_INPUT", `${path}: missing column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")} (has: ${columnNames.join(", ")})`, {
          file: path,
          column: missing[0],
        });
      }
      if (!columns.length) return;
      let scan: Awaited<ReturnType<typeof parquetScan>>;
      try {
        // no offset index: hyparquet walks each chunk's pages from its first byte, as checkGroup did
        scan = await parquetScan({ file, metadata, columns: [...columns], useOffsetIndex: false });
      } catch (err) {
        throw new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (${(err as Error).message})`, { file: path }, { cause: err });
      }
      let lastGroupEnd = -1;
      for (const range of scan.ranges) {
        if (range.rowStart !== lastGroupEnd) file.clear();
        lastGroupEnd = range.rowEnd;
        const g = groupStarts.findIndex((start, i) => start === range.rowStart && groupRows[i] > 0);
        if (g < 0) throw new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (no row group starts at row ${range.rowStart + 1})`, { file: path });
        await checkGroup(g, columns);
        for (let s = range.rowStart; s < range.rowEnd; s += sliceRows) {
          const e = Math.min(range.rowEnd, s + sliceRows);
          const cols: Record<string, ColumnValues> = {};
          try {
            const arrays = await Promise.all(columns.map((column) => scan.readColumn({ column, rowStart: s, rowEnd: e })));
            columns.forEach((c, i) => (cols[c] = arrays[i]));
          } catch (err) {
            throw new EsciError("INVALID_INPUT", `${path}: cannot decode rows ${s + 1}–${e} (${(err as Error).message})`, { file: path, row: s + 1 }, { cause: err });
          }
          yield { rowStart: s, length: e - s, columns: cols };
        }
        file.clear();
      }
    }

    return {
      path,
      metadata,
      columnNames,
      numRows,
      slices,
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
