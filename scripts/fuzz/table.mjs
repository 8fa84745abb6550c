/**
 * What the JSONL, CSV and Parquet fuzz scripts share: a mutant written to a file of the format's
 * extension and read to its end through the public reader (esci.readTableBatches, after
 * esci.countTableRows), touching every value so that lazily decoded ones are decoded too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

let k = 0;

/** Reads `bytes` as a table file with extension `ext`; "ok" when it reads to the end. */
export async function readTable(bytes, dir, esci, ext) {
  const path = join(dir, `case-${k++ % 4}.${ext}`);
  writeFileSync(path, bytes);
  await esci.esci.countTableRows(path);
  let rows = 0;
  for await (const batch of esci.esci.readTableBatches(path)) {
    for (const row of batch) {
      rows++;
      JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    }
  }
  return rows > 0 ? "ok" : "ok (0 rows)";
}
