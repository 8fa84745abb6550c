/**
 * The dependency picture of README's "How it works", checked against the imports of src/: each
 * top-level folder imports only the folders the picture puts below it (models/ never imports the
 * features or the edges above it), and every inference call reaches ONNX Runtime through the one
 * batching engine (models/engine/): no other module runs a model session or builds a batching
 * queue — the server holds none of its own.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../helpers/paths.js";

const SRC = join(REPO_ROOT, "src");

/** Folder → the folders it may import (errors/ is open to all). The README's picture, as a table. */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  io: [],
  tokenizer: [],
  hub: ["io"],
  safetensors: ["io"],
  onnx: ["io"],
  autodiff: ["onnx"],
  models: ["hub", "onnx", "safetensors", "tokenizer"],
  esci: ["io", "models"],
  search: ["esci", "io", "models", "tokenizer"],
  train: ["autodiff", "esci", "hub", "io", "models", "onnx", "safetensors", "tokenizer"],
  jobs: ["esci", "hub", "io", "models", "onnx"],
  server: ["esci", "models", "search", "tokenizer"],
  cli: ["esci", "hub", "io", "jobs", "models", "search", "server", "tokenizer", "train"],
  "index.ts": ["esci", "hub", "models"],
};

function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(SRC, f));
}

/** `src/x/…` → "x"; `src/index.ts` → "index.ts". */
function folderOf(file: string): string {
  return relative(SRC, file).split("/")[0];
}

const SPECIFIER = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/gm;

test("each folder of src/ imports only what README's dependency picture puts below it", () => {
  const wrong: string[] = [];
  for (const file of sources()) {
    const from = folderOf(file);
    assert.ok(from in ALLOWED, `${relative(REPO_ROOT, file)}: folder ${from} is not in the picture`);
    for (const m of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const to = folderOf(resolve(dirname(file), m[1] ?? m[2]));
      if (to !== from && to !== "errors" && !ALLOWED[from].includes(to)) wrong.push(`${relative(REPO_ROOT, file)} imports ${to}/`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("one road to ONNX Runtime: only models/engine runs a model session or builds a batching queue", () => {
  const found: string[] = [];
  for (const file of sources()) {
    const rel = relative(SRC, file);
    // onnx/ is the session itself; train/ runs its own training and evaluation graphs.
    if (rel.startsWith("onnx/") || rel.startsWith("train/")) continue;
    const text = readFileSync(file, "utf8");
    if (/\bsession\.run\(/.test(text)) found.push(`${rel}: session.run`);
    if (/\bnew BatchQueue\(/.test(text)) found.push(`${rel}: new BatchQueue`);
  }
  assert.deepEqual(found, ["models/engine/engine.ts: new BatchQueue", "models/engine/run.ts: session.run"]);
});
