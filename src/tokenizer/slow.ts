/**
 * Checkpoints without tokenizer.json: builds, in memory, the tokenizer.json that transformers'
 * convert_slow_tokenizer.py would make from the slow files (RobertaConverter / GPT2Converter from
 * vocab.json + merges.txt, BertConverter from vocab.txt), so that one code path
 * (@huggingface/tokenizers on a tokenizer.json object) encodes every checkpoint.
 *
 * The slow files are read as the slow tokenizers read them, quirks included: merges.txt drops its
 * first line (the "#version" header) and its last (the empty string after the final newline), as
 * `RobertaTokenizer.__init__` does with `split("\n")[1:-1]`; vocab.txt gives each line its line
 * number, stripping only "\n", as `load_vocab`.
 */
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { SPECIAL_ROLES, type SpecialRole, type SpecialTokenSpec, type TokenizerSettings } from "./config.js";
import { parseJsonObject, readTextIfExists, type JsonObject } from "./files.js";

type Vocab = Record<string, number>;

interface SlowConverter {
  /** The slow files it reads, all required. */
  readonly files: readonly string[];
  build(texts: Record<string, string>, dir: string, settings: TokenizerSettings): JsonObject;
}

// ---- slow file readers ------------------------------------------------------------------------

function readVocabJson(text: string, path: string): Vocab {
  const obj = parseJsonObject(text, path);
  for (const [token, id] of Object.entries(obj)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new EsciError("CORRUPT_FILE", `${path}: the id of ${JSON.stringify(token)} is not a non-negative integer`, { file: path });
    }
  }
  return obj as Vocab;
}

function readMerges(text: string, path: string, vocab: Vocab): string[] {
  const lines = text.split("\n").slice(1, -1);
  const merges: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === "") continue;
    if (parts.length !== 2) {
      throw new EsciError("CORRUPT_FILE", `${path}, line ${i + 2}: a merge must be two tokens separated by a space, got ${JSON.stringify(lines[i])}`, {
        file: path,
        line: i + 2,
      });
    }
    checkMerge(parts[0], parts[1], vocab, `${path}, line ${i + 2}`, path);
    merges.push(`${parts[0]} ${parts[1]}`);
  }
  return merges;
}

/**
 * The Rust BPE builder refuses merges whose parts or result are not in the vocab (the result drops
 * the second part's continuing_subword_prefix, `prefixLength` characters).
 */
export function checkMerge(a: string, b: string, vocab: Vocab, where: string, file: string, prefixLength = 0): void {
  for (const t of [a, b, a + b.slice(prefixLength)]) {
    if (!Object.hasOwn(vocab, t)) {
      throw new EsciError("CORRUPT_FILE", `${where}: merge "${a} ${b}" uses ${JSON.stringify(t)}, which is not in the vocabulary`, { file });
    }
  }
}

function readVocabTxt(text: string, path: string): Vocab {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new EsciError("CORRUPT_FILE", `${path} is empty`, { file: path });
  const vocab: Vocab = {};
  lines.forEach((token, i) => {
    vocab[token] = i;
  });
  return vocab;
}

// ---- added tokens --------------------------------------------------------------------------------

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/**
 * The added tokens the converted fast tokenizer has: tokenizer_config.json's added_tokens_decoder
 * when present, else the configured special tokens (ids from the vocab; a token missing from it
 * is appended after the largest id, as the slow tokenizers add it).
 */
function addedTokens(vocab: Vocab, settings: TokenizerSettings, defaults: Partial<Record<SpecialRole, SpecialTokenSpec>>): AddedTokenJson[] {
  const out = new Map<string, AddedTokenJson>();
  if (settings.addedTokensDecoder) {
    for (const [id, t] of settings.addedTokensDecoder) {
      out.set(t.content, {
        id,
        content: t.content,
        single_word: t.singleWord ?? false,
        lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false,
        normalized: t.normalized ?? !t.special,
        special: t.special,
      });
    }
  } else {
    let next = 0;
    for (const id of Object.values(vocab)) if (id >= next) next = id + 1;
    for (const role of SPECIAL_ROLES) {
      const spec = settings.specials[role] ?? defaults[role];
      if (!spec || out.has(spec.content)) continue;
      const fallback = defaults[role]?.content === spec.content ? defaults[role] : undefined;
      out.set(spec.content, {
        id: Object.hasOwn(vocab, spec.content) ? vocab[spec.content] : next++,
        content: spec.content,
        single_word: spec.singleWord ?? false,
        lstrip: spec.lstrip ?? fallback?.lstrip ?? false,
        rstrip: spec.rstrip ?? false,
        normalized: false,
        special: true,
      });
    }
  }
  return [...out.values()].sort((x, y) => x.id - y.id);
}

