/**
 * The PairTokenizer over @huggingface/tokenizers: each side is encoded without special tokens by
 * the library, truncated with the Rust longest_first rule, then framed with the special tokens
 * read from tokenizer.json's post-processor (frame.ts). Each text is first cut to `maxChars`
 * characters (chars.ts).
 */
import type { Tokenizer } from "@huggingface/tokenizers";
import { EsciError } from "../errors/index.js";
import { capChars } from "./chars.js";
import { applyFrame, type Frame } from "./frame.js";
import { padBatch } from "./padding.js";
import type { TextRewrite } from "./parity.js";
import { longestFirstLengths } from "./truncation.js";
import type { Encoding, PaddedBatch, PairTokenizer, TextPair, TokenizerOrigin } from "./types.js";

export interface PairTokenizerParts {
  tokenizer: Tokenizer;
  frame: Frame;
  rewrite: TextRewrite | null;
  defaultMaxLength: number;
  padTokenId: number;
  vocabSize: number;
  source: string;
  maxChars: number;
  origin: TokenizerOrigin;
}

const NO_SPECIAL_TOKENS = { add_special_tokens: false } as const;

// Short texts (queries above all: an ESCI batch repeats each query across many products) are
// cached text → ids. Cached arrays are only ever read. The cache is emptied when full, which is
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
  private readonly tokenizer: Tokenizer;
  private readonly frame: Frame;
  private readonly rewrite: TextRewrite | null;
  private readonly cache = new Map<string, number[]>();

  constructor(parts: PairTokenizerParts) {
    this.tokenizer = parts.tokenizer;
    this.frame = parts.frame;
    this.rewrite = parts.rewrite;
    this.defaultMaxLength = parts.defaultMaxLength;
    this.padTokenId = parts.padTokenId;
    this.vocabSize = parts.vocabSize;
    this.source = parts.source;
    this.maxChars = parts.maxChars;
    this.origin = parts.origin;
  }

  /** Token ids of one side, no special tokens. Read-only: the array may be shared via the cache. */
  private ids(text: string): readonly number[] {
    if (typeof text !== "string") {
      throw new EsciError("INVALID_INPUT", `expected a string to tokenize, got ${text === null ? "null" : typeof text}`);
    }
    const cacheable = text.length <= CACHE_MAX_TEXT_LENGTH;
    if (cacheable) {
      const hit = this.cache.get(text);
      if (hit !== undefined) return hit;
    }
    const capped = capChars(text, this.maxChars);
    const ids = this.tokenizer.encode(this.rewrite ? this.rewrite(capped) : capped, NO_SPECIAL_TOKENS).ids;
    if (cacheable) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(text, ids);
    }
    return ids;
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
    const a = this.ids(query);
    const b = this.ids(product);
    const [n1, n2] = longestFirstLengths(a.length, b.length, maxLength - added);
    return applyFrame(this.frame.pair, a, n1, b, n2);
  }

  encodePairs(pairs: readonly TextPair[], maxLength: number = this.defaultMaxLength): Encoding[] {
    const out = new Array<Encoding>(pairs.length);
    for (let i = 0; i < pairs.length; i++) out[i] = this.encodePair(pairs[i][0], pairs[i][1], maxLength);
    return out;
  }

  encodeText(text: string, maxLength: number = this.defaultMaxLength): Encoding {
    const added = this.frame.addedSingle;
    this.checkMaxLength(maxLength, added);
    const a = this.ids(text);
    return applyFrame(this.frame.single, a, Math.min(a.length, maxLength - added), null, 0);
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
