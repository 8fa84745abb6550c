/**
 * A small lexer for the TypeScript in src/, enough for rules about what the source says: it splits
 * a file into string literals (with their line), and code with comments, strings and regular
 * expressions blanked out. It knows '…' and "…" strings, template literals with nested `${…}`
 * (each literal piece between expressions is one string), line and block comments, and regular
 * expression literals (told from division by the token before the slash, as JavaScript does).
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every .ts file below `dir`, recursively. */
export function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}


export interface StringLiteral {
  /** The literal's text with escapes resolved (\n, \t, \`, \', \", \\; other escapes keep the character). */
  text: string;
  /** 1-based line where the literal starts. */
  line: number;
  /** A template literal's piece that a `${…}` expression follows. */
  beforeExpression?: true;
}

export interface ScannedSource {
  strings: StringLiteral[];
  /** The source with every comment, string and regex replaced by spaces (newlines kept). */
  code: string;
}

const REGEX_AFTER_WORD = new Set(["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"]);
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0" };

export function scanSource(src: string): ScannedSource {
  const strings: StringLiteral[] = [];
  const code: string[] = [];
  let i = 0;
  let line = 1;
  // Each open template expression's brace depth; code at depth 0 of the top entry closes it.
  const templates: number[] = [];
  let braces = 0;
  let lastToken = ""; // the last significant code token (for regex vs division)

  const blank = (s: string) => code.push(s.replace(/[^\n]/g, " "));
  const advanceLines = (s: string) => {
    for (const c of s) if (c === "\n") line++;
  };

  /** Reads a quoted string or a template piece from `i` (just after the opening quote) to its end. */
  const readQuoted = (quote: string): { text: string; end: number; closedBy: "quote" | "expr" | "eof" } => {
    let text = "";
    let j = i;
    while (j < src.length) {
      const c = src[j];
      if (c === "\\") {
        const n = src[j + 1] ?? "";
        text += ESCAPES[n] ?? (n === "\n" ? "" : n);
        j += 2;
        continue;
      }
      if (c === quote) return { text, end: j + 1, closedBy: "quote" };
      if (quote === "`" && c === "$" && src[j + 1] === "{") return { text, end: j + 2, closedBy: "expr" };
      if (quote !== "`" && c === "\n") return { text, end: j, closedBy: "eof" };
      text += c;
      j++;
    }
    return { text, end: j, closedBy: "eof" };
  };

  const templatePiece = () => {
    const start = line;
    const r = readQuoted("`");
    strings.push(r.closedBy === "expr" ? { text: r.text, line: start, beforeExpression: true } : { text: r.text, line: start });
    const raw = src.slice(i, r.end);
    blank(raw);
    advanceLines(raw);
    i = r.end;
    if (r.closedBy === "expr") {
      templates.push(braces);
      lastToken = "{";
    } else lastToken = "`";
  };

  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      const stop = end === -1 ? src.length : end;
      blank(src.slice(i, stop));
      i = stop;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      const raw = src.slice(i, stop);
      blank(raw);
      advanceLines(raw);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = line;
      i++;
      const r = readQuoted(c);
      strings.push({ text: r.text, line: start });
      blank(src.slice(i - 1, r.end));
      i = r.end;
      lastToken = c;
      continue;
    }
    if (c === "`") {
      code.push(" ");
      i++;
      templatePiece();
      continue;
    }
    if (c === "}" && templates.length && braces === templates[templates.length - 1]) {
      templates.pop();
      code.push(" ");
      i++;
      templatePiece();
      continue;
    }
    if (c === "/" && (lastToken === "" || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(lastToken) || REGEX_AFTER_WORD.has(lastToken))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n") {
        const r = src[j];
        if (r === "/" && !inClass) break;
        if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        j += r === "\\" ? 2 : 1;
      }
      j++;
      while (j < src.length && /[a-z]/.test(src[j])) j++;
      blank(src.slice(i, j));
      i = j;
      lastToken = "regex";
      continue;
    }
    if (c === "{") braces++;
    if (c === "}") braces--;
    if (c === "\n") line++;
    if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z_$0-9]/.test(src[j])) j++;
      lastToken = src.slice(i, j);
      code.push(lastToken);
      i = j;
      continue;
    }
    if (!/\s/.test(c)) lastToken = c;
    code.push(c);
    i++;
  }
  return { strings, code: code.join("") };
}
