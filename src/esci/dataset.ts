/**
 * Reader for the Shopping Queries Dataset as published in amazon-science/esci-data:
 * `shopping_queries_dataset_examples.parquet` (example_id, query, query_id, product_id,
 * product_locale, esci_label, small_version, large_version, split) and
 * `shopping_queries_dataset_products.parquet` (product_id, product_title, product_description,
 * product_bullet_point, product_brand, product_color, product_locale), joined on
 * (product_id, product_locale) as esci-data's own scripts do (`pd.merge(…, how="left")`).
 *
 * Memory stays bounded by the selection, not the dataset: judgements stream slice by slice
 * (io/parquet.ts); a pair read first collects the product keys the filtered judgements need, then
 * keeps only those products' rendered text (not all 1.8M products, nor their unused columns),
 * then streams the judgements again. Task 1 uses the small version, Tasks 2–3 the large one
 * (the `small_version` / `large_version` flags); unknown extra columns such as pandas'
 * `__index_level_0__` are ignored.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { openParquet, type ColumnValues } from "../io/parquet.js";
import { raise, type InputIssue, type IssueHandler } from "./issues.js";
import { parseEsciLabel, type EsciLabel } from "./labels.js";
import type { PairRecord, PairSource } from "./pairs.js";
import { checkId, checkText } from "./values.js";

export const EXAMPLES_FILE = "shopping_queries_dataset_examples.parquet";
export const PRODUCTS_FILE = "shopping_queries_dataset_products.parquet";

export type DatasetVersion = "small" | "large" | "all";

export interface EsciFilter {
  /** product_locale to keep: "us" (default), "es", "jp", or "all". */
  locale?: string;
  /** split to keep: "train", "test", or "all" (default). */
  split?: string;
  /** "small" (Task 1), "large" (Tasks 2–3) or "all" (default). */
  version?: DatasetVersion;
  /** Stop after this many judgements that pass the filters. */
  limit?: number;
}

export interface EsciReadOptions extends EsciFilter {
  /** Product text template, e.g. "{title}" (default) or "{title} {brand} {color}"; see renderTemplate. */
  template?: string;
}

export interface EsciJudgement {
  file: string;
  row: number;
  example_id?: unknown;
  query?: string;
  query_id: string;
  /** query_id as stored (bigint in the official file), for writing back unchanged. */
  query_id_value: unknown;
  product_id: string;
  product_locale: string;
  esci_label: EsciLabel;
  split?: string;
}

/** The two file paths of a dataset directory; NOT_FOUND names the missing one. */
export async function esciFiles(dir: string): Promise<{ examples: string; products: string }> {
  const examples = join(dir, EXAMPLES_FILE);
  const products = join(dir, PRODUCTS_FILE);
  for (const f of [examples]) {
    try {
      await stat(f);
    } catch {
      throw new EsciError("NOT_FOUND", `${dir}: not an ESCI dataset directory (no ${EXAMPLES_FILE})`, { file: f });
    }
  }
  return { examples, products };
}

// ---------------------------------------------------------------------------------------------
// Judgements (examples file)

function versionColumn(v: DatasetVersion | undefined): string | undefined {
  return v === "small" ? "small_version" : v === "large" ? "large_version" : undefined;
}

function flagSet(v: unknown): boolean {
  return v === 1 || v === 1n || v === true || v === "1" || v === "true";
}

/**
 * Batches of judgements from an examples file (or a dataset directory), filtered, validated, in
 * file order. `withQuery` also reads the query text.
 */
