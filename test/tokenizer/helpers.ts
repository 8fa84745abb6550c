/** Fixture access for the tokenizer tests: committed models and references, temp copies to edit. */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EsciError, type ErrorCode } from "../../src/errors/index.js";

// dist/test/tokenizer/helpers.js → repo root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures");

export const modelDir = (name: string): string => join(FIXTURES, "models", name);

export interface PairCase {
  query: string;
  product: string;
  max_length?: number;
  input_ids: number[];
  token_type_ids?: number[];
}
export interface TextCase {
  text: string;
  max_length?: number;
  input_ids: number[];
}
export interface Reference<C> {
  model: string;
  max_length: number;
  cases: C[];
}

export function reference<C>(name: string): Reference<C> {
  return JSON.parse(readFileSync(join(FIXTURES, "reference", `${name}.json`), "utf8")) as Reference<C>;
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** The position-table cap the model layer passes: RoBERTa positions start at pad + 1. */
export function maxPositions(name: string): number {
  const cfg = readJson<{ model_type: string; max_position_embeddings: number; pad_token_id: number }>(join(modelDir(name), "config.json"));
  return cfg.model_type === "roberta" ? cfg.max_position_embeddings - (cfg.pad_token_id + 1) : cfg.max_position_embeddings;
}

/** id → token string of a fixture's vocabulary (vocab.json or vocab.txt). */
export function inverseVocab(name: string): Map<number, string> {
  const dir = modelDir(name);
  const files = readdirSync(dir);
  const inv = new Map<number, string>();
  if (files.includes("vocab.json")) {
    for (const [t, id] of Object.entries(readJson<Record<string, number>>(join(dir, "vocab.json")))) inv.set(id, t);
  } else {
    readFileSync(join(dir, "vocab.txt"), "utf8")
      .split("\n")
      .forEach((t, i) => inv.set(i, t));
  }
  return inv;
}

/**
 * A temp copy of a fixture's files (`drop` left out, `write` added or replaced), removed by the
 * returned cleanup.
 */
export function tempModel(from: string | null, opts: { drop?: string[]; write?: Record<string, string | object> } = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "esci-tok-"));
  if (from !== null) {
    for (const f of readdirSync(modelDir(from))) {
      const src = join(modelDir(from), f);
      if (statSync(src).isFile() && !(opts.drop ?? []).includes(f)) copyFileSync(src, join(dir, f));
    }
  }
  for (const [f, content] of Object.entries(opts.write ?? {})) {
    writeFileSync(join(dir, f), typeof content === "string" ? content : JSON.stringify(content));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** For assert.rejects: an EsciError with this code whose message contains every fragment. */
export function esciError(code: ErrorCode, ...fragments: string[]): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof EsciError)) throw new Error(`expected an EsciError, got ${String(e)}`);
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    for (const f of fragments) if (!e.message.includes(f)) throw new Error(`message lacks ${JSON.stringify(f)}: ${e.message}`);
    return true;
  };
}
