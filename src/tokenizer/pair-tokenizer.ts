/**
 * The PairTokenizer: each side is encoded without special tokens (side-encoder.ts, with
 * tokenizers 0.23's early exit at max_length), truncated with the Rust longest_first rule on those
 * partial lengths, then framed with the special tokens read from tokenizer.json's post-processor
 * (frame.ts). Each text is first cut to `maxChars` characters (chars.ts).
 */
import { EsciError } from "../errors/index.js";
import { capChars } from "./chars.js";
import { applyFrame, type Frame } from "./frame.js";
import { padBatch } from "./padding.js";
import { earlyExitLength, type SideEncode, type SideEncoding } from "./side-encoder.js";
import { longestFirstLengths } from "./truncation.js";
import type { Encoding, PaddedBatch, PairTokenizer, TextPair, TokenizerOrigin } from "./types.js";

export interface PairTokenizerParts {
  encodeSide: SideEncode;
  frame: Frame;
  defaultMaxLength: number;
  padTokenId: number;
  vocabSize: number;
  source: string;
  maxChars: number;
  origin: TokenizerOrigin;
}

// Short texts (queries above all: an ESCI batch repeats each query across many products) are
// cached text → their whole encoding (cut at the early-exit point per call). Cached arrays are only ever read. The cache is emptied when full, which is
// cheaper than LRU bookkeeping and enough for a hot set of queries.
const CACHE_MAX_TEXT_LENGTH = 128;
const CACHE_MAX_ENTRIES = 8192;

export class HfPairTokenizer implements PairTokenizer {
  readonly defaultMaxLength: number;
  readonly padTokenId: number;
  readonly vocabSize: number;
  readonly source: string;
  readonly maxChars: number;
  readonly origin: TokenizerOrigin;
  private readonly encodeSide: SideEncode;
  private readonly frame: Frame;
  private readonly cache = new Map<string, SideEncoding>();

  constructor(parts: PairTokenizerParts) {
    this.encodeSide = parts.encodeSide;
    this.frame = parts.frame;
    this.defaultMaxLength = parts.defaultMaxLength;
    this.padTokenId = parts.padTokenId;
    this.vocabSize = parts.vocabSize;
    this.source = parts.source;
    this.maxChars = parts.maxChars;
    this.origin = parts.origin;
  }

  /**
   * Token ids of one side, no special tokens, and how many of them tokenizers 0.23 has when its
   * early exit stops at `limit` tokens. Read-only: the array may be shared via the cache.
   */
  private ids(text: string, limit: number): { ids: readonly number[]; length: number } {
    if (typeof text !== "string") {
      throw new EsciError("INVALID_INPUT", `expected a string to tokenize, got ${text === null ? "null" : typeof text}`);
    }
    if (text.length > CACHE_MAX_TEXT_LENGTH) {
      const enc = this.encodeSide(capChars(text, this.maxChars), limit);
      return { ids: enc.ids, length: enc.ids.length };
    }
    let enc = this.cache.get(text);
    if (enc === undefined) {
      enc = this.encodeSide(text, Infinity);
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(text, enc);
    }
    return { ids: enc.ids, length: earlyExitLength(enc, limit) };
  }

  private checkMaxLength(maxLength: number, added: number): void {
    if (!Number.isInteger(maxLength) || maxLength < added) {
      throw new EsciError(
        "INVALID_ARGUMENT",
        `maxLength must be an integer of at least ${added} (the special tokens alone take ${added}), got ${maxLength}`,
        { maxLength },
      );
    }
  }

  encodePair(query: string, product: string, maxLength: number = this.defaultMaxLength): Encoding {
    const added = this.frame.addedPair;
    this.checkMaxLength(maxLength, added);
    const a = this.ids(query, maxLength);
    const b = this.ids(product, maxLength);
    const [n1, n2] = longestFirstLengths(a.length, b.length, maxLength - added);
    return applyFrame(this.frame.pair, a.ids, n1, b.ids, n2);
  }

  encodePairs(pairs: readonly TextPair[], maxLength: number = this.defaultMaxLength): Encoding[] {
    const out = new Array<Encoding>(pairs.length);
    for (let i = 0; i < pairs.length; i++) out[i] = this.encodePair(pairs[i][0], pairs[i][1], maxLength);
    return out;
  }

  encodeText(text: string, maxLength: number = this.defaultMaxLength): Encoding {
    const added = this.frame.addedSingle;
    this.checkMaxLength(maxLength, added);
    const a = this.ids(text, maxLength);
    return applyFrame(this.frame.single, a.ids, Math.min(a.length, maxLength - added), null, 0);
  }

  encodeTexts(texts: readonly string[], maxLength: number = this.defaultMaxLength): Encoding[] {
    const out = new Array<Encoding>(texts.length);
    for (let i = 0; i < texts.length; i++) out[i] = this.encodeText(texts[i], maxLength);
    return out;
  }

  padBatch(encodings: readonly Encoding[]): PaddedBatch {
    return padBatch(encodings, this.padTokenId);
  }
}
