/**
 * The character cap: every text is cut to `maxChars` UTF-16 code units before it is tokenized, in
 * every path (HTTP requests, files read by predict/classify/evaluate/train, catalog products at
 * index and search time), so that one huge text (a 5 MB product title) costs bounded work. The
 * models read at most a few hundred tokens per text anyway: a token covers at least one
 * character for the BPE and WordPiece vocabularies here, so with the default of 20,000 the cut
 * only ever removes text that truncation to `max_length` would have dropped (unless a text is
 * mostly whitespace, which the pre-tokenizers drop).
 */
import { EsciError } from "../errors/index.js";

export const DEFAULT_MAX_CHARS = 20_000;

/** `maxChars` checked: a positive integer. */
export function checkMaxChars(maxChars: number): number {
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    throw new EsciError("INVALID_ARGUMENT", `maxChars must be a positive integer, got ${maxChars}`, { maxChars });
  }
  return maxChars;
}

/** `text` cut to at most `maxChars` code units, never between the two halves of a surrogate pair. */
export function capChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const last = text.charCodeAt(maxChars - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars);
}
