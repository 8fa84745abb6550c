/**
 * Column-sliced Parquet reading in bounded memory, on top of hyparquet.
 *
 * The official ESCI files are written by pandas/pyarrow with row groups of up to ~1M rows and no
 * page index, and the products file carries long descriptions we usually do not need. So we read
 * only the named columns, one row group at a time, and within a group in slices of `sliceRows`
 * rows. hyparquet re-fetches a column chunk for every slice (skipping, without decompressing, the
 * pages before the slice); the buffer below keeps the compressed bytes fetched for the current row
 * group, so a chunk is read from disk once and decoded values never exceed one slice per column.
 */
import { open, type FileHandle } from "node:fs/promises";
import { parquetMetadataAsync, parquetScan, parquetSchema, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { EsciError } from "../errors/index.js";

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
    const numRows = Number(metadata.num_rows);

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
        scan = await parquetScan({ file, metadata, columns: [...columns], useOffsetIndex: true });
      } catch (err) {
        throw new EsciError("INVALID_INPUT", `${path}: not a readable Parquet file (${(err as Error).message})`, { file: path }, { cause: err });
      }
      let lastGroupEnd = -1;
      for (const range of scan.ranges) {
        if (range.rowStart !== lastGroupEnd) file.clear();
        lastGroupEnd = range.rowEnd;
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
