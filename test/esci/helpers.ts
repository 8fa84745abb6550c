/**
 * Shared test helpers for the ESCI toolkit: a fake PairScorer whose outputs follow obviously from
 * the text, writers for small Parquet files in the official Shopping Queries Dataset schema, and
 * the location of the real 16-row sample (ESCI_SAMPLE_DIR; by default ../shared/data/esci-sample
 * next to the repo), and temp dirs that are removed when the test process exits.
 */
import { mulberry32 } from "../../src/models/random-checkpoint.js";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parquetWriteFile } from "hyparquet-writer";
import { EsciError } from "../../src/errors/index.js";
import type { Pair, PairPrediction, PairScorer, PredictOptions } from "../../src/models/types.js";
import { tempDir } from "../helpers/paths.js";

// dist/test/esci/helpers.js → repo root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const FIXTURES = join(REPO_ROOT, "test", "esci", "fixtures");
export const SAMPLE_DIR = resolve(REPO_ROOT, process.env.ESCI_SAMPLE_DIR ?? join("..", "shared", "data", "esci-sample"));
export const HAVE_SAMPLE = existsSync(join(SAMPLE_DIR, "shopping_queries_dataset_examples.parquet"));
/**
 * The `skip` option of tests that read the real sample: skipped where it is missing, except under
 * CI=true, where they run (and fail on the missing files): CI must not pass without them.
 */
export const SAMPLE_SKIP: string | false = HAVE_SAMPLE || process.env.CI === "true" ? false : `no sample at ${SAMPLE_DIR} (set ESCI_SAMPLE_DIR)`;

/** A fresh temp dir, removed when the test process exits. */
export function tmp(prefix = "esci-test-"): string {
  return tempDir(prefix);
}

/** mulberry32: a seeded 32-bit PRNG for reproducible test data (the one random checkpoints use). */
export const rng = mulberry32;

export const FAKE_LABELS = ["exact", "substitute", "complement", "irrelevant"] as const;

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Logits from the words: exact = 4·(share of query words found in the product), substitute = 2 if
 * the product says "alternative", complement = 2 if it says "accessory", irrelevant = 3·(1 − share).
 * A product containing "EXPLODE" makes predict() throw a TOO_LARGE EsciError (a scoring failure).
 */
export function fakeLogits(query: string, product: string): number[] {
  const q = query.toLowerCase().split(/\s+/).filter(Boolean);
  const p = new Set(product.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
  const share = q.length ? q.filter((w) => p.has(w)).length / q.length : 0;
  return [4 * share, p.has("alternative") ? 2 : 0, p.has("accessory") ? 2 : 0, 3 * (1 - share)];
}

export function fakePrediction(query: string, product: string, labels: readonly string[] = FAKE_LABELS): PairPrediction {
  const logits = fakeLogits(query, product);
  const p = softmax(logits);
  const probs: Record<string, number> = {};
  let best = 0;
  p.forEach((v, i) => {
    probs[labels[i]] = v;
    if (v > p[best]) best = i;
  });
  return { logits, probs, label: labels[best] };
}

export class FakeScorer implements PairScorer {
  readonly labels: readonly string[];
  calls = 0;
  pairsSeen = 0;
  readonly batchSizes: number[] = [];

  constructor(private readonly opts: { delayMs?: number; labels?: readonly string[] } = {}) {
    this.labels = opts.labels ?? FAKE_LABELS;
  }

  async predict(pairs: readonly Pair[], _options?: PredictOptions): Promise<PairPrediction[]> {
    this.calls++;
    this.batchSizes.push(pairs.length);
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    for (const [, product] of pairs) if (product.includes("EXPLODE")) throw new EsciError("TOO_LARGE", "pair exceeds the fake model's limit");
    this.pairsSeen += pairs.length;
    return pairs.map(([q, p]) => fakePrediction(q, p, this.labels));
  }
}

// ---------------------------------------------------------------------------------------------
// Official-schema Parquet writers (hyparquet-writer), as pandas writes them: nullable columns,
// INT64 ids and flags, plus pandas' __index_level_0__.

export interface ExampleRow {
  example_id?: number;
  query: string | null;
  query_id: number | null;
  product_id: string | null;
  product_locale?: string | null;
  esci_label: string | null;
  small_version?: number;
  large_version?: number;
  split?: string;
}

export interface ProductRow {
  product_id: string;
  product_title: string | null;
  product_description?: string | null;
  product_bullet_point?: string | null;
  product_brand?: string | null;
  product_color?: string | null;
  product_locale?: string;
}

export interface WriteOptions {
  rowGroupSize?: number;
  /** hyparquet-writer writes offset indexes by default; pyarrow (the official files) does not. */
  offsetIndex?: boolean;
  pageSize?: number;
}

const big = (v: number | null | undefined) => (v === null || v === undefined ? null : BigInt(v));

export function writeExamples(path: string, rows: readonly ExampleRow[], o: WriteOptions = {}): void {
  const col = (name: string, type: "STRING" | "INT64", data: unknown[]) => ({ name, type, nullable: true, data, offsetIndex: o.offsetIndex ?? false });
  parquetWriteFile({
    filename: path,
    rowGroupSize: o.rowGroupSize,
    pageSize: o.pageSize,
    columnData: [
      col("example_id", "INT64", rows.map((r, i) => big(r.example_id ?? i))),
      col("query", "STRING", rows.map((r) => r.query)),
      col("query_id", "INT64", rows.map((r) => big(r.query_id))),
      col("product_id", "STRING", rows.map((r) => r.product_id)),
      col("product_locale", "STRING", rows.map((r) => (r.product_locale === undefined ? "us" : r.product_locale))),
      col("esci_label", "STRING", rows.map((r) => r.esci_label)),
      col("small_version", "INT64", rows.map((r) => big(r.small_version ?? 1))),
      col("large_version", "INT64", rows.map((r) => big(r.large_version ?? 1))),
      col("split", "STRING", rows.map((r) => r.split ?? "test")),
      col("__index_level_0__", "INT64", rows.map((_, i) => BigInt(i))),
    ],
  });
}

export function writeProducts(path: string, rows: readonly ProductRow[], o: WriteOptions = {}): void {
  const col = (name: string, data: unknown[]) => ({ name, type: "STRING" as const, nullable: true, data, offsetIndex: o.offsetIndex ?? false });
  parquetWriteFile({
    filename: path,
    rowGroupSize: o.rowGroupSize,
    pageSize: o.pageSize,
    columnData: [
      col("product_id", rows.map((r) => r.product_id)),
      col("product_title", rows.map((r) => r.product_title)),
      col("product_description", rows.map((r) => r.product_description ?? null)),
      col("product_bullet_point", rows.map((r) => r.product_bullet_point ?? null)),
      col("product_brand", rows.map((r) => r.product_brand ?? null)),
      col("product_color", rows.map((r) => r.product_color ?? null)),
      col("product_locale", rows.map((r) => r.product_locale ?? "us")),
    ],
  });
}

/** A dataset directory with both files. */
export function writeDataset(dir: string, examples: readonly ExampleRow[], products: readonly ProductRow[], o: WriteOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  writeExamples(join(dir, "shopping_queries_dataset_examples.parquet"), examples, o);
  writeProducts(join(dir, "shopping_queries_dataset_products.parquet"), products, o);
  return dir;
}
