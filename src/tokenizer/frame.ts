/**
 * Special-token frames: where tokenizer.json's post-processor puts its special tokens around one
 * sequence or a pair, and which token type ids each part gets.
 *
 * The frame is read from the file (cls/sep ids, templates), never hard-coded per model family, and
 * applied by esci itself after truncation, so that truncation sees the same budget as the Rust
 * `TokenizerImpl::post_process` (max_length minus `added_tokens(is_pair)`).
 * Type ids follow the Rust processors: RobertaProcessing sets every type id to 0 ("Roberta is
 * weird"), BertProcessing gives the second sequence and its [SEP] type 1, TemplateProcessing uses
 * the template's type ids, and no processor (or ByteLevel) concatenates with types 0 then 1.
 */
import { EsciError } from "../errors/index.js";
import type { Encoding } from "./types.js";

/** One piece of a template: fixed special ids, or one of the two sequences. */
export type FramePiece =
  | { readonly kind: "special"; readonly ids: readonly number[]; readonly typeId: number }
  | { readonly kind: "sequence"; readonly index: 0 | 1; readonly typeId: number };

export interface Frame {
  readonly single: readonly FramePiece[];
  readonly pair: readonly FramePiece[];
  /** Number of special tokens the single / pair template adds (the truncation budget's cost). */
  readonly addedSingle: number;
  readonly addedPair: number;
}

type JsonObject = Record<string, unknown>;

function special(ids: number[], typeId = 0): FramePiece {
  return { kind: "special", ids, typeId };
}

function sequence(index: 0 | 1, typeId = 0): FramePiece {
  return { kind: "sequence", index, typeId };
}

function countAdded(pieces: readonly FramePiece[]): number {
  let n = 0;
  for (const p of pieces) if (p.kind === "special") n += p.ids.length;
  return n;
}

function makeFrame(single: FramePiece[], pair: FramePiece[]): Frame {
  return { single, pair, addedSingle: countAdded(single), addedPair: countAdded(pair) };
}

/** `["</s>", 2]` → 2, naming the field when it is not a [token, id] pair. */
function tokenIdPair(value: unknown, field: string, file: string): number {
  if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[1])) return value[1] as number;
  throw new EsciError("CORRUPT_FILE", `${file}: post_processor.${field} must be a [token, id] pair, got ${JSON.stringify(value)}`, {
    file,
    field: `post_processor.${field}`,
  });
}

function templateFrame(pp: JsonObject, file: string): Frame {
  const specials = (pp.special_tokens ?? {}) as Record<string, { ids?: unknown }>;
  const read = (key: "single" | "pair"): FramePiece[] => {
    const items = pp[key];
    if (!Array.isArray(items)) {
      throw new EsciError("CORRUPT_FILE", `${file}: post_processor.${key} must be a list of template pieces`, {
        file,
        field: `post_processor.${key}`,
      });
    }
    return items.map((item: JsonObject, i): FramePiece => {
      const sp = item?.SpecialToken as { id?: string; type_id?: number } | undefined;
      const seq = item?.Sequence as { id?: string; type_id?: number } | undefined;
      if (sp && typeof sp.id === "string") {
        const ids = specials[sp.id]?.ids;
        if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) {
          throw new EsciError("CORRUPT_FILE", `${file}: post_processor.special_tokens has no ids for "${sp.id}"`, {
            file,
            field: "post_processor.special_tokens",
          });
        }
        return special(ids as number[], sp.type_id ?? 0);
      }
      if (seq && (seq.id === "A" || seq.id === "B")) return sequence(seq.id === "A" ? 0 : 1, seq.type_id ?? 0);
      throw new EsciError("CORRUPT_FILE", `${file}: post_processor.${key}[${i}] is neither a SpecialToken nor a Sequence`, {
        file,
        field: `post_processor.${key}`,
      });
    });
  };
  return makeFrame(read("single"), read("pair"));
}

/** No post-processor: the sequences are concatenated, the second one with type id 1. */
const PLAIN_FRAME = makeFrame([sequence(0)], [sequence(0), sequence(1, 1)]);

/** Post-processor type → frame reader. Adding one = a row here. */
const FRAME_READERS: Record<string, (pp: JsonObject, file: string) => Frame> = {
  RobertaProcessing: (pp, file) => {
    const cls = tokenIdPair(pp.cls, "cls", file);
    const sep = tokenIdPair(pp.sep, "sep", file);
    return makeFrame(
      [special([cls]), sequence(0), special([sep])],
      [special([cls]), sequence(0), special([sep, sep]), sequence(1), special([sep])],
    );
  },
  BertProcessing: (pp, file) => {
    const cls = tokenIdPair(pp.cls, "cls", file);
    const sep = tokenIdPair(pp.sep, "sep", file);
    return makeFrame(
      [special([cls]), sequence(0), special([sep])],
      [special([cls]), sequence(0), special([sep]), sequence(1, 1), special([sep], 1)],
    );
  },
  TemplateProcessing: templateFrame,
  // ByteLevel only trims offsets; with no special tokens the plain concatenation applies.
  ByteLevel: () => PLAIN_FRAME,
  Sequence: (pp, file) => {
    const framing = ((pp.processors ?? []) as JsonObject[]).filter((p) => p?.type !== "ByteLevel");
    if (framing.length > 1) {
      throw new EsciError("UNSUPPORTED", `${file}: a Sequence post_processor with more than one token-adding processor is not supported`, {
        file,
      });
    }
    return framing.length === 0 ? PLAIN_FRAME : frameFromPostProcessor(framing[0], file);
  },
};

/** Reads tokenizer.json's `post_processor` (null → plain concatenation). */
export function frameFromPostProcessor(pp: unknown, file: string): Frame {
  if (pp === null || pp === undefined) return PLAIN_FRAME;
  const type = (pp as JsonObject).type;
  const reader = typeof type === "string" ? FRAME_READERS[type] : undefined;
  if (!reader) {
    throw new EsciError("UNSUPPORTED", `${file}: post_processor type ${JSON.stringify(type)} is not supported (known: ${Object.keys(FRAME_READERS).join(", ")})`, {
      file,
      field: "post_processor.type",
    });
  }
  return reader(pp as JsonObject, file);
}

/**
 * Builds ids and type ids of `pieces` around the first `lenA` tokens of `a` and `lenB` of `b`,
 * into arrays allocated once at their final size.
 */
export function applyFrame(
  pieces: readonly FramePiece[],
  a: readonly number[],
  lenA: number,
  b: readonly number[] | null,
  lenB: number,
): Encoding {
  let total = 0;
  for (const p of pieces) total += p.kind === "special" ? p.ids.length : p.index === 0 ? lenA : lenB;
  const inputIds = new Array<number>(total);
  const tokenTypeIds = new Array<number>(total);
  let k = 0;
  for (const p of pieces) {
    if (p.kind === "special") {
      for (const id of p.ids) {
        inputIds[k] = id;
        tokenTypeIds[k++] = p.typeId;
      }
    } else {
      const src = p.index === 0 ? a : (b as readonly number[]);
      const n = p.index === 0 ? lenA : lenB;
      for (let i = 0; i < n; i++) {
        inputIds[k] = src[i];
        tokenTypeIds[k++] = p.typeId;
      }
    }
  }
  return { inputIds, tokenTypeIds };
}
