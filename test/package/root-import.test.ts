/**
 * `import "esci"` stays light: the root pulls in the models and the ESCI toolkit, never the HTTP
 * framework, the trainer or the database drivers (those are the `esci/server`, `esci/train` and
 * `esci/search` subpath exports). The test walks the compiled import graph from the package's
 * root entry, following relative imports and collecting bare package names, as Node would load them.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { REPO_ROOT } from "../helpers/paths.js";

// Static `import … from "x"`, `export … from "x"`, side-effect `import "x"` and `import("x")`.
const SPECIFIER = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

function walk(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    }
  }
  return { files, packages };
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: Record<string, { default: string }> };

test("the root entry loads neither fastify, the trainer, the server, search nor database drivers", () => {
  const { files, packages } = walk(join(REPO_ROOT, pkg.exports["."].default));
  const srcFiles = [...files].map((f) => relative(join(REPO_ROOT, "dist/src"), f));
  for (const folder of ["server/", "train/", "autodiff/", "search/", "cli/"]) {
    assert.deepEqual(srcFiles.filter((f) => f.startsWith(folder)), [], `root import reaches ${folder}`);
  }
  for (const heavy of ["fastify", "@fastify/cors", "better-sqlite3", "sqlite-vec", "pg"]) {
    assert.ok(!packages.has(heavy), `root import pulls in ${heavy}`);
  }
  // What it does load: the models (ONNX Runtime, the tokenizer) and the toolkit's Parquet reader.
  assert.ok(packages.has("onnxruntime-node"));
  assert.ok(srcFiles.includes("esci/index.js"));
});

test("each subpath export loads what it names", () => {
  assert.ok(walk(join(REPO_ROOT, pkg.exports["./server"].default)).packages.has("fastify"));
  assert.ok(walk(join(REPO_ROOT, pkg.exports["./search"].default)).packages.has("better-sqlite3"));
  const train = walk(join(REPO_ROOT, pkg.exports["./train"].default)).files;
  assert.ok([...train].some((f) => f.includes("/autodiff/")), "esci/train builds training graphs");
});
