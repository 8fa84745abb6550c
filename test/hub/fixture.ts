/**
 * A tiny sentence-transformers-style BERT repo for the mock hub, and helpers shared by the hub
 * tests. `main` and `dev` share tokenizer and weights (so `dev` exercises blob reuse across
 * commits); files esci must not fetch (pytorch_model.bin, onnx/, README.md) are there too.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { gitBlobSha1, type MockFile, type MockRepo } from "../helpers/mock-hub.js";

export const REPO = "acme/tiny-bert";
export const MAIN = gitBlobSha1("commit main");
export const DEV = gitBlobSha1("commit dev");

/** Deterministic pseudo-random bytes (xorshift), large enough to need several chunks. */
export function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const weights: MockFile = { path: "model.safetensors", content: bytes(300_000, 7), lfs: true };
const common: MockFile[] = [
  { path: "tokenizer.json", content: JSON.stringify({ version: "1.0", model: { type: "WordPiece" } }) },
  { path: "tokenizer_config.json", content: JSON.stringify({ do_lower_case: true }) },
  { path: "special_tokens_map.json", content: JSON.stringify({ cls_token: "[CLS]" }) },
  { path: "vocab.txt", content: "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n" },
  { path: "modules.json", content: JSON.stringify([{ idx: 0, path: "", type: "Transformer" }]) },
  { path: "1_Pooling/config.json", content: JSON.stringify({ pooling_mode_mean_tokens: true }) },
  weights,
  { path: "pytorch_model.bin", content: bytes(5_000, 3), lfs: true },
  { path: "onnx/model.onnx", content: bytes(5_000, 5), lfs: true },
  { path: "README.md", content: "# tiny-bert\n" },
  { path: ".gitattributes", content: "*.safetensors filter=lfs\n" },
];

export const MAIN_FILES: MockFile[] = [{ path: "config.json", content: JSON.stringify({ model_type: "bert", hidden_size: 32 }) }, ...common];
export const DEV_FILES: MockFile[] = [{ path: "config.json", content: JSON.stringify({ model_type: "bert", hidden_size: 64 }) }, ...common];

/** What the default allow patterns must select from this repo. */
export const EXPECTED_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.txt",
  "modules.json",
  "1_Pooling/config.json",
  "model.safetensors",
];

export function tinyRepo(extra: Partial<MockRepo> = {}): MockRepo {
  return { id: REPO, commits: { [MAIN]: MAIN_FILES, [DEV]: DEV_FILES }, refs: { main: MAIN, dev: DEV, "v1.0": MAIN }, ...extra };
}

export function fileOf(files: MockFile[], path: string): MockFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`fixture has no ${path}`);
  return f;
}

/** A fresh cache directory, removed when the test file ends. */
export async function tempDir(prefix = "esci-hub-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every path under `dir` (relative, "/"-separated), for asserting what is and is not in the cache. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}

/** Fast retries for tests: the backoff is real code, only shorter. */
export const FAST_RETRY = { attempts: 3, baseDelayMs: 5 };