function tokenId(content: string, vocab: Vocab, added: AddedTokenJson[], role: string, file: string): number {
  const a = added.find((t) => t.content === content);
  if (a) return a.id;
  if (Object.hasOwn(vocab, content)) return vocab[content];
  throw new EsciError("CORRUPT_FILE", `${file}: the ${role} ${JSON.stringify(content)} is not in the vocabulary`, { file });
}

// ---- converters ------------------------------------------------------------------------------------

const ROBERTA_DEFAULTS: Partial<Record<SpecialRole, SpecialTokenSpec>> = {
  bos_token: { content: "<s>" },
  pad_token: { content: "<pad>" },
  eos_token: { content: "</s>" },
  unk_token: { content: "<unk>" },
  sep_token: { content: "</s>" },
  cls_token: { content: "<s>" },
  // RobertaTokenizer makes its mask token AddedToken(lstrip=True).
  mask_token: { content: "<mask>", lstrip: true },
};

const GPT2_DEFAULTS: Partial<Record<SpecialRole, SpecialTokenSpec>> = {
  bos_token: { content: "<|endoftext|>" },
  eos_token: { content: "<|endoftext|>" },
  unk_token: { content: "<|endoftext|>" },
};

const BERT_DEFAULTS: Partial<Record<SpecialRole, SpecialTokenSpec>> = {
  pad_token: { content: "[PAD]" },
  unk_token: { content: "[UNK]" },
  cls_token: { content: "[CLS]" },
  sep_token: { content: "[SEP]" },
  mask_token: { content: "[MASK]" },
};

function content(settings: TokenizerSettings, role: SpecialRole, defaults: Partial<Record<SpecialRole, SpecialTokenSpec>>): string {
  return (settings.specials[role] ?? defaults[role])?.content ?? "";
}

function byteLevelBpe(texts: Record<string, string>, dir: string, settings: TokenizerSettings, defaults: typeof ROBERTA_DEFAULTS) {
  const vocabPath = join(dir, "vocab.json");
  const vocab = readVocabJson(texts["vocab.json"], vocabPath);
  const merges = readMerges(texts["merges.txt"], join(dir, "merges.txt"), vocab);
  const added = addedTokens(vocab, settings, defaults);
  const addPrefixSpace = settings.config.add_prefix_space === true;
  return {
    vocab,
    added,
    vocabPath,
    addPrefixSpace,
    json: {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
      post_processor: null as JsonObject | null,
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: "",
        end_of_word_suffix: "",
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges,
      },
    } as JsonObject,
  };
}

/** transformers' RobertaConverter. */
const roberta: SlowConverter = {
  files: ["vocab.json", "merges.txt"],
  build(texts, dir, settings) {
    const { vocab, added, vocabPath, addPrefixSpace, json } = byteLevelBpe(texts, dir, settings, ROBERTA_DEFAULTS);
    const cls = content(settings, "cls_token", ROBERTA_DEFAULTS);
    const sep = content(settings, "sep_token", ROBERTA_DEFAULTS);
    json.post_processor = {
      type: "RobertaProcessing",
      sep: [sep, tokenId(sep, vocab, added, "sep_token", vocabPath)],
      cls: [cls, tokenId(cls, vocab, added, "cls_token", vocabPath)],
      trim_offsets: settings.config.trim_offsets !== false,
      add_prefix_space: addPrefixSpace,
    };
    return json;
  },
};

/** transformers' GPT2Converter: no special tokens unless add_bos_token. */
const gpt2: SlowConverter = {
  files: ["vocab.json", "merges.txt"],
  build(texts, dir, settings) {
    const { vocab, added, vocabPath, json } = byteLevelBpe(texts, dir, settings, GPT2_DEFAULTS);
    if (settings.config.add_bos_token === true) {
      const bos = content(settings, "bos_token", GPT2_DEFAULTS);
      json.post_processor = {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [tokenId(bos, vocab, added, "bos_token", vocabPath)], tokens: [bos] } },
      };
    } else {
      json.post_processor = { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true };
    }
    return json;
  },
};

