/**
 * Flag parsing shared by every command: a thin layer over node:util parseArgs that turns bad or
 * missing flags into `EsciError("INVALID_ARGUMENT")` with the flag's name in the message.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EsciError } from "../errors/index.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (e) {
    throw new EsciError("INVALID_ARGUMENT", (e as Error).message);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function requireStr(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined || v === "") throw new EsciError("INVALID_ARGUMENT", `missing required flag --${name}`);
  return v;
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** Parse a numeric flag; `integer` and `min` give a worded error naming the flag. */
export function num(p: Parsed, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = str(p, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw new EsciError("INVALID_ARGUMENT", `--${name} must be ${opts.integer ? "an integer" : "a number"}, got "${raw}"`);
  }
  if (opts.min !== undefined && v < opts.min) throw new EsciError("INVALID_ARGUMENT", `--${name} must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new EsciError("INVALID_ARGUMENT", `--${name} must be ≤ ${opts.max}, got ${v}`);
  return v;
}
