/**
 * SentencePiece's `Precompiled` normalizer, exactly as tokenizers 0.23 runs it (the spm_precompiled
 * crate behind normalizers/precompiled.rs): the charsmap sentencepiece compiles from its
 * normalization rules (nmt_nfkc, nfkc_cf, …) — hub XLM-R, mBART, T5 and DeBERTa-v3 files carry it —
 * is a Darts double-array trie over UTF-8 byte strings plus a blob of NUL-terminated replacements.
 *
 * Blob layout (little-endian): u32 trie size in bytes, the trie's u32 units, then the replacement
 * strings. The text is walked by extended grapheme cluster: a cluster shorter than 6 UTF-8 bytes
 * is looked up whole, otherwise (or when it has no entry) each of its characters is. A lookup takes
 * the FIRST (shortest) key that prefixes the chunk and replaces the whole chunk with that key's
 * string — odd, but it is what sentencepiece and tokenizers do, and NFKC is not the same thing.
 */
import { EsciError } from "../errors/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Lookups repeat a lot (every "a", every " "), and the charsmap is immutable: cache them. */
const CACHE_MAX_ENTRIES = 65536;

export class PrecompiledCharsmap {
  private readonly trie: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly cache = new Map<string, string | null>();

  /** `charsmap` is the decoded precompiled_charsmap; `source` names the file in errors. */
  constructor(charsmap: Uint8Array, source: string) {
    const fail = (why: string) =>
      new EsciError("CORRUPT_FILE", `${source}: normalizer precompiled_charsmap is not a sentencepiece charsmap (${why})`, {
        file: source,
        field: "normalizer.precompiled_charsmap",
      });
    if (charsmap.length < 4) throw fail("shorter than its 4-byte header");
    const view = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || trieBytes === 0 || 4 + trieBytes > charsmap.length) throw fail(`trie size ${trieBytes} does not fit`);
    this.trie = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.trie.length; i++) this.trie[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = charsmap.subarray(4 + trieBytes);
    try {
      decoder.decode(this.normalized);
    } catch {
      throw fail("its replacement strings are not UTF-8");
    }
  }

  /**
   * Darts `commonPrefixSearch`, first hit only: the value of the shortest key prefixing `key`,
   * or -1. Stops at a NUL byte, as the C string it was written for.
   */
  private firstPrefixValue(key: Uint8Array): number {
    const a = this.trie;
    let unit = a[0];
    let pos = offset(unit);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      unit = a[pos];
      // label(): the byte, plus the high bit so that leaf units never match a label.
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== c) return -1;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) return a[pos] & 0x7fffffff;
    }
    return -1;
  }

  /** The replacement of `chunk`, or null when the charsmap has none. */
  transform(chunk: string): string | null {
    const hit = this.cache.get(chunk);
    if (hit !== undefined) return hit;
    const index = this.firstPrefixValue(encoder.encode(chunk));
    let out: string | null = null;
    if (index >= 0) {
      let end = index;
      while (end < this.normalized.length && this.normalized[end] !== 0) end++;
      out = decoder.decode(this.normalized.subarray(index, end));
    }
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(chunk, out);
    return out;
  }

  normalize(text: string): string {
    let out = "";
    for (const { segment } of graphemes.segment(text)) {
      // Rust's `grapheme.len() < 6` counts UTF-8 bytes.
      if (utf8Length(segment) < 6) {
        const whole = this.transform(segment);
        if (whole !== null) {
          out += whole;
          continue;
        }
      }
      for (const ch of segment) out += this.transform(ch) ?? ch;
    }
    return out;
  }
}

/** Darts unit offset: bits 10.. shifted left by 8 when bit 9 is set. */
function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Parses tokenizer.json's base64 `precompiled_charsmap`. */
export function precompiledFromJson(charsmap: unknown, source: string): PrecompiledCharsmap {
  if (typeof charsmap !== "string" || charsmap.length === 0) {
    throw new EsciError("CORRUPT_FILE", `${source}: a Precompiled normalizer needs a base64 "precompiled_charsmap"`, {
      file: source,
      field: "normalizer.precompiled_charsmap",
    });
  }
  return new PrecompiledCharsmap(new Uint8Array(Buffer.from(charsmap, "base64")), source);
}
