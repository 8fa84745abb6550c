/**
 * A damaged Parquet file is an INVALID_INPUT error naming the file (and column, row group, page),
 * never a hang (io/parquet-pages.ts). Each file is hand-made (helpers/parquet-craft.ts) with one
 * defect that made hyparquet 1.33 spin or blow up, next to valid files of the same shape that must
 * still read. The fuzz case that found the first of them is committed as it was found.
 *
 * Each read runs in a worker thread: were a defect to slip through again, hyparquet would spin
 * synchronously, and only terminating the worker turns that into a failed test instead of a suite
 * that never ends.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { maxParquetRows } from "../../src/io/parquet.js";
import { page, plainStrings, writeCraftedParquet, type CraftedPage } from "../helpers/parquet-craft.js";
import { FIXTURES, tempDir } from "../helpers/paths.js";

const work = tempDir("esci-parquet-");
const TABLE_JS = new URL("../../src/io/table.js", import.meta.url).href;
/** Generous: these files are a few hundred bytes, read in milliseconds; only a hang gets near it. */
const HANG_GUARD_MS = 120_000;

type Outcome = { values: unknown[] } | { error: { code?: string; message: string } };

/** Reads `path` to its end with readTableBatches in a worker; the query column's values, or the error. */
function readInWorker(path: string): Promise<Outcome> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.table).then(async ({ readTableBatches }) => {
      try {
        const values = [];
        for await (const batch of readTableBatches(workerData.path)) for (const r of batch) values.push(r.values.query);
        parentPort.postMessage({ values });
      } catch (e) {
        parentPort.postMessage({ error: { code: e.code, message: String(e.message) } });
      }
    });`;
  const worker = new Worker(code, { eval: true, workerData: { table: TABLE_JS, path } });
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`reading ${path} did not finish in ${HANG_GUARD_MS / 1000} s: the reader hangs`));
    }, HANG_GUARD_MS);
    worker.once("message", (m: Outcome) => {
      clearTimeout(guard);
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", (e) => {
      clearTimeout(guard);
      reject(e);
    });
  });
}

async function expectDamaged(path: string, message: RegExp): Promise<void> {
  const out = await readInWorker(path);
  assert.ok("error" in out, `expected an error, read ${JSON.stringify(out)}`);
  assert.equal(out.error.code, "INVALID_INPUT", out.error.message);
  assert.ok(out.error.message.startsWith(`${path}: not a readable Parquet file (`), out.error.message);
  assert.match(out.error.message, message);
}

// Three rows, the second null. Definition levels (bit width 1): one bit-packed group of 8, bits 1 0 1.
const LEVELS_1_0_1 = [0x03, 0b101];
const LEVELS_1_1_1 = [0x03, 0b111];
const v2 = (h: Partial<NonNullable<CraftedPage["header"]["data_page_header_v2"]>>) => ({
  type: "DATA_PAGE_V2" as const,
  data_page_header_v2: { num_values: 3, num_nulls: 1, num_rows: 3, encoding: "PLAIN" as const, definition_levels_byte_length: 2, repetition_levels_byte_length: 0, is_compressed: false, ...h },
});
const dictionary = page({ type: "DICTIONARY_PAGE", dictionary_page_header: { num_values: 2, encoding: "PLAIN" } }, plainStrings(["usb cable", "wireless mouse"]));

function craft(name: string, pages: CraftedPage[], o: Partial<Parameters<typeof writeCraftedParquet>[2]> = {}): string {
  const path = join(work, name);
  writeCraftedParquet(path, pages, { rows: 3, ...o });
  return path;
}

describe("Parquet reader on damaged files", () => {
  it("valid hand-made files read: DATA_PAGE_V2 PLAIN, DATA_PAGE (v1) PLAIN, a dictionary with RLE_DICTIONARY indices, bytes after the last page", async () => {
    const plainV2 = craft("v2-plain.parquet", [page(v2({}), [...LEVELS_1_0_1, ...plainStrings(["wireless mouse", "usb cable"])])]);
    assert.deepEqual(await readInWorker(plainV2), { values: ["wireless mouse", null, "usb cable"] });

    const v1Body = [2, 0, 0, 0, ...LEVELS_1_0_1, ...plainStrings(["wireless mouse", "usb cable"])];
    const plainV1 = craft("v1-plain.parquet", [page({ type: "DATA_PAGE", data_page_header: { num_values: 3, encoding: "PLAIN", definition_level_encoding: "RLE", repetition_level_encoding: "RLE" } }, v1Body)]);
    assert.deepEqual(await readInWorker(plainV1), { values: ["wireless mouse", null, "usb cable"] });

    // indices 1 0 1 at bit width 1: one bit-packed group
    const dict = craft("v2-dict.parquet", [dictionary, page(v2({ num_nulls: 0, encoding: "RLE_DICTIONARY" }), [...LEVELS_1_1_1, 1, 0x03, 0b101])], { dictionary: true });
    assert.deepEqual(await readInWorker(dict), { values: ["wireless mouse", "usb cable", "wireless mouse"] });

    // bytes after the pages that hold the row group's rows: hyparquet never reads them, nor does the check
    const trailing = craft("v2-trailing.parquet", [page(v2({}), [...LEVELS_1_0_1, ...plainStrings(["wireless mouse", "usb cable"])])], { trailing: [0xff, 0xff, 0x00, 0x13] });
    assert.deepEqual(await readInWorker(trailing), { values: ["wireless mouse", null, "usb cable"] });
  });

  it("fuzz case 505 (a DATA_PAGE_V2 header without its counts and level lengths; hyparquet spun forever on it)", async () => {
    // scripts/fuzz/parquet.mjs --seed 1 --from 505 --n 1, as the fuzz run wrote it
    await expectDamaged(join(FIXTURES, "parquet", "fuzz-seed1-case505.parquet"), /column "query", row group 1: page 1 \(byte 0 of the column chunk\): num_values missing or invalid \(undefined\); the file is damaged\)$/);
  });

  it("a DATA_PAGE_V2 header without definition_levels_byte_length", async () => {
    const path = craft("v2-no-level-lengths.parquet", [page(v2({ definition_levels_byte_length: undefined }), [...LEVELS_1_0_1, ...plainStrings(["a", "b"])])]);
    await expectDamaged(path, /page 1 .*: data page v2 header: definition_levels_byte_length missing or invalid \(undefined\)/);
  });

  it("dictionary indices of bit width 0 in a bit-packed run whose count overflows to negative (an endless loop in hyparquet)", async () => {
    // varint 0x20000001: bit-packed, (header >> 1) << 3 = -2^31 values
    const path = craft("v2-negative-run.parquet", [dictionary, page(v2({ num_nulls: 0, encoding: "RLE_DICTIONARY" }), [...LEVELS_1_1_1, 0, 0x81, 0x80, 0x80, 0x80, 0x02])], { dictionary: true });
    await expectDamaged(path, /page 2 .*: dictionary indices: bit-packed run of -2147483648 values where 3 are left/);
  });

  it("a definition-level RLE run of 2^30 values in a page of 3 (a 2^30-element array in hyparquet)", async () => {
    const levels = [0x80, 0x80, 0x80, 0x80, 0x08, 0x01];
    const path = craft("v2-huge-run.parquet", [page(v2({ num_nulls: 0, definition_levels_byte_length: levels.length }), [...levels, ...plainStrings(["a", "b", "c"])])]);
    await expectDamaged(path, /definition levels: run of 1073741824 values where 3 are left/);
  });

  it("a footer that claims more rows than the file's size can hold", async () => {
    const path = craft("footer-rows.parquet", [page(v2({}), [...LEVELS_1_0_1, ...plainStrings(["a", "b"])])], { footerRows: 2n ** 40n });
    await expectDamaged(path, /its footer claims 1099511627776 rows, more than a file of \d+ bytes can hold/);
    assert.equal(maxParquetRows(1000), 2 ** 20);
  });

  it("a SNAPPY page that claims to expand to 2 GB", async () => {
    const header = { type: "DATA_PAGE" as const, data_page_header: { num_values: 3, encoding: "PLAIN" as const, definition_level_encoding: "RLE" as const, repetition_level_encoding: "RLE" as const } };
    const p = page(header, new Uint8Array(10));
    p.header.uncompressed_page_size = 2 ** 31 - 1;
    const path = craft("snappy-claim.parquet", [p], { codec: "SNAPPY" });
    await expectDamaged(path, /10 SNAPPY bytes cannot expand to the 2147483647 bytes the header claims/);
  });
});
