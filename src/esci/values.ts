/**
 * Checks and conversions of single cell values, shared by every reader.
 *
 * Parquet gives INT64 ids as bigint, JSON as numbers or strings, CSV always as strings; ids are
 * compared as strings everywhere ("535", 535 and 535n are the same query), so they are converted
 * here once. A value of the wrong type is an InputIssue naming file, row and column.
 */
import type { InputIssue } from "./issues.js";

export type Checked<T> = { ok: true; value: T } | { ok: false; issue: InputIssue };

export interface Cell {
  file: string;
  row: number;
  column: string;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * A string. An empty string is a valid text: Hugging Face encodes `(query, "")` as a pair, and a
 * product without a title is still a row to score; a missing or null cell is not.
 */
export function checkText(v: unknown, at: Cell): Checked<string> {
  if (v === undefined || v === null) return { ok: false, issue: { kind: "missing_value", ...at, reason: "missing value" } };
  if (typeof v !== "string") return { ok: false, issue: { kind: "wrong_type", ...at, reason: `expected a string, got ${typeName(v)}` } };
  return { ok: true, value: v };
}

/** An identifier: a string, an integer number or a bigint, as a string. */
export function checkId(v: unknown, at: Cell): Checked<string> {
  if (v === undefined || v === null || v === "") return { ok: false, issue: { kind: "missing_value", ...at, reason: "missing value" } };
  if (typeof v === "string") return { ok: true, value: v };
  if (typeof v === "bigint") return { ok: true, value: v.toString() };
  if (typeof v === "number" && Number.isInteger(v)) return { ok: true, value: String(v) };
  return { ok: false, issue: { kind: "wrong_type", ...at, reason: `expected an id (string or integer), got ${typeName(v)} ${JSON.stringify(toJsonValue(v))}` } };
}

/** A finite number (CSV cells are parsed). */
export function checkNumber(v: unknown, at: Cell): Checked<number> {
  if (v === undefined || v === null || v === "") return { ok: false, issue: { kind: "missing_value", ...at, reason: "missing value" } };
  const n = typeof v === "string" ? Number(v) : typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    return { ok: false, issue: { kind: "wrong_type", ...at, reason: `expected a finite number, got ${typeName(v)} ${JSON.stringify(toJsonValue(v))}` } };
  }
  return { ok: true, value: n };
}

/** JSON-safe copy of a value read from Parquet: bigint → number when exact, else string. */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toJsonValue(x);
    return o;
  }
  return v;
}

/** Empty and null values count as absent (a CSV cannot tell them apart). */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}
