/**
 * Where @huggingface/tokenizers 0.2 and the Rust tokenizers crate disagree, a rewrite of the input
 * text that makes the JS library give the Rust result. Both are in the `BertNormalizer`:
 *
 * - CJK characters outside the BMP (U+20000…, e.g. "𠀀"): Rust pads every CJK *character* with
 *   spaces; the JS library tests UTF-16 code units one at a time, so it never sees these. We pad
 *   them beforehand (the normalizer's clean_text step maps the spaces to spaces anyway).
 * - Capital sigma: Rust lowercases per character (`char::to_lowercase`: "Σ" → "σ" always); JS
 *   `toLowerCase` applies the final-sigma rule ("ΟΔΟΣ" → "οδος"). We write "σ" beforehand.
 *
 * Both rewrites only touch text the fast tokenizer would change the same way, so added tokens
 * (matched on the raw text) are unaffected unless they contain these characters.
 */
import type { JsonObject } from "./files.js";

/** The CJK Unified Ideographs blocks above U+FFFF that Rust's `is_chinese_char` covers. */
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;
const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

export type TextRewrite = (text: string) => string;

/** The rewrite `normalizer` (tokenizer.json's) needs, or null when none does. */
export function rustParityRewrite(normalizer: unknown): TextRewrite | null {
  const n = normalizer as JsonObject | null;
  if (!n || n.type !== "BertNormalizer") return null;
  const chinese = n.handle_chinese_chars === true;
  const lowercase = n.lowercase === true;
  if (!chinese && !lowercase) return null;
  return (text) => {
    if (chinese && HIGH_SURROGATE.test(text)) text = text.replace(ASTRAL_CJK, " $& ");
    if (lowercase && text.includes("Σ")) text = text.replaceAll("Σ", "σ");
    return text;
  };
}
