/**
 * Training data: labelled pairs → token ids held compactly → shuffled, padded batches.
 *
 * Pairs come from the same readers `esci classify` and `esci evaluate` use (an ESCI dataset
 * directory: US locale, large version, train split; or a JSONL/CSV/Parquet pair file with
 * query, product and label). They are tokenized once, as the model's tokenizer does at inference
 * (pair encoding, longest_first truncation to max length), into one Int32Array of ids plus
 * offsets, so a 1.4M-pair training set costs a few hundred MB rather than millions of objects.
 *
 * The validation split holds out whole queries (a seeded 10% of them), so no query's products
 * are seen in training and scored in validation. Epoch e visits the training examples in a
 * Fisher–Yates order drawn from mulberry32(seed, e) — a pure function of (seed, epoch), which is
 * what lets a resumed run see the same batches. Batches are padded to their own longest row.
 */
import { EsciError } from "../errors/index.js";
import type { EsciLabel } from "../esci/labels.js";
import { openPairSource } from "../esci/pairs.js";
import { mulberry32 } from "../models/random-checkpoint.js";
import { padBatch, type Encoding, type PairTokenizer } from "../tokenizer/index.js";

export interface LabeledPair {
  query: string;
  product: string;
  label: EsciLabel;
  /** Validation holds out whole groups (query_id, else the query text). */
  group: string;
}

/** A pair whose label may be missing (distillation data needs none), with where it was read. */
export type MaybeLabeledPair = Omit<LabeledPair, "label"> & { label?: EsciLabel; file: string; row: number };

/** Reads every pair of `path` (ESCI dataset directory or pair file), labelled or not. */
export async function readPairs(path: string): Promise<MaybeLabeledPair[]> {
  const source = await openPairSource(path, { locale: "us", version: "large", split: "train" });
  const out: MaybeLabeledPair[] = [];
  for await (const batch of source.batches()) {
    for (const r of batch) out.push({ query: r.query, product: r.product, label: r.label, group: r.query_id ?? r.query, file: r.file, row: r.row });
  }
  if (out.length === 0) throw new EsciError("INVALID_INPUT", `${path}: no pairs`, { file: path });
  return out;
}

/** Reads every labelled pair of `path` (ESCI dataset directory or pair file); a row without a label is an error. */
export async function readLabeledPairs(path: string): Promise<LabeledPair[]> {
  return (await readPairs(path)).map((r) => {
    if (r.label === undefined) {
      throw new EsciError("INVALID_INPUT", `${r.file}, row ${r.row}: no label (training needs a "label" or "esci_label" column on every row)`, {
        file: r.file,
        row: r.row,
      });
    }
    return { query: r.query, product: r.product, label: r.label, group: r.group };
  });
}

/** Splits off a seeded `fraction` of the groups (queries) as validation. */
export function holdOutGroups<T extends { group: string }>(rows: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  shuffleInPlace(groups, mulberry32(seed ^ 0x5eed));
  const n = Math.max(1, Math.round(groups.length * fraction));
  if (n >= groups.length) throw new EsciError("INVALID_INPUT", `only ${groups.length} distinct queries: too few to hold out ${Math.round(fraction * 100)}% for validation (give \`validation\` pairs)`, { options: ["validation"] });
  const held = new Set(groups.slice(0, n));
  return { train: rows.filter((r) => !held.has(r.group)), validation: rows.filter((r) => held.has(r.group)) };
}

function shuffleInPlace<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/** Tokenized examples: ids of example i are ids[offsets[i] … offsets[i+1]). */
export class EncodedDataset {
  private constructor(
    private readonly offsets: Float64Array,
    private readonly ids: Int32Array,
    private readonly types: Uint8Array,
    readonly labels: Int32Array,
  ) {}

  get size(): number {
    return this.labels.length;
  }

  /** Number of tokens of example i (special tokens included). */
  length(i: number): number {
    return this.offsets[i + 1] - this.offsets[i];
  }

  encoding(i: number): Encoding {
    const a = this.offsets[i];
    const b = this.offsets[i + 1];
    return { inputIds: Array.from(this.ids.subarray(a, b)), tokenTypeIds: Array.from(this.types.subarray(a, b)) };
  }

