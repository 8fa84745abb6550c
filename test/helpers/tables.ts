/** Empty tables in every format esci reads, for the "no rows in FILE" tests of the reader and each command. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";

/** Every kind of empty table, written into the temp dir; the value is the expected reason. */
export function writeEmptyTables(dir: string): Record<string, string> {
  writeFileSync(join(dir, "zero-bytes.jsonl"), "");
  writeFileSync(join(dir, "blank-lines.jsonl"), "\n  \n\r\n\t\n");
  writeFileSync(join(dir, "zero-bytes.csv"), "");
  writeFileSync(join(dir, "header-only.csv"), "query,product,label\n");
  parquetWriteFile({
    filename: join(dir, "zero-rows.parquet"),
    columnData: [
      { name: "query", type: "STRING", data: [] },
      { name: "product", type: "STRING", data: [] },
    ],
  });
  return {
    "zero-bytes.jsonl": "the file is empty",
    "blank-lines.jsonl": "the file holds only blank lines",
    "zero-bytes.csv": "the file is empty",
    "header-only.csv": "the CSV file has a header but no data rows",
    "zero-rows.parquet": "the Parquet file holds 0 rows",
  };
}