/** transformers' BertConverter, honouring do_lower_case / tokenize_chinese_chars / strip_accents. */
const bert: SlowConverter = {
  files: ["vocab.txt"],
  build(texts, dir, settings) {
    const vocabPath = join(dir, "vocab.txt");
    const vocab = readVocabTxt(texts["vocab.txt"], vocabPath);
    const added = addedTokens(vocab, settings, BERT_DEFAULTS);
    const c = settings.config;
    const cls = content(settings, "cls_token", BERT_DEFAULTS);
    const sep = content(settings, "sep_token", BERT_DEFAULTS);
    const unk = content(settings, "unk_token", BERT_DEFAULTS);
    tokenId(unk, vocab, added, "unk_token", vocabPath);
    const clsId = tokenId(cls, vocab, added, "cls_token", vocabPath);
    const sepId = tokenId(sep, vocab, added, "sep_token", vocabPath);
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: {
        type: "BertNormalizer",
        clean_text: true,
        handle_chinese_chars: c.tokenize_chinese_chars !== false,
        strip_accents: typeof c.strip_accents === "boolean" ? c.strip_accents : null,
        lowercase: c.do_lower_case !== false,
      },
      pre_tokenizer: { type: "BertPreTokenizer" },
      post_processor: {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
        pair: [
          { SpecialToken: { id: cls, type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: sep, type_id: 0 } },
          { Sequence: { id: "B", type_id: 1 } },
          { SpecialToken: { id: sep, type_id: 1 } },
        ],
        special_tokens: {
          [cls]: { id: cls, ids: [clsId], tokens: [cls] },
          [sep]: { id: sep, ids: [sepId], tokens: [sep] },
        },
      },
      decoder: { type: "WordPiece", prefix: "##", cleanup: true },
      model: { type: "WordPiece", unk_token: unk, continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
    };
  },
};

/** tokenizer_class (without "Fast") → converter. Adding one = a row here. */
const SLOW_CONVERTERS: Record<string, SlowConverter> = {
  RobertaTokenizer: roberta,
  BartTokenizer: roberta,
  LongformerTokenizer: roberta,
  GPT2Tokenizer: gpt2,
  BertTokenizer: bert,
  DistilBertTokenizer: bert,
  ElectraTokenizer: bert,
};

const SLOW_FILES = ["vocab.json", "merges.txt", "vocab.txt"];

/**
 * The converter for this directory: by tokenizer_class when the config names one, else by the
 * files present (merges.txt → byte-level BPE, RoBERTa-style when the vocab has <s> and </s>;
 * vocab.txt → BERT WordPiece). Returns null when there is no slow file at all.
 */
export async function buildFromSlowFiles(dir: string, settings: TokenizerSettings): Promise<{ json: JsonObject; source: string } | null> {
  const texts: Record<string, string> = {};
  for (const f of SLOW_FILES) {
    const t = await readTextIfExists(join(dir, f));
    if (t !== null) texts[f] = t;
  }
  const present = Object.keys(texts);
  let converter: SlowConverter | undefined;
  if (settings.tokenizerClass !== null) {
    converter = SLOW_CONVERTERS[settings.tokenizerClass];
    if (!converter) {
      if (present.length === 0) return null;
      throw new EsciError(
        "UNSUPPORTED",
        `${join(dir, "tokenizer_config.json")}: tokenizer_class ${settings.tokenizerClass} has no tokenizer.json, and esci can only convert the slow files of ${Object.keys(SLOW_CONVERTERS).join(", ")}; save the tokenizer with a fast tokenizer (save_pretrained) to get a tokenizer.json`,
        { file: join(dir, "tokenizer_config.json"), tokenizerClass: settings.tokenizerClass },
      );
    }
  } else if (texts["merges.txt"] !== undefined || texts["vocab.json"] !== undefined) {
    const vocabText = texts["vocab.json"];
    const vocab = vocabText === undefined ? {} : parseJsonObject(vocabText, join(dir, "vocab.json"));
    converter = Object.hasOwn(vocab, "<s>") && Object.hasOwn(vocab, "</s>") ? roberta : gpt2;
  } else if (texts["vocab.txt"] !== undefined) {
    converter = bert;
  } else {
    return null;
  }
  for (const f of converter.files) {
    if (texts[f] === undefined) {
      throw new EsciError("NOT_FOUND", `${join(dir, f)} not found: without tokenizer.json, a ${settings.tokenizerClass ?? "byte-level BPE"} tokenizer needs ${converter.files.join(" and ")}`, {
        file: join(dir, f),
      });
    }
  }
  return { json: converter.build(texts, dir, settings), source: converter.files.map((f) => join(dir, f)).join(" + ") };
}