  static fromEncodings(encodings: readonly Encoding[], labels: ArrayLike<number>): EncodedDataset {
    if (encodings.length !== labels.length) throw new Error("fromEncodings: one label per encoding");
    const offsets = new Float64Array(encodings.length + 1);
    for (let i = 0; i < encodings.length; i++) offsets[i + 1] = offsets[i] + encodings[i].inputIds.length;
    const ids = new Int32Array(offsets[encodings.length]);
    const types = new Uint8Array(ids.length);
    encodings.forEach((e, i) => {
      ids.set(e.inputIds, offsets[i]);
      types.set(e.tokenTypeIds, offsets[i]);
    });
    return new EncodedDataset(offsets, ids, types, Int32Array.from(labels));
  }

  /** Tokenizes `pairs` in chunks (bounded memory), mapping labels through `labelIds`. */
  static encode(
    pairs: readonly LabeledPair[],
    tokenizer: PairTokenizer,
    maxLength: number,
    labelIds: ReadonlyMap<EsciLabel, number>,
    onProgress?: (done: number, total: number) => void,
  ): EncodedDataset {
    const labels = new Int32Array(pairs.length);
    pairs.forEach((p, i) => {
      const id = labelIds.get(p.label);
      if (id === undefined) {
        throw new EsciError("INVALID_INPUT", `label ${p.label} of pair ("${p.query}", …) is not one of the model's labels (${[...labelIds.keys()].join(", ")})`);
      }
      labels[i] = id;
    });
    const chunks: EncodedDataset[] = [];
    const CHUNK = 4096;
    // Report the start, so a progress bar's clock starts before the first chunk, not after it.
    onProgress?.(0, pairs.length);
    for (let s = 0; s < pairs.length; s += CHUNK) {
      const part = pairs.slice(s, s + CHUNK);
      const enc = tokenizer.encodePairs(
        part.map((p) => [p.query, p.product] as const),
        maxLength,
      );
      chunks.push(EncodedDataset.fromEncodings(enc, labels.subarray(s, s + part.length)));
      onProgress?.(Math.min(s + CHUNK, pairs.length), pairs.length);
    }
    return EncodedDataset.concat(chunks);
  }

  static concat(parts: readonly EncodedDataset[]): EncodedDataset {
    const n = parts.reduce((a, p) => a + p.size, 0);
    const total = parts.reduce((a, p) => a + p.ids.length, 0);
    const offsets = new Float64Array(n + 1);
    const ids = new Int32Array(total);
    const types = new Uint8Array(total);
    const labels = new Int32Array(n);
    let i = 0;
    let t = 0;
    for (const p of parts) {
      for (let k = 0; k < p.size; k++) offsets[i + k + 1] = t + p.offsets[k + 1];
      ids.set(p.ids, t);
      types.set(p.types, t);
      labels.set(p.labels, i);
      i += p.size;
      t += p.ids.length;
    }
    return new EncodedDataset(offsets, ids, types, labels);
  }
}

/** The example order of `epoch`: seeded Fisher–Yates, or 0…n-1 without shuffling. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  const rand = mulberry32((Math.imul(seed, 0x9e3779b1) + epoch * 0x85ebca6b) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export interface TokenBatch {
  /** int64 feeds, [batch, seqLen] (labels [batch]). */
  input_ids: BigInt64Array;
  attention_mask: BigInt64Array;
  token_type_ids: BigInt64Array;
  labels: BigInt64Array;
  dims: [number, number];
  /** Non-padding tokens (for throughput figures). */
  tokens: number;
}

/** Examples `indices` of `ds`, right-padded to their longest row with `padId`. */
export function makeBatch(ds: EncodedDataset, indices: ArrayLike<number>, padId: number): TokenBatch {
  const rows = Array.from(indices, (i) => ds.encoding(i));
  const p = padBatch(rows, padId);
  let tokens = 0;
  for (const r of rows) tokens += r.inputIds.length;
  return {
    input_ids: p.inputIds,
    attention_mask: p.attentionMask,
    token_type_ids: p.tokenTypeIds,
    labels: BigInt64Array.from(Array.from(indices, (i) => BigInt(ds.labels[i]))),
    dims: [p.batch, p.seqLen],
    tokens,
  };
}
