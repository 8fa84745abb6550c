/**
 * Checks a Parquet column chunk's pages before hyparquet decodes them, so that a damaged file is a
 * clear error and never a hang.
 *
 * Why: hyparquet (1.33) trusts the page headers and the run headers inside a page. Three ways a few
 * damaged bytes make it spin or explode, found by scripts/fuzz/parquet.mjs and by reading its code:
 *   - A DataPageHeaderV2 without its required `definition_levels_byte_length` (fuzz case 505):
 *     readDataPageV2 sets `reader.offset = undefined`, every later offset is NaN, a DataView read
 *     at NaN reads byte 0 forever, and an RLE run of count 0 never advances
 *     (`readRleBitPackedHybrid` loops on `seen < output.length` for good). Any missing numeric
 *     field (sizes, num_values) poisons offsets and array lengths the same way.
 *   - A bit-packed run whose header is ≥ 2^28 makes `header >> 1 << 3` negative; with bit width 0
 *     (a DATA_PAGE_V2 dictionary page may say 0) `readBitPacked` counts down from a negative
 *     number without reading a byte: an endless loop.
 *   - An RLE run's count is not clipped to the values left: a 6-byte run of 2^31 values fills a
 *     JavaScript array of that length (minutes, then out of memory).
 *
 * So, for every page of the chunk, in the order hyparquet will read them (from the chunk's first
 * byte, as it does without an offset index): the header's required fields are present integers in
 * range and its sizes fit the chunk; a flat column's pages hold no more values than the row group
 * has rows; SNAPPY pages cannot claim more than snappy can expand to; and the level and dictionary
 * index runs are walked exactly as hyparquet walks them (same varint arithmetic, same bytes
 * consumed), each run within the values its page has left. Walking runs costs per run, not per
 * value. A data page is decompressed here (once more than hyparquet does) only when it has runs
 * to walk: levels inside a v1 page, or dictionary / RLE values.
 */
import { snappyUncompress, type ColumnMetaData, type PageHeader, type SchemaTree } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { getMaxDefinitionLevel, getMaxRepetitionLevel, isFlatColumn } from "hyparquet/src/schema.js";

/** A damaged page: the message says which page and what; the caller names the file and column. */
export class PageDefect extends Error {}

/** A snappy element turns at most 3 input bytes into 64 output bytes (a copy with a 2-byte offset). */
const SNAPPY_MAX_RATIO = 22;

