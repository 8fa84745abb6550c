/**
 * loadTokenizer: a checkpoint directory → PairTokenizer.
 *
 * tokenizer.json is used when present; otherwise the equivalent tokenizer.json object is built from
 * the slow files (slow.ts). Either way the normalizer and pre-tokenizer are the ones transformers 5
 * runs for the checkpoint's tokenizer class (classes.ts: rebuilt for known classes, the file's
 * otherwise), built to behave as the Rust crate (components.ts); @huggingface/tokenizers provides
 * the added tokens and the model; special tokens are left to frame.ts.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { EsciError } from "../errors/index.js";
import { checkMaxChars, DEFAULT_MAX_CHARS } from "./chars.js";
import { transformersComponents } from "./classes.js";
import { buildNormalizer, buildPreTokenizer } from "./components.js";
import { readTokenizerSettings, type TokenizerSettings } from "./config.js";
import { parseJsonObject, readJsonIfExists, readTextIfExists, type JsonObject } from "./files.js";
import { frameFromPostProcessor } from "./frame.js";
import { HfPairTokenizer } from "./pair-tokenizer.js";
import { sideEncoder } from "./side-encoder.js";
import { buildFromSlowFiles, checkMerge } from "./slow.js";
import type { LoadTokenizerOptions, PairTokenizer, TokenizerOrigin } from "./types.js";

/** Used when neither model_max_length nor a position limit is known (BERT/RoBERTa's usual size). */
const FALLBACK_MAX_LENGTH = 512;

/** Model types @huggingface/tokenizers implements (an untyped model is left to its own inference). */
const SUPPORTED_MODEL_TYPES = ["BPE", "WordPiece", "Unigram"];

function checkPositiveInt(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new EsciError("INVALID_ARGUMENT", `${name} must be a positive integer, got ${value}`, { [name]: value });
  }
}

export async function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): Promise<PairTokenizer> {
  checkPositiveInt(options.maxPositions, "maxPositions");
  checkPositiveInt(options.maxLength, "maxLength");
  if (options.maxChars !== undefined) checkMaxChars(options.maxChars);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new EsciError("NOT_FOUND", `tokenizer directory ${dir} does not exist`, { file: dir });
  }
  const settings = await readTokenizerSettings(dir);
  const modelType = (await readJsonIfExists(join(dir, "config.json")))?.model_type;
  if (typeof modelType === "string") settings.modelType = modelType;
  const fastPath = join(dir, "tokenizer.json");
  const fastText = await readTextIfExists(fastPath);
  const origin = { dir, options };
  if (fastText !== null) return createPairTokenizer(parseJsonObject(fastText, fastPath), settings, origin, fastPath);
  const built = await buildFromSlowFiles(dir, settings);
  if (built === null) {
    throw new EsciError(
      "NOT_FOUND",
      `no tokenizer in ${dir}: expected tokenizer.json, or the slow files vocab.json + merges.txt (RoBERTa/GPT-2) or vocab.txt (BERT)`,
      { file: fastPath },
    );
  }
  return createPairTokenizer(built.json, settings, origin, built.source);
}

