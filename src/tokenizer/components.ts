/**
 * tokenizer.json's normalizer and pre-tokenizer as functions that behave as the Rust tokenizers
 * crate (0.23). Components whose @huggingface/tokenizers implementation gives the Rust result are
 * the library's; those where it does not are esci's own:
 *
 * - Precompiled: exact sentencepiece charsmap (precompiled.ts), not the library's NFKC stand-in.
 * - Whitespace / WhitespaceSplit / Metaspace / ByteLevel: Rust splits on `char::is_whitespace`
 *   (Unicode White_Space; Oniguruma's `\s` in ByteLevel's GPT-2 regex likewise), which does NOT
 *   include U+FEFF; JS `\s` does, so the library drops or re-groups a BOM that Rust keeps
 *   (→ `<unk>` or its own pieces). Rust's Whitespace regex `\w+|[^\w\s]+` is
 *   Unicode-aware; JS `\w` is ASCII-only. Metaspace with `split` cuts before every "▁", and
 *   prepend_scheme "first" prepends only at original offset 0.
 * - Strip / Lowercase / Replace: Rust strips `char::is_whitespace`, lowercases char by char
 *   (no final-sigma rule) and matches Oniguruma's `\s` (White_Space, U+0085 in, U+FEFF out).
 * - BertNormalizer: the library's, after the two rewrites of parity.ts.
 *
 * A pre-token is a word plus whether it starts at offset 0 of the original text (Metaspace "first").
 */
import * as library from "@huggingface/tokenizers";
import { EsciError } from "../errors/index.js";
import type { JsonObject } from "./files.js";
import { rustParityRewrite } from "./parity.js";
import { precompiledFromJson } from "./precompiled.js";

export type Normalize = (text: string) => string;

export interface PreToken {
  text: string;
  /** Starts at offset 0 of the original text (only Metaspace's prepend_scheme "first" asks). */
  atStart: boolean;
}
export type PreTokenize = (words: PreToken[]) => PreToken[];

/** Rust `char::is_whitespace` is the Unicode White_Space property. */
const WHITESPACE_RUNS = /\p{White_Space}+/u;
const WHITESPACE_AT_END = /\p{White_Space}+$/u;
const WHITESPACE_AT_START = /^\p{White_Space}+/u;
/** Rust regex `\w` (Unicode): Alphabetic, marks, decimal numbers, connector punctuation, joiners. */
const WORD = String.raw`\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}`;
const WHITESPACE_PRE_TOKENS = new RegExp(`[${WORD}]+|[^${WORD}\\p{White_Space}]+`, "gu");
/** GPT-2's pre-tokenizer regex as tokenizers runs it (ByteLevel, use_regex), `\s` = White_Space. */
const GPT2_PRE_TOKENS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards. */
const BYTE_CHARS: string[] = (() => {
  const chars = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : 256 + next++);
  }
  return chars;
})();
const utf8 = new TextEncoder();

/** A pre-token's UTF-8 bytes as bytes_to_unicode characters (ASCII-only words skip the encoder). */
function byteChars(token: string): string {
  let out = "";
  if (/^[\x00-\x7f]*$/.test(token)) {
    for (let i = 0; i < token.length; i++) out += BYTE_CHARS[token.charCodeAt(i)];
    return out;
  }
  for (const b of utf8.encode(token)) out += BYTE_CHARS[b];
  return out;
}

interface LibraryNormalizer {
  normalize(text: string): string;
}
interface LibraryPreTokenizer {
  pre_tokenize(text: string | string[], options?: { section_index?: number }): string[];
}

// The package's type declarations re-export these classes without file extensions, which NodeNext
// resolution cannot follow; the runtime exports are there, so they are looked up by name.
const exported = library as unknown as Record<string, new (config: JsonObject) => never>;
const classes = <T>(names: Record<string, string>): Record<string, new (config: JsonObject) => T> =>
  Object.fromEntries(Object.entries(names).map(([type, name]) => [type, exported[name]]));

/** Library normalizers that match Rust (given their JSON config). */
const LIBRARY_NORMALIZERS = classes<LibraryNormalizer>({
  NFC: "NFCNormalizer",
  NFD: "NFDNormalizer",
  NFKC: "NFKCNormalizer",
  NFKD: "NFKDNormalizer",
  StripAccents: "StripAccentsNormalizer",
  Prepend: "PrependNormalizer",
});
const BertNormalizer = exported.BertNormalizer as unknown as new (config: JsonObject) => LibraryNormalizer;

/** Library pre-tokenizers that match Rust. */
const LIBRARY_PRE_TOKENIZERS = classes<LibraryPreTokenizer>({
  BertPreTokenizer: "BertPreTokenizer",
  Split: "SplitPreTokenizer",
  Digits: "DigitsPreTokenizer",
  Punctuation: "PunctuationPreTokenizer",
});

function unsupported(source: string, what: string, type: unknown, known: string[]): EsciError {
  return new EsciError("UNSUPPORTED", `${source}: ${what} type ${JSON.stringify(type)} is not supported (known: ${known.join(", ")})`, {
    file: source,
    field: what,
  });
}

