/**
 * Catalog files → batches of products, for the indexer.
 *
 * A catalog is a JSONL, CSV or Parquet table (read by io/table.ts, so errors name file, row
 * and column the same way everywhere), or an ESCI dataset directory, whose
 * shopping_queries_dataset_products.parquet is read. The ESCI products file holds the same ASIN
 * once per locale, and stores key products by id, so `locale` keeps one locale (the ESCI default,
 * "us"); "all" keeps every row, later rows replacing earlier ones with the same id.
 *
 * Rows are numbered by their ordinal in the file (1 = first row read), which is what the
 * indexer's checkpoint counts, so a resumed run can skip exactly the rows it already committed.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { PRODUCTS_FILE } from "../esci/dataset.js";
import { countTableRows, readTableBatches } from "../io/table.js";
import { raise, type IssueHandler } from "../esci/issues.js";
import { productFromRow, type CatalogProduct } from "./product.js";

export interface CatalogReadOptions {
  /** Keep only products of this locale ("all" or undefined: every row). */
  locale?: string;
  /** Skip this many rows first (a resumed run). */
  skipRows?: number;
  onIssue?: IssueHandler;
}

export interface CatalogBatch {
  /** Rows consumed from the start of the file once this batch is written (skipped rows included). */
  rowsDone: number;
  products: CatalogProduct[];
}

/** The table file a catalog path names: the file itself, or an ESCI directory's products file. */
export async function catalogFile(path: string): Promise<string> {
  const s = await stat(path).catch(() => undefined);
  return s?.isDirectory() ? join(path, PRODUCTS_FILE) : path;
}

/** Rows in the catalog (before filters), for progress totals. */
export async function countCatalogRows(path: string): Promise<number> {
  return countTableRows(await catalogFile(path));
}

/** A fingerprint of the catalog file's version, so a checkpoint only resumes the same file. */
export async function catalogFingerprint(path: string): Promise<string> {
  const s = await stat(await catalogFile(path));
  return `${s.size}:${Math.floor(s.mtimeMs)}`;
}

/**
 * Products of a catalog in batches of at most `batchRows` rows, in file order. Rows that fail
 * validation (no id, no title) are issues: an error, or a counted skip under `onIssue`.
 */
export async function* readCatalog(path: string, batchRows: number, options: CatalogReadOptions = {}): AsyncGenerator<CatalogBatch> {
  const file = await catalogFile(path);
  const locale = options.locale && options.locale !== "all" ? options.locale : undefined;
  const skip = options.skipRows ?? 0;
  let ordinal = 0;
  let pending: CatalogProduct[] = [];
  let pendingRows = 0;
  for await (const rows of readTableBatches(file, { onIssue: options.onIssue })) {
    for (const r of rows) {
      ordinal++;
      if (ordinal <= skip) continue;
      pendingRows++;
      const p = productFromRow(r.values, file, r.row);
      if ("issue" in p) raise(p.issue, options.onIssue);
      else if (!locale || p.locale === undefined || p.locale === locale) pending.push(p);
      if (pendingRows >= batchRows) {
        yield { rowsDone: ordinal, products: pending };
        pending = [];
        pendingRows = 0;
      }
    }
  }
  if (pendingRows > 0) yield { rowsDone: ordinal, products: pending };
}
