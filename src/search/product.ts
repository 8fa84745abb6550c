/**
 * A catalog product as the search stores keep it, and how one is made from a row of any catalog
 * file.
 *
 * Catalog files come from many places (the ESCI products file's `product_*` columns, a shop's
 * CSV export, a JSONL dump), so a row is read by field aliases rather than one fixed schema, and
 * every column that is not a known field becomes a free attribute — nothing the user had is
 * dropped. The texts derived from a product (what is embedded, what BM25 indexes, what the
 * cross-encoder reads) are rendered here, in one place, so the indexer, both stores and the
 * reranker agree on them.
 */
import { createHash } from "node:crypto";
import { parseTemplate, renderTemplate, type ProductTemplate } from "../esci/dataset.js";
import type { InputIssue } from "../esci/issues.js";
import { capChars } from "../tokenizer/index.js";

export interface CatalogProduct {
  id: string;
  title: string;
  brand?: string;
  color?: string;
  /** Bullet points, one per line (an array in the input is joined with newlines). */
  bullet_points?: string;
  description?: string;
  locale?: string;
  /** Free attributes: every other column of the input, as strings. */
  attributes?: Record<string, string>;
}

/** Input column names accepted for each field (first match wins); ESCI's `product_*` names included. */
export const FIELD_ALIASES: Readonly<Record<Exclude<keyof CatalogProduct, "attributes">, readonly string[]>> = {
  id: ["id", "product_id", "asin", "sku"],
  title: ["title", "product_title", "name"],
  brand: ["brand", "product_brand"],
  color: ["color", "colour", "product_color", "product_colour"],
  bullet_points: ["bullet_points", "bullet_point", "bullets", "product_bullet_point"],
  description: ["description", "product_description"],
  locale: ["locale", "product_locale"],
};

const KNOWN_COLUMNS = new Set<string>([...Object.values(FIELD_ALIASES).flat(), "attributes", "__index_level_0__"]);

function cellText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const parts = v.map(cellText).filter((s): s is string => s !== undefined);
    return parts.length ? parts.join("\n") : undefined;
  }
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

function pick(values: Record<string, unknown>, aliases: readonly string[]): { column: string; text?: string } | undefined {
  for (const a of aliases) if (a in values) return { column: a, text: cellText(values[a]) };
  return undefined;
}

/**
 * One input row → a product, or the issue that makes it unusable (no id, no title). `file` and
 * `row` only name the place in messages.
 */
export function productFromRow(values: Record<string, unknown>, file: string, row: number): CatalogProduct | { issue: InputIssue } {
  const id = pick(values, FIELD_ALIASES.id);
  if (!id?.text) {
    return { issue: { kind: id ? "missing_value" : "missing_column", file, row, column: id?.column ?? "id", reason: id ? "missing product id" : `no id column (one of ${FIELD_ALIASES.id.join(", ")})` } };
  }
  const title = pick(values, FIELD_ALIASES.title);
  if (!title?.text) {
    return {
      issue: { kind: title ? "missing_value" : "missing_column", file, row, column: title?.column ?? "title", reason: title ? `product "${id.text}" has no title` : `no title column (one of ${FIELD_ALIASES.title.join(", ")})` },
    };
  }
  const p: CatalogProduct = { id: id.text, title: title.text };
  for (const field of ["brand", "color", "bullet_points", "description", "locale"] as const) {
    const v = pick(values, FIELD_ALIASES[field]);
    if (v?.text !== undefined) p[field] = v.text;
  }
  const attributes: Record<string, string> = {};
  const nested = values.attributes;
  let nestedObj: unknown = nested;
  if (typeof nested === "string") {
    try {
      nestedObj = JSON.parse(nested);
    } catch {
      nestedObj = undefined;
      attributes.attributes = nested;
    }
  }
  if (nestedObj && typeof nestedObj === "object" && !Array.isArray(nestedObj)) {
    for (const [k, v] of Object.entries(nestedObj)) {
      const t = cellText(v);
      if (t !== undefined) attributes[k] = t;
    }
  }
  for (const [k, v] of Object.entries(values)) {
    if (KNOWN_COLUMNS.has(k)) continue;
    const t = cellText(v);
    if (t !== undefined) attributes[k] = t;
  }
  if (Object.keys(attributes).length) p.attributes = attributes;
  return p;
}

/** The product's fields under the ESCI products-file column names, for esci/dataset.ts templates. */
function templateColumn(p: CatalogProduct, column: string): string | undefined {
  switch (column) {
    case "product_title":
      return p.title;
    case "product_brand":
      return p.brand;
    case "product_color":
      return p.color;
    case "product_bullet_point":
      return p.bullet_points;
    case "product_description":
      return p.description;
    default:
      return undefined;
  }
}

/**
 * What the bi-encoder embeds. Title, brand and colour: the fields a shopper's query names;
 * descriptions are long and mostly boilerplate, and a DistilRoBERTa bi-encoder truncates at 128
 * tokens anyway (all-distilroberta-v1's max_seq_length).
 */
/** `p` with each text field (and free attribute) cut to `maxChars` characters (tokenizer/chars.ts). */
export function capProduct(p: CatalogProduct, maxChars: number): CatalogProduct {
  const out: CatalogProduct = { ...p, title: capChars(p.title, maxChars) };
  for (const field of ["brand", "color", "bullet_points", "description", "locale"] as const) {
    const v = p[field];
    if (v !== undefined) out[field] = capChars(v, maxChars);
  }
  if (p.attributes) out.attributes = Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [k, capChars(v, maxChars)]));
  return out;
}

export const DEFAULT_EMBED_TEMPLATE = "{title} {brand} {color}";

/** What the cross-encoder reads as the product side of a pair: the title, as the ESCI toolkit's default. */
export const DEFAULT_RERANK_TEMPLATE = "{title}";

/** A compiled product text template (esci/dataset.ts syntax: "{title} {brand} {color} {bullets} {description}"). */
export type ProductText = (p: CatalogProduct) => string;

export function productText(template: string): ProductText {
  const t: ProductTemplate = parseTemplate(template);
  return (p) => renderTemplate(t, (c) => templateColumn(p, c)) || p.title;
}

/** The free attributes' values as one line of text, for full-text search. */
export function attributesText(p: CatalogProduct): string {
  return p.attributes ? Object.values(p.attributes).join(" ") : "";
}

/** A short stable digest of a text: decides whether a product's vector is still current. */
export function textHash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 22);
}
