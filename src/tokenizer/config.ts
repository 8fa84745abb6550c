/**
 * What tokenizer_config.json and special_tokens_map.json say: special tokens, model_max_length,
 * tokenizer_class and the slow tokenizers' options. special_tokens_map.json wins over
 * tokenizer_config.json, as in transformers' `from_pretrained`.
 */
import { join } from "node:path";
import { readJsonIfExists, type JsonObject } from "./files.js";

export const SPECIAL_ROLES = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;
export type SpecialRole = (typeof SPECIAL_ROLES)[number];

export interface SpecialTokenSpec {
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  singleWord?: boolean;
  normalized?: boolean;
}

export interface TokenizerSettings {
  /** tokenizer_config.json as written ({} when absent); handed to @huggingface/tokenizers too. */
  config: JsonObject;
  specials: Partial<Record<SpecialRole, SpecialTokenSpec>>;
  /** `added_tokens_decoder` of tokenizer_config.json (transformers ≥ 4.34), id → token. */
  addedTokensDecoder: Map<number, SpecialTokenSpec & { special: boolean }> | null;
  /** model_max_length, or null when unset or absurd (transformers writes int(1e30) for "none"). */
  modelMaxLength: number | null;
  /** tokenizer_class without a trailing "Fast" ("RobertaTokenizerFast" → "RobertaTokenizer"). */
  tokenizerClass: string | null;
  /** config.json's model_type beside the tokenizer files, when there is one (AutoTokenizer's fallback). */
  modelType: string | null;
}

/** Above this, model_max_length means "no limit" (transformers' VERY_LARGE_INTEGER is 1e30). */
const UNSET_MODEL_MAX_LENGTH = 1e9;

/** A token as tokenizer configs spell it: "<s>", or {content, lstrip, …} (maybe with __type). */
function tokenSpec(value: unknown): SpecialTokenSpec | null {
  if (typeof value === "string") return { content: value };
  if (value && typeof value === "object" && typeof (value as JsonObject).content === "string") {
    const v = value as JsonObject;
    return {
      content: v.content as string,
      lstrip: v.lstrip === true,
      rstrip: v.rstrip === true,
      singleWord: v.single_word === true,
      normalized: typeof v.normalized === "boolean" ? v.normalized : undefined,
    };
  }
  return null;
}

export async function readTokenizerSettings(dir: string): Promise<TokenizerSettings> {
  const config = (await readJsonIfExists(join(dir, "tokenizer_config.json"))) ?? {};
  const map = (await readJsonIfExists(join(dir, "special_tokens_map.json"))) ?? {};
  const specials: TokenizerSettings["specials"] = {};
  for (const role of SPECIAL_ROLES) {
    const spec = tokenSpec(map[role]) ?? tokenSpec(config[role]);
    if (spec) specials[role] = spec;
  }
  let addedTokensDecoder: TokenizerSettings["addedTokensDecoder"] = null;
  const decoder = config.added_tokens_decoder;
  if (decoder && typeof decoder === "object") {
    addedTokensDecoder = new Map();
    for (const [id, value] of Object.entries(decoder as JsonObject)) {
      const spec = tokenSpec(value);
      if (spec && Number.isInteger(Number(id))) {
        addedTokensDecoder.set(Number(id), { ...spec, special: (value as JsonObject).special === true });
      }
    }
  }
  const mml = config.model_max_length;
  const modelMaxLength = typeof mml === "number" && Number.isInteger(mml) && mml > 0 && mml < UNSET_MODEL_MAX_LENGTH ? mml : null;
  const cls = typeof config.tokenizer_class === "string" ? config.tokenizer_class.replace(/Fast$/, "") : null;
  return { config, specials, addedTokensDecoder, modelMaxLength, tokenizerClass: cls, modelType: null };
}