/** A tokenizers `Pattern` ({String} or {Regex}) as a global JS regex with Rust/Oniguruma `\s`. */
function pattern(value: unknown, source: string, field: string): RegExp {
  const p = value as { String?: unknown; Regex?: unknown } | null;
  if (p && typeof p.String === "string") return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gu");
  if (p && typeof p.Regex === "string") {
    const translated = p.Regex.replace(/\\\\|\\s|\\S/g, (m) => (m === "\\s" ? "\\p{White_Space}" : m === "\\S" ? "\\P{White_Space}" : m));
    try {
      return new RegExp(translated, "gu");
    } catch (e) {
      throw new EsciError("UNSUPPORTED", `${source}: ${field} regex ${JSON.stringify(p.Regex)} cannot be run here (${(e as Error).message})`, { file: source, field }, { cause: e });
    }
  }
  throw new EsciError("CORRUPT_FILE", `${source}: ${field} must be {"String": …} or {"Regex": …}`, { file: source, field });
}

/** tokenizer.json's `normalizer` → a function (null: no normalizer). */
export function buildNormalizer(json: unknown, source: string): Normalize | null {
  if (json === null || json === undefined) return null;
  const n = json as JsonObject;
  switch (n.type) {
    case "Sequence": {
      const parts = ((n.normalizers ?? []) as unknown[]).map((x) => buildNormalizer(x, source)).filter((x): x is Normalize => x !== null);
      return (text) => parts.reduce((t, f) => f(t), text);
    }
    case "Precompiled": {
      const charsmap = precompiledFromJson(n.precompiled_charsmap, source);
      return (text) => charsmap.normalize(text);
    }
    case "BertNormalizer": {
      const library = new BertNormalizer(n);
      const rewrite = rustParityRewrite(n);
      return rewrite ? (text) => library.normalize(rewrite(text)) : (text) => library.normalize(text);
    }
    case "Lowercase":
      // Rust lowercases each char on its own: "Σ" is always "σ", never the final "ς".
      return (text) => {
        let out = "";
        for (const ch of text) out += ch.toLowerCase();
        return out;
      };
    case "Strip": {
      const left = n.strip_left === true;
      const right = n.strip_right === true;
      return (text) => {
        if (left) text = text.replace(WHITESPACE_AT_START, "");
        if (right) text = text.replace(WHITESPACE_AT_END, "");
        return text;
      };
    }
    case "Replace": {
      const re = pattern(n.pattern, source, "normalizer.pattern");
      const content = typeof n.content === "string" ? n.content : "";
      return (text) => text.replace(re, () => content);
    }
    default: {
      const Cls = typeof n.type === "string" ? LIBRARY_NORMALIZERS[n.type] : undefined;
      if (!Cls) throw unsupported(source, "normalizer", n.type, ["Sequence", "Precompiled", "BertNormalizer", "Lowercase", "Strip", "Replace", ...Object.keys(LIBRARY_NORMALIZERS)]);
      const library = new Cls(n);
      return (text) => library.normalize(text);
    }
  }
}

/** Splits every word with `split`, keeping `atStart` only on the first piece of a word that had it. */
function eachWord(split: (word: PreToken) => string[]): PreTokenize {
  return (words) => {
    const out: PreToken[] = [];
    for (const w of words) {
      split(w).forEach((text, i) => {
        if (text.length > 0) out.push({ text, atStart: w.atStart && i === 0 });
      });
    }
    return out;
  };
}

/** tokenizer.json's `pre_tokenizer` → a function (null: the section is one word). */
export function buildPreTokenizer(json: unknown, source: string): PreTokenize | null {
  if (json === null || json === undefined) return null;
  const p = json as JsonObject;
  switch (p.type) {
    case "Sequence": {
      const parts = ((p.pretokenizers ?? []) as unknown[]).map((x) => buildPreTokenizer(x, source)).filter((x): x is PreTokenize => x !== null);
      return (words) => parts.reduce((w, f) => f(w), words);
    }
    case "WhitespaceSplit":
      return eachWord((w) => w.text.split(WHITESPACE_RUNS));
    case "Whitespace":
      return eachWord((w) => w.text.match(WHITESPACE_PRE_TOKENS) ?? []);
    case "ByteLevel": {
      const prefix = p.add_prefix_space === true;
      const useRegex = p.use_regex !== false;
      return eachWord((w) => {
        const text = prefix && !w.text.startsWith(" ") ? " " + w.text : w.text;
        return (useRegex ? (text.match(GPT2_PRE_TOKENS) ?? []) : [text]).map(byteChars);
      });
    }
    case "Metaspace": {
      const replacement = typeof p.replacement === "string" ? p.replacement : "\u2581";
      // tokenizers < 0.19 wrote add_prefix_space instead of prepend_scheme.
      const scheme = typeof p.prepend_scheme === "string" ? p.prepend_scheme : p.add_prefix_space === false ? "never" : "always";
      const split = p.split !== false;
      const cut = new RegExp(`(?=${replacement.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})`, "u");
      return eachWord((w) => {
        let text = w.text.replaceAll(" ", replacement);
        if (!text.startsWith(replacement) && (scheme === "always" || (scheme === "first" && w.atStart))) text = replacement + text;
        return split ? text.split(cut) : [text];
      });
    }
    default: {
      const Cls = typeof p.type === "string" ? LIBRARY_PRE_TOKENIZERS[p.type] : undefined;
      if (!Cls) throw unsupported(source, "pre_tokenizer", p.type, ["Sequence", "WhitespaceSplit", "Whitespace", "ByteLevel", "Metaspace", ...Object.keys(LIBRARY_PRE_TOKENIZERS)]);
      const library = new Cls(p);
      return eachWord((w) => library.pre_tokenize(w.text, { section_index: w.atStart ? 0 : 1 }));
    }
  }
}