/** Builds the tokenizer from a tokenizer.json object; `source` names the file(s) in errors. */
function createPairTokenizer(json: JsonObject, settings: TokenizerSettings, origin: TokenizerOrigin, source: string): PairTokenizer {
  const { options } = origin;
  const model = json.model as JsonObject | undefined;
  if (!model || typeof model !== "object" || !model.vocab || typeof model.vocab !== "object") {
    throw new EsciError("CORRUPT_FILE", `${source}: "model" with a "vocab" is missing`, { file: source, field: "model" });
  }
  if (typeof model.type === "string" && !SUPPORTED_MODEL_TYPES.includes(model.type)) {
    throw new EsciError("UNSUPPORTED", `${source}: tokenizer model type ${model.type} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`, {
      file: source,
      field: "model.type",
    });
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    throw new EsciError("CORRUPT_FILE", `${source}: "added_tokens" must be a list`, { file: source, field: "added_tokens" });
  }
  checkBpeMerges(model, source);
  const { normalizer, pre_tokenizer } = transformersComponents(settings.tokenizerClass, settings.modelType, settings.config, json);
  const frame = frameFromPostProcessor(json.post_processor, source);
  const libraryJson = {
    ...json,
    added_tokens: json.added_tokens ?? [],
    // The library only sorts added tokens by `normalized` with it; esci normalizes (components.ts).
    normalizer,
    // esci pre-tokenizes (components.ts), adds special tokens after truncation (frame.ts), and
    // never decodes, so an exotic decoder cannot stop a tokenizer from loading.
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
  };
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(libraryJson, settings.config);
  } catch (e) {
    const message = (e as Error).message;
    if (/^Unknown \w+ type/.test(message)) {
      throw new EsciError("UNSUPPORTED", `${source} uses a component @huggingface/tokenizers does not implement (${message})`, { file: source }, { cause: e });
    }
    throw new EsciError("CORRUPT_FILE", `${source} cannot be loaded: ${message}`, { file: source }, { cause: e });
  }
  const limits = [options.maxLength ?? settings.modelMaxLength, options.maxPositions].filter((x): x is number => typeof x === "number");
  return new HfPairTokenizer({
    encodeSide: sideEncoder(tokenizer, buildNormalizer(normalizer, source), buildPreTokenizer(pre_tokenizer, source)),
    frame,
    defaultMaxLength: limits.length > 0 ? Math.min(...limits) : FALLBACK_MAX_LENGTH,
    padTokenId: padTokenId(tokenizer, json, settings),
    vocabSize: vocabSize(model, libraryJson.added_tokens as JsonObject[]),
    source,
    maxChars: options.maxChars ?? DEFAULT_MAX_CHARS,
    origin,
  });
}

/** The Rust BPE builder refuses merges whose parts or result are not in the vocab; so do we. */
function checkBpeMerges(model: JsonObject, source: string): void {
  if (model.type !== "BPE" && !("merges" in model)) return;
  const merges = model.merges;
  if (!Array.isArray(merges)) {
    throw new EsciError("CORRUPT_FILE", `${source}: model.merges must be a list`, { file: source, field: "model.merges" });
  }
  const vocab = model.vocab as Record<string, number>;
  const prefixLength = typeof model.continuing_subword_prefix === "string" ? model.continuing_subword_prefix.length : 0;
  merges.forEach((m: unknown, i) => {
    const parts = typeof m === "string" ? m.split(" ") : m;
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
      throw new EsciError("CORRUPT_FILE", `${source}: model.merges[${i}] must be "a b" or ["a", "b"], got ${JSON.stringify(m)}`, {
        file: source,
        field: "model.merges",
      });
    }
    checkMerge(parts[0], parts[1], vocab, `${source}: model.merges[${i}]`, source, prefixLength);
  });
}

/**
 * The configured pad token's id; else tokenizer.json's padding.pad_id; else "<pad>" / "[PAD]" if
 * the vocab has one; else 0 (masked positions, so only RoBERTa-style position ids could care).
 */
function padTokenId(tokenizer: Tokenizer, json: JsonObject, settings: TokenizerSettings): number {
  const configured = settings.specials.pad_token?.content;
  const fromConfig = configured === undefined ? undefined : tokenizer.token_to_id(configured);
  if (fromConfig !== undefined) return fromConfig;
  const padding = json.padding as JsonObject | null | undefined;
  if (padding && Number.isInteger(padding.pad_id)) return padding.pad_id as number;
  for (const t of ["<pad>", "[PAD]"]) {
    const id = tokenizer.token_to_id(t);
    if (id !== undefined) return id;
  }
  return 0;
}

/** Largest id in the model vocab and the added tokens, + 1 (HF's `len(tokenizer)`). */
function vocabSize(model: JsonObject, added: JsonObject[]): number {
  let max = -1;
  if (Array.isArray(model.vocab)) max = model.vocab.length - 1; // Unigram: [[piece, score], …]
  else for (const id of Object.values(model.vocab as Record<string, number>)) if (id > max) max = id;
  for (const t of added) if (typeof t.id === "number" && t.id > max) max = t.id;
  return max + 1;
}