export interface ChunkToCheck {
  /** The chunk's bytes: from dictionary_page_offset (or data_page_offset), total_compressed_size long. */
  bytes: Uint8Array;
  meta: ColumnMetaData;
  /** Root to leaf, as hyparquet's getTreePath gives it. */
  schemaPath: SchemaTree[];
  /** The row group's rows: a flat column's pages hold at most this many values in all. */
  groupRows: number;
  /** Most values any one page of a nested column may hold (the file's row cap). */
  maxPageValues: number;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** Minimum bits needed to store value (hyparquet's bitWidth). */
const bitWidth = (value: number): number => 32 - Math.clz32(value);

/** Throws a PageDefect unless every page of the chunk can be decoded in bounded time and memory. */
export function checkColumnChunk(c: ChunkToCheck): void {
  const { bytes, meta, schemaPath } = c;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: 0 };
  const flat = isFlatColumn(schemaPath);
  const maxDef = getMaxDefinitionLevel(schemaPath);
  const maxRep = getMaxRepetitionLevel(schemaPath);
  let values = 0;
  // hyparquet's loop: stop one byte short of the end
  for (let page = 1; reader.offset < view.byteLength - 1; page++) {
    const at = reader.offset;
    const fail: Fail = (what) => {
      throw new PageDefect(`page ${page} (byte ${at} of the column chunk): ${what}`);
    };
    let header: PageHeader;
    try {
      header = parquetHeader(reader);
    } catch (e) {
      return fail(`unreadable page header (${(e as Error).message})`);
    }
    const { type, compressed_page_size: size, uncompressed_page_size: usize } = header;
    if (!isCount(size) || !isCount(usize)) fail(`page sizes missing or invalid (compressed ${String(size)}, uncompressed ${String(usize)})`);
    if (reader.offset + size > view.byteLength) fail(`page of ${size} bytes runs past the end of its column chunk (${view.byteLength - reader.offset} bytes left)`);
    const body = bytes.subarray(reader.offset, reader.offset + size);
    reader.offset += size;
    if (meta.codec === "SNAPPY" && usize > SNAPPY_MAX_RATIO * size + 64) fail(`${size} SNAPPY bytes cannot expand to the ${usize} bytes the header claims`);

    if (type === "DICTIONARY_PAGE") {
      const n = header.dictionary_page_header?.num_values;
      // PLAIN values take at least a bit each
      if (!isCount(n) || n > 8 * usize + 8) fail(`dictionary page header missing or invalid (num_values ${String(n)} in ${usize} bytes)`);
      continue;
    }
    if (type !== "DATA_PAGE" && type !== "DATA_PAGE_V2") fail(`unsupported page type ${String(type)}`);
    const v2 = type === "DATA_PAGE_V2" ? header.data_page_header_v2 : undefined;
    const v1 = type === "DATA_PAGE" ? header.data_page_header : undefined;
    const n = v2 ? v2.num_values : v1?.num_values;
    if (!v1 && !v2) fail(`${type} without its data page header`);
    if (!isCount(n)) fail(`num_values missing or invalid (${String(n)})`);
    const cap = flat ? c.groupRows - values : c.maxPageValues;
    if (n > cap) fail(flat ? `${n} values, more than the ${c.groupRows} rows of its row group allow (${cap} left)` : `${n} values, more than the file's size allows (${cap})`);
    values += n;
    // as hyparquet: v1 reads repetition levels only below the root (always, for a real column)
    if (v2) checkV2Page(v2, body, usize, n, meta, maxRep, maxDef, fail);
    else checkV1Page(v1!, body, usize, n, meta, schemaPath.length > 1 ? maxRep : 0, maxDef, fail);
    // hyparquet stops reading a flat column once it has the row group's rows: so does the check
    if (flat && values >= c.groupRows) return;
  }
}

type Fail = (what: string) => never;

/** The page's bytes as hyparquet will decode them: decompressed when the codec is SNAPPY. */
function decompressed(body: Uint8Array, usize: number, codec: string, fail: Fail): Uint8Array {
  if (codec === "UNCOMPRESSED") return body;
  if (codec !== "SNAPPY") return fail(`compression codec ${codec} is not supported (esci reads UNCOMPRESSED and SNAPPY Parquet)`);
  const out = new Uint8Array(usize);
  try {
    snappyUncompress(body, out);
  } catch (e) {
    fail(`SNAPPY data does not decompress (${(e as Error).message})`);
  }
  return out;
}

/** DATA_PAGE (v1): [rep levels][def levels], each as u32 length + runs, then the values; all compressed together. */
function checkV1Page(h: NonNullable<PageHeader["data_page_header"]>, body: Uint8Array, usize: number, n: number, meta: ColumnMetaData, maxRep: number, maxDef: number, fail: Fail): void {
  // nothing to walk (no levels, no runs among the values): no need to decompress
  if (!maxRep && !maxDef && !hasValueRuns(h.encoding)) return;
  const page = decompressed(body, usize, meta.codec, fail);
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let at = 0;
  const levels = (max: number, what: string) => {
    if (!max) return;
    if (at + 4 > page.length) fail(`${what} levels: no length`);
    const length = view.getUint32(at, true);
    if (at + 4 + length > page.length) fail(`${what} levels of ${length} bytes run past the page's ${page.length}`);
    checkRuns(view, at + 4, at + 4 + length, bitWidth(max), n, true, `${what} levels`, fail);
    at += 4 + length;
  };
  levels(maxRep, "repetition");
  levels(maxDef, "definition");
  checkValueRuns(new DataView(page.buffer, page.byteOffset + at, page.byteLength - at), h.encoding, meta.type, n, false, fail);
}

/** DATA_PAGE_V2: rep and def levels uncompressed (their lengths in the header), then the values, compressed or not. */
function checkV2Page(h: NonNullable<PageHeader["data_page_header_v2"]>, body: Uint8Array, usize: number, n: number, meta: ColumnMetaData, maxRep: number, maxDef: number, fail: Fail): void {
  const { num_nulls: nulls, num_rows: rows, definition_levels_byte_length: defLength, repetition_levels_byte_length: repLength } = h;
  for (const [name, x] of [["num_nulls", nulls], ["num_rows", rows], ["definition_levels_byte_length", defLength], ["repetition_levels_byte_length", repLength]] as const) {
    if (!isCount(x)) fail(`data page v2 header: ${name} missing or invalid (${String(x)})`);
  }
  if (nulls > n || rows > n) fail(`data page v2 header: ${nulls} nulls and ${rows} rows in ${n} values`);
  if (repLength + defLength > body.length || repLength + defLength > usize) fail(`data page v2 header: ${repLength + defLength} bytes of levels in a page of ${body.length}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (maxRep) checkRuns(view, 0, repLength, bitWidth(maxRep), n, true, "repetition levels", fail);
  if (maxDef) checkRuns(view, repLength, repLength + defLength, bitWidth(maxDef), n, true, "definition levels", fail);
  // as hyparquet: without definition levels the values start right after the repetition levels
  if (!hasValueRuns(h.encoding)) return; // the values need no walk: no need to decompress them
  let page = body.subarray(repLength + (maxDef ? defLength : 0));
  const valuesSize = usize - defLength - repLength;
  if (h.is_compressed !== false && valuesSize) page = decompressed(page, valuesSize, meta.codec, fail);
  checkValueRuns(new DataView(page.buffer, page.byteOffset, page.byteLength), h.encoding, meta.type, n - nulls, true, fail);
}

/** Whether hyparquet reads the values of a page in this encoding as RLE / bit-packed runs. */
const hasValueRuns = (encoding: string): boolean => encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY" || encoding === "RLE";

/**
 * The values section's RLE / bit-packed runs, read as hyparquet's readDataPage (v1) and
 * readDataPageV2 read them; PLAIN, DELTA_*, BYTE_STREAM_SPLIT and ALP loops are bounded by the count.
 */
function checkValueRuns(view: DataView, encoding: string, type: string, n: number, v2: boolean, fail: Fail): void {
  const dictionary = encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY";
  if (v2 ? encoding === "RLE" : (dictionary || encoding === "RLE") && type === "BOOLEAN") {
    // u32 length, then runs of width 1
    if (view.byteLength >= 4) checkRuns(view, 4, view.byteLength, 1, n, false, "boolean values", fail);
  } else if ((dictionary || (!v2 && encoding === "RLE")) && view.byteLength) {
    const width = view.getUint8(0);
    if (width > 32) fail(`dictionary indices of ${width} bits`);
    // v1 decodes a width of 0 as n zeroes without reading runs; v2 reads runs of width 0
    if (width || v2) checkRuns(view, 1, view.byteLength, width, n, false, "dictionary indices", fail);
  }
}

/**
 * Walks RLE / bit-packed hybrid runs as hyparquet's readRleBitPackedHybrid reads them, from `from`,
 * until `n` values are seen: each run must fit the values left (a bit-packed run may pad to its
 * group of 8). `exact`: the runs must give all `n` values before `to` (levels); otherwise they may
 * stop at `to` (hyparquet's own reads past the page end fail cleanly).
 */
function checkRuns(view: DataView, from: number, to: number, width: number, n: number, exact: boolean, what: string, fail: Fail): void {
  let at = from;
  let seen = 0;
  while (seen < n) {
    if (at >= to) {
      if (exact) fail(`${what} end after ${seen} of ${n} values`);
      return;
    }
    // hyparquet's readVarInt: 7 bits a byte, `<<` on int32
    let header = 0;
    for (let shift = 0, b = 0x80; b & 0x80; shift += 7) {
      if (at >= view.byteLength || shift > 28) fail(`${what}: run header at byte ${at} is not a varint of at most 5 bytes`);
      b = view.getUint8(at++);
      header |= (b & 0x7f) << shift;
    }
    if (header & 1) {
      const count = (header >> 1) << 3;
      if (count < 0 || count > n - seen + 7) fail(`${what}: bit-packed run of ${count} values where ${n - seen} are left`);
      // readBitPacked reads one byte up front (if there is one), then as many as the bits need
      if (at < view.byteLength) at += Math.max(1, (count * width) / 8);
      seen += count;
    } else {
      const count = header >>> 1;
      if (count > n - seen) fail(`${what}: run of ${count} values where ${n - seen} are left`);
      at += (width + 7) >> 3;
      seen += count;
    }
  }
  if (exact && at > to) fail(`${what} run past their ${to - from} bytes`);
}
