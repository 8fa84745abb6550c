/**
 * `esci predict --task embed`: a JSONL/CSV/Parquet file with a `text` column → JSONL rows = the
 * input's fields + `embedding` (numbers), in input order. Rows are embedded in chunks so the
 * bi-encoder can sort each chunk by length; the output appears under its name only when complete
 * (a temporary sibling, fsynced and moved into place by io/atomic.ts; removed on failure).
 */
import { mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { moveIntoPlace, tempSibling } from "../io/atomic.js";
import type { TextEmbedder } from "../models/types.js";
import { countTableRows, readTableBatches, type TableRow } from "../io/table.js";
import { raise } from "./issues.js";
import { checkText, toJsonValue } from "./values.js";

export interface EmbedFileOptions {
  input: string;
  output: string;
  batchSize?: number;
  maxLength?: number;
  /** Rows per embedder call (the unit of length sorting); default 1024. */
  chunkSize?: number;
  onProgress?: (done: number, total: number | undefined) => void;
}

export async function embedFile(embedder: TextEmbedder, o: EmbedFileOptions): Promise<{ written: number }> {
  const total = await countTableRows(o.input).catch(() => undefined);
  await mkdir(dirname(o.output), { recursive: true });
  const partial = tempSibling(o.output);
  const out = await open(partial, "wx");
  const chunkSize = o.chunkSize ?? 1024;
  let written = 0;
  let chunk: TableRow[] = [];
  const flush = async () => {
    if (!chunk.length) return;
    const texts = chunk.map((r) => {
      const t = checkText(r.values.text, { file: o.input, row: r.row, column: "text" });
      if (!t.ok) raise(t.issue);
      return (t as { value: string }).value;
    });
    const vectors = await embedder.embed(texts, { batchSize: o.batchSize, maxLength: o.maxLength });
    const lines = chunk.map((r, i) => {
      const row: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.values)) if (k !== "embedding") row[k] = toJsonValue(v);
      row.embedding = Array.from(vectors[i]);
      return JSON.stringify(row) + "\n";
    });
    await out.write(lines.join(""));
    written += chunk.length;
    chunk = [];
    o.onProgress?.(written, total);
  };
  try {
    for await (const rows of readTableBatches(o.input)) {
      for (const r of rows) {
        chunk.push(r);
        if (chunk.length >= chunkSize) await flush();
      }
    }
    await flush();
    await out.sync();
    await out.close();
    await moveIntoPlace(partial, o.output);
    return { written };
  } catch (e) {
    await out.close().catch(() => {});
    await rm(partial, { force: true });
    throw e;
  }
}