export async function* readEsciJudgements(
  pathOrDir: string,
  options: EsciFilter & { withQuery?: boolean; onIssue?: IssueHandler } = {},
): AsyncGenerator<EsciJudgement[]> {
  let path = pathOrDir;
  if ((await stat(pathOrDir).catch(() => undefined))?.isDirectory()) path = (await esciFiles(pathOrDir)).examples;
  const locale = options.locale ?? "us";
  const split = options.split && options.split !== "all" ? options.split : undefined;
  const vcol = versionColumn(options.version);
  const limit = options.limit ?? Infinity;
  const pq = await openParquet(path);
  try {
    const cols = ["query_id", "product_id", "esci_label", "product_locale"];
    if (options.withQuery) cols.push("query");
    if (split) cols.push("split");
    else if (pq.columnNames.includes("split")) cols.push("split");
    if (vcol) cols.push(vcol);
    if (pq.columnNames.includes("example_id")) cols.push("example_id");
    let kept = 0;
    for await (const s of pq.slices(cols)) {
      const c = s.columns as Record<string, ColumnValues>;
      const out: EsciJudgement[] = [];
      for (let i = 0; i < s.length; i++) {
        const row = s.rowStart + i + 1;
        // A null filter value cannot be placed in or out of the selection: report it, never drop it silently.
        const unknown = locale !== "all" && c.product_locale[i] == null ? "product_locale" : split && c.split[i] == null ? "split" : vcol && c[vcol][i] == null ? vcol : undefined;
        if (unknown) {
          raise({ kind: "missing_value", file: path, row, column: unknown, reason: "missing value (needed by the filters)" }, options.onIssue);
          continue;
        }
        if (locale !== "all" && c.product_locale[i] !== locale) continue;
        if (split && c.split[i] !== split) continue;
        if (vcol && !flagSet(c[vcol][i])) continue;
        const j = judgementAt(path, row, c, i, options.withQuery === true);
        if ("issue" in j) {
          raise(j.issue, options.onIssue);
          continue;
        }
        out.push(j);
        if (++kept >= limit) break;
      }
      if (out.length) yield out;
      if (kept >= limit) return;
    }
  } finally {
    await pq.close();
  }
}

function judgementAt(file: string, row: number, c: Record<string, ColumnValues>, i: number, withQuery: boolean): EsciJudgement | { issue: InputIssue } {
  const loc = checkText(c.product_locale[i], { file, row, column: "product_locale" });
  if (!loc.ok) return { issue: loc.issue };
  const qid = checkId(c.query_id[i], { file, row, column: "query_id" });
  if (!qid.ok) return { issue: qid.issue };
  const pid = checkText(c.product_id[i], { file, row, column: "product_id" });
  if (!pid.ok) return { issue: pid.issue };
  const raw = c.esci_label[i];
  const label = parseEsciLabel(raw);
  if (label === undefined) {
    return {
      issue: { kind: raw == null ? "missing_value" : "unknown_label", file, row, column: "esci_label", reason: raw == null ? "missing value" : `unknown label ${JSON.stringify(raw)}` },
    };
  }
  const j: EsciJudgement = { file, row, query_id: qid.value, query_id_value: c.query_id[i], product_id: pid.value, product_locale: loc.value, esci_label: label };
  if (withQuery) {
    const q = checkText(c.query[i], { file, row, column: "query" });
    if (!q.ok) return { issue: q.issue };
    j.query = q.value;
  }
  if (c.example_id) j.example_id = c.example_id[i];
  if (c.split) j.split = c.split[i] as string;
  return j;
}

// ---------------------------------------------------------------------------------------------
// Product text

/** Template placeholders → products-file columns. */
export const TEMPLATE_FIELDS: Readonly<Record<string, string>> = {
  title: "product_title",
  description: "product_description",
  bullets: "product_bullet_point",
  bullet_point: "product_bullet_point",
  brand: "product_brand",
  color: "product_color",
  colour: "product_color",
  product_title: "product_title",
  product_description: "product_description",
  product_bullet_point: "product_bullet_point",
  product_brand: "product_brand",
  product_color: "product_color",
};

export const DEFAULT_TEMPLATE = "{title}";

type TemplatePart = { text: string } | { column: string };

export interface ProductTemplate {
  source: string;
  parts: TemplatePart[];
  columns: string[];
}

/**
 * Parse a product text template: placeholders in braces ({title}, {brand}, {color}, {bullets},
 * {description}, or the column names themselves) between literal text, or a bare comma-separated
 * field list ("title,brand" = "{title} {brand}").
 */
export function parseTemplate(source: string = DEFAULT_TEMPLATE): ProductTemplate {
  const src = source.includes("{") ? source : source.split(",").map((f) => `{${f.trim()}}`).join(" ");
  const parts: TemplatePart[] = [];
  const columns: string[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m.index > last) parts.push({ text: src.slice(last, m.index) });
    const name = m[1].trim().toLowerCase();
    const column = TEMPLATE_FIELDS[name];
    if (!column) {
      throw new EsciError("INVALID_ARGUMENT", `product template: unknown field "{${m[1]}}" (known: title, brand, color, bullets, description)`, { template: source });
    }
    parts.push({ column });
    if (!columns.includes(column)) columns.push(column);
    last = m.index + m[0].length;
  }
  if (last < src.length) parts.push({ text: src.slice(last) });
  if (!columns.length) throw new EsciError("INVALID_ARGUMENT", `product template "${source}" names no field (e.g. "{title}")`);
  return { source, parts, columns };
}

