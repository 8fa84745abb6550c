/**
 * Fuzzes the Parquet reader (esci.readTableBatches on .parquet): 10,000 mutants of small valid
 * files (strings, int64, nulls, several row groups and pages) — byte-level edits anywhere, and
 * edits aimed at the footer (the 4-byte metadata length before the trailing "PAR1", the magic
 * itself, the Thrift metadata). Only EsciErrors or rows may come out.
 *
 *   node scripts/fuzz/parquet.mjs [--n 10000] [--seed 1]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { fuzz, int, isMain, mutateMany, pick } from "./lib.mjs";
import { readTable } from "./table.mjs";

export const name = "parquet";

export function setup(dir) {
  const write = (file, columnData, o = {}) => {
    const path = join(dir, file);
    parquetWriteFile({ filename: path, columnData, ...o });
    return readFileSync(path);
  };
  const s = (name, data) => ({ name, type: "STRING", nullable: true, data });
  const n = (name, data) => ({ name, type: "INT64", nullable: true, data: data.map((x) => (x === null ? null : BigInt(x))) });
  return [
    write("pairs.parquet", [s("query", ["wireless mouse", "usb cable", null]), s("product", ["Logitech M185", "Anker cable", "hat"]), s("label", ["E", "S", "I"])]),
    write("examples.parquet", [n("query_id", [1, 2, 3, 4]), s("query", ["a", "b", "c", "d"]), s("product_id", ["B1", "B2", "B3", "B4"]), s("esci_label", ["E", "S", "C", "I"])], { rowGroupSize: 2, pageSize: 16 }),
    write("catalog.parquet", [s("id", ["B1", "B2"]), s("title", ["Shoe " + "x".repeat(300), "Hat"]), s("brand", [null, "Acme"])]),
  ];
}

export function mutate(rng, seeds) {
  const seed = pick(rng, seeds);
  if (rng() < 0.6) return mutateMany(rng, seed, seeds);
  const out = Buffer.from(seed);
  const metaLength = out.readUInt32LE(out.length - 8);
  switch (int(rng, 4)) {
    case 0: // metadata length: off by a little, huge, zero
      out.writeUInt32LE(pick(rng, [0, 1, metaLength - 1, metaLength + 1, out.length, 0xffffffff, int(rng, 2 ** 32)]) >>> 0, out.length - 8);
      return out;
    case 1: // a byte of the Thrift metadata
      out[out.length - 8 - 1 - int(rng, Math.max(1, metaLength))] = int(rng, 256);
      return out;
    case 2: // the trailing or leading magic
      out[rng() < 0.5 ? out.length - 1 - int(rng, 4) : int(rng, 4)] ^= 0x20;
      return out;
    default: // the file cut inside its footer
      return out.subarray(0, out.length - 1 - int(rng, metaLength + 8));
  }
}

export const check = (input, dir, esci) => readTable(input, dir, esci, "parquet");

if (isMain(import.meta.url)) await fuzz(import.meta.url, name);
