/**
 * What transformers 5 does with a checkpoint's tokenizer.json, so that esci gives the ids a Python
 * user of the same checkpoint gets from `AutoTokenizer.from_pretrained` (transformers 5.18).
 *
 * transformers 5 resolves a tokenizer class (tokenizer_config.json's tokenizer_class, else
 * config.json's model_type). A known class with its own `__init__` (BertTokenizer, RobertaTokenizer,
 * XLMRobertaTokenizer, DebertaV2Tokenizer, …) takes only the vocab, merges, post-processor and a
 * Precompiled charsmap from tokenizer.json and REBUILDS the normalizer and pre-tokenizer from its
 * own code and tokenizer_config.json's options (do_lower_case, add_prefix_space, …): a hub
 * DeBERTa-v3 file's Precompiled normalizer is ignored in favour of NFC and whitespace folding, a
 * BERT file's `lowercase` in favour of do_lower_case. Any other class (PreTrainedTokenizerFast,
 * TokenizersBackend, unknown names) and the model types transformers marks as having a wrong hub
 * class (ModernBERT among them) use tokenizer.json as written.
 *
 * Each row mirrors the class's `__init__` in transformers 5.18 (models/<family>/tokenization_*.py),
 * with its defaults.
 */
import type { JsonObject } from "./files.js";

export interface Components {
  normalizer: unknown;
  pre_tokenizer: unknown;
}

type Rebuild = (config: JsonObject, file: JsonObject) => Components;

const flag = (v: unknown, fallback: boolean): boolean => (typeof v === "boolean" ? v : fallback);

/** BertTokenizer / MPNetTokenizer: BertNormalizer from the config's options, BertPreTokenizer. */
const bert: Rebuild = (c) => ({
  normalizer: {
    type: "BertNormalizer",
    clean_text: true,
    handle_chinese_chars: flag(c.tokenize_chinese_chars, true),
    strip_accents: typeof c.strip_accents === "boolean" ? c.strip_accents : null,
    lowercase: flag(c.do_lower_case, true),
  },
  pre_tokenizer: { type: "BertPreTokenizer" },
});

/** RobertaTokenizer / GPT2Tokenizer: no normalizer, ByteLevel(add_prefix_space). */
const byteLevel: Rebuild = (c) => ({
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: flag(c.add_prefix_space, false), trim_offsets: true, use_regex: true },
});

/** The Precompiled normalizer of tokenizer.json, found directly or inside a Sequence. */
function precompiledOf(file: JsonObject): JsonObject | null {
  const n = file.normalizer as JsonObject | null | undefined;
  if (!n) return null;
  const list = n.type === "Sequence" ? ((n.normalizers ?? []) as JsonObject[]) : [n];
  return list.find((x) => x?.type === "Precompiled" && typeof x.precompiled_charsmap === "string") ?? null;
}

/** XLMRobertaTokenizer / CamembertTokenizer: the file's charsmap, WhitespaceSplit + Metaspace. */
const sentencePieceMetaspace: Rebuild = (c, file) => ({
  normalizer: precompiledOf(file),
  pre_tokenizer: {
    type: "Sequence",
    pretokenizers: [
      { type: "WhitespaceSplit" },
      { type: "Metaspace", replacement: "\u2581", prepend_scheme: flag(c.add_prefix_space, true) ? "always" : "never", split: true },
    ],
  },
});

/** DebertaV2Tokenizer: [Lowercase,] whitespace folding, NFC, right strip; [Punctuation,] Metaspace. */
const debertaV2: Rebuild = (c) => ({
  normalizer: {
    type: "Sequence",
    normalizers: [
      ...(flag(c.do_lower_case, false) ? [{ type: "Lowercase" }] : []),
      { type: "Replace", pattern: { Regex: "\\s{2,}|[\\n\\r\\t]" }, content: " " },
      { type: "NFC" },
      { type: "Strip", strip_left: false, strip_right: true },
    ],
  },
  pre_tokenizer: {
    type: "Sequence",
    pretokenizers: [
      ...(flag(c.split_by_punct, false) ? [{ type: "Punctuation", behavior: "Isolated" }] : []),
      { type: "Metaspace", replacement: "\u2581", prepend_scheme: flag(c.add_prefix_space, true) ? "always" : "first", split: true },
    ],
  },
});

/** tokenizer class (without "Fast") → how transformers 5 rebuilds it. Adding one = a row here. */
const REBUILDS: Record<string, Rebuild> = {
  BertTokenizer: bert,
  DistilBertTokenizer: bert,
  ElectraTokenizer: bert,
  MPNetTokenizer: bert,
  RobertaTokenizer: byteLevel,
  GPT2Tokenizer: byteLevel,
  XLMRobertaTokenizer: sentencePieceMetaspace,
  CamembertTokenizer: sentencePieceMetaspace,
  DebertaV2Tokenizer: debertaV2,
};

/** config.json model_type → AutoTokenizer's class, for checkpoints without tokenizer_class. */
const MODEL_TYPE_CLASSES: Record<string, string> = {
  bert: "BertTokenizer",
  distilbert: "BertTokenizer",
  electra: "BertTokenizer",
  mpnet: "MPNetTokenizer",
  roberta: "RobertaTokenizer",
  "xlm-roberta": "XLMRobertaTokenizer",
  camembert: "CamembertTokenizer",
  "deberta-v2": "DebertaV2Tokenizer",
};

/** Model types whose hub tokenizer_class transformers overrides with the file as written. */
const FILE_AS_WRITTEN_MODEL_TYPES = new Set(["modernbert", "modernbert-decoder"]);

/**
 * The normalizer and pre-tokenizer transformers 5 runs for this checkpoint: rebuilt for a known
 * class, else tokenizer.json's own.
 */
export function transformersComponents(tokenizerClass: string | null, modelType: string | null, config: JsonObject, file: JsonObject): Components {
  const asWritten = { normalizer: file.normalizer ?? null, pre_tokenizer: file.pre_tokenizer ?? null };
  if (modelType !== null && FILE_AS_WRITTEN_MODEL_TYPES.has(modelType)) return asWritten;
  const cls = tokenizerClass ?? (modelType !== null ? MODEL_TYPE_CLASSES[modelType] : undefined);
  const rebuild = cls === undefined ? undefined : REBUILDS[cls];
  return rebuild ? rebuild(config, file) : asWritten;
}
