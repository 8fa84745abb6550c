/**
 * Flag parsing shared by every command: a thin layer over node:util parseArgs that turns bad or
 * missing flags into `EsciError("INVALID_ARGUMENT")` with the flag's name in the message.
 *
 * parseArgs' own wording is replaced: a flag without its value is "--x needs a value", never the
 * parser's "argument is ambiguous"; and a negative number after a value flag (`--batch-size -1`)
 * is taken as that flag's value, so the range check can say what is wrong with it.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EsciError } from "../errors/index.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** `--name -1` → `--name=-1` for value flags, so parseArgs does not read "-1" as a flag. */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith("--") && !a.includes("=") && options[a.slice(2)]?.type === "string" && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** parseArgs' error → a sentence that names the flag and what to do. */
function flagError(e: Error & { code?: string }, argv: readonly string[]): EsciError {
  const flag = /'(--?[^' <]+)/.exec(e.message)?.[1];
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    if (/does not take an argument/.test(e.message)) return new EsciError("INVALID_ARGUMENT", `${flag} is a switch and takes no value`, { flag });
    const next = argv[argv.indexOf(flag) + 1];
    const hint = next !== undefined && !next.startsWith("--") ? ` (to give a value that starts with "-", write ${flag}=${next})` : "";
    return new EsciError("INVALID_ARGUMENT", `${flag} needs a value${hint}`, { flag });
  }
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) return new EsciError("INVALID_ARGUMENT", `unknown flag ${flag} (see --help for this command's flags)`, { flag });
  if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(e.message)?.[1] ?? "";
    return new EsciError("INVALID_ARGUMENT", `unexpected argument ${JSON.stringify(arg)}: values follow their flag (--name value); quote values that contain spaces`);
  }
  return new EsciError("INVALID_ARGUMENT", e.message);
}

export function parseFlags(argv: string[], options: Options, allowPositionals = false): Parsed {
  const args = joinNegativeValues(argv, options);
  try {
    const r = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (e) {
    throw flagError(e as Error & { code?: string }, args);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function requireStr(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw new EsciError("INVALID_ARGUMENT", `missing required flag --${name}`);
  if (v.trim() === "") throw new EsciError("INVALID_ARGUMENT", `--${name} needs a value`);
  return v;
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** Parse a numeric flag; `integer` and `min` give a worded error naming the flag. */
export function num(p: Parsed, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = str(p, name);
  if (raw === undefined) return undefined;
  if (raw.trim() === "") throw new EsciError("INVALID_ARGUMENT", `--${name} needs a value`);
  const v = Number(raw);
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw new EsciError("INVALID_ARGUMENT", `--${name} must be ${opts.integer ? "an integer" : "a number"}, got "${raw}"`);
  }
  if (opts.min !== undefined && v < opts.min) throw new EsciError("INVALID_ARGUMENT", `--${name} must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new EsciError("INVALID_ARGUMENT", `--${name} must be ≤ ${opts.max}, got ${v}`);
  return v;
}
