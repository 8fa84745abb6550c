/**
 * One side of an input → token ids (no special tokens), with tokenizers 0.23's truncation early exit.
 *
 * The pipeline is the Rust `TokenizerImpl::encode_single_sequence`: added tokens are split off the
 * raw text (then, after normalization, the normalized ones), each remaining section is normalized
 * and pre-tokenized into words, and the model tokenizes word by word. Added tokens and the model
 * come from @huggingface/tokenizers; normalizer and pre-tokenizer from components.ts.
 *
 * Early exit (tokenizers 0.23, `PreTokenizedString::tokenize_with_limit`, right truncation): with
 * truncation on, words are tokenized in order only until the running count reaches max_length (the
 * whole budget, special tokens included); the words after are dropped. An added token counts but
 * does not stop by itself. The lengths longest_first then compares are these partial lengths.
 */
import type { Tokenizer } from "@huggingface/tokenizers";
import type { Normalize, PreToken, PreTokenize } from "./components.js";

/** What esci reads of the library's Tokenizer: its added-token splitters and model. */
interface LibraryInternals {
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  added_tokens_map: Map<string, { id: number; lstrip: boolean; rstrip: boolean }>;
  model: ((words: string[]) => string[]) & { tokens_to_ids: Map<string, number>; unk_token_id?: number };
}

/**
 * `ids` of one side up to the early-exit point for `limit` tokens (Infinity: all of them); `stops`
 * are the ids' lengths after each model-tokenized word, the points where the early exit can stop.
 */
export interface SideEncoding {
  ids: number[];
  stops: number[];
}
export type SideEncode = (text: string, limit: number) => SideEncoding;

/** How many of `enc.ids` tokenizers 0.23 keeps when it exits early at `limit` tokens. */
export function earlyExitLength(enc: SideEncoding, limit: number): number {
  for (const stop of enc.stops) if (stop >= limit) return stop;
  return enc.ids.length;
}

const TRAILING_WHITESPACE = /\p{White_Space}+$/u;
const LEADING_WHITESPACE = /^\p{White_Space}+/u;

export function sideEncoder(tokenizer: Tokenizer, normalize: Normalize | null, preTokenize: PreTokenize | null): SideEncode {
  const lib = tokenizer as unknown as LibraryInternals;
  const model = lib.model;
  const toId = (t: string): number => lib.added_tokens_map.get(t)?.id ?? model.tokens_to_ids.get(t) ?? (model.unk_token_id as number);

  /**
   * Splits off added tokens, trimming around lstrip/rstrip ones, as the library's encode_text but
   * with Rust's whitespace (White_Space: a U+FEFF next to `<mask>` stays).
   */
  const splitAdded = (text: string, splitter: { split(text: string): string[] }): string[] => {
    const sections = splitter.split(text);
    sections.forEach((section, i) => {
      const added = lib.added_tokens_map.get(section);
      if (!added) return;
      if (added.lstrip && i > 0) sections[i - 1] = sections[i - 1].replace(TRAILING_WHITESPACE, "");
      if (added.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1].replace(LEADING_WHITESPACE, "");
    });
    return sections;
  };

  return (text, limit) => {
    const ids: number[] = [];
    const stops: number[] = [];
    const outer = splitAdded(text, lib.splitter_unnormalized);
    for (let s = 0; s < outer.length; s++) {
      const section = outer[s];
      const sectionAtStart = s === 0;
      if (section.length === 0) continue;
      const addedId = lib.added_tokens_map.get(section)?.id;
      if (addedId !== undefined) {
        ids.push(addedId);
        continue;
      }
      const normalized = normalize ? normalize(section) : section;
      const inner = splitAdded(normalized, lib.splitter_normalized);
      for (let j = 0; j < inner.length; j++) {
        const sub = inner[j];
        if (sub.length === 0) continue;
        const innerId = lib.added_tokens_map.get(sub)?.id;
        if (innerId !== undefined) {
          ids.push(innerId);
          continue;
        }
        const first: PreToken[] = [{ text: sub, atStart: sectionAtStart && j === 0 }];
        for (const word of preTokenize ? preTokenize(first) : first) {
          for (const t of model([word.text])) ids.push(toId(t));
          stops.push(ids.length);
          if (ids.length >= limit) return { ids, stops };
        }
      }
    }
    return { ids, stops };
  };
}