/** Fill a template from one product; null fields are empty; whitespace runs collapse to one space. */
export function renderTemplate(t: ProductTemplate, get: (column: string) => unknown): string {
  let s = "";
  for (const p of t.parts) {
    if ("text" in p) s += p.text;
    else {
      const v = get(p.column);
      if (v !== null && v !== undefined) s += String(v);
    }
  }
  return s.replace(/\s+/g, " ").trim();
}

function productKey(locale: string, id: string): string {
  return `${locale}\u0001${id}`;
}

/** Rendered text of the wanted products (keys from productKey). */
async function loadProducts(path: string, wanted: Set<string>, template: ProductTemplate, locale: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!wanted.size) return out;
  const pq = await openParquet(path);
  try {
    for await (const s of pq.slices(["product_id", "product_locale", ...template.columns])) {
      const c = s.columns;
      for (let i = 0; i < s.length; i++) {
        const loc = c.product_locale[i];
        if (locale !== "all" && loc !== locale) continue;
        const key = productKey(String(loc), String(c.product_id[i]));
        if (!wanted.has(key) || out.has(key)) continue;
        out.set(key, renderTemplate(template, (col) => c[col][i]));
      }
      if (out.size === wanted.size) break;
    }
  } finally {
    await pq.close();
  }
  return out;
}

/**
 * Query–product pairs of a dataset directory: judgements joined with product text. A judgement
 * whose product is not in the products file (or renders to empty text) is an InputIssue —
 * an error, or a counted skip under `onIssue`.
 */
export async function openEsciPairs(dir: string, options: EsciReadOptions & { onIssue?: IssueHandler } = {}): Promise<PairSource> {
  const files = await esciFiles(dir);
  const template = parseTemplate(options.template);
  const locale = options.locale ?? "us";
  // Pass 1: which products do the selected judgements need? (issues are reported in pass 2)
  const wanted = new Set<string>();
  let total = 0;
  let issues = 0;
  for await (const batch of readEsciJudgements(files.examples, { ...options, withQuery: true, onIssue: () => issues++ })) {
    for (const j of batch) wanted.add(productKey(j.product_locale, j.product_id));
    total += batch.length;
  }
  if (total === 0 && issues === 0) {
    const filters = `locale ${locale}, split ${options.split ?? "all"}, version ${options.version ?? "all"}`;
    throw new EsciError("INVALID_INPUT", `no rows in ${files.examples} match the selection (${filters})`, { file: files.examples });
  }
  try {
    await stat(files.products);
  } catch {
    throw new EsciError("NOT_FOUND", `${dir}: no ${PRODUCTS_FILE} (needed for product text)`, { file: files.products });
  }
  const products = await loadProducts(files.products, wanted, template, locale);
  wanted.clear();
  return {
    total,
    async *batches() {
      for await (const batch of readEsciJudgements(files.examples, { ...options, withQuery: true, onIssue: options.onIssue })) {
        const out: PairRecord[] = [];
        for (const j of batch) {
          const text = products.get(productKey(j.product_locale, j.product_id));
          if (text === undefined || text === "") {
            raise(
              {
                kind: "missing_product",
                file: j.file,
                row: j.row,
                column: "product_id",
                reason:
                  text === undefined
                    ? `product "${j.product_id}" (locale ${j.product_locale}) is not in ${PRODUCTS_FILE}`
                    : `product "${j.product_id}" has no text for template "${template.source}"`,
              },
              options.onIssue,
            );
            continue;
          }
          const fields: Record<string, unknown> = {};
          if (j.example_id !== undefined) fields.example_id = j.example_id;
          fields.query_id = j.query_id_value;
          fields.query = j.query;
          fields.product_id = j.product_id;
          fields.product_locale = j.product_locale;
          fields.esci_label = j.esci_label;
          fields.product = text;
          out.push({
            file: j.file,
            row: j.row,
            fields,
            query: j.query as string,
            product: text,
            label: j.esci_label,
            query_id: j.query_id,
            product_id: j.product_id,
          });
        }
        if (out.length) yield out;
      }
    },
  };
}
