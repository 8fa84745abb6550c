/**
 * io/atomic.ts: unique temporary names (two writers of one target never share a file), no
 * leftovers after success or failure, the old file intact when a write fails — and the rule that
 * it is the only module in src/ that renames files into place (no documented exceptions today).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { tempSibling, writeFileAtomic, writeFileAtomicSync } from "../../src/io/atomic.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { scanSource, tsFiles } from "../helpers/source-scan.js";

const root = mkdtempSync(join(tmpdir(), "esci-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * Whether a module can rename files: it imports rename/renameSync from fs (named, aliased or by
 * destructuring), or calls `.rename`/`.renameSync` on something (fs, fs.promises, a namespace import).
 * Comments and strings do not count; a local function called `rename` does not either.
 */
function renamesFiles(src: string): boolean {
  const { code } = scanSource(src);
  const namedImport = /import\s*(type\s+)?\{[^}]*\brename(Sync)?\b[^}]*\}\s*from\s*["'](node:)?fs(\/promises)?["']/.test(src);
  const destructured = /\{[^}]*\brename(Sync)?\b[^}]*\}\s*=/.test(code);
  const member = /\.\s*rename(Sync)?\b/.test(code);
  return namedImport || destructured || member;
}

describe("atomic writes", () => {
  it("gives every writer its own hidden temporary name next to the target", () => {
    const a = tempSibling(join(root, "out.jsonl"));
    const b = tempSibling(join(root, "out.jsonl"));
    assert.notEqual(a, b);
    for (const t of [a, b]) assert.match(relative(root, t), /^\.out\.jsonl\.\d+-[0-9a-f]{12}\.tmp$/);
  });

  it("lets concurrent writers of one file finish with one complete copy and no leftovers", async () => {
    const dir = mkdtempSync(join(root, "race-"));
    const target = join(dir, "report.json");
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, pad: "x".repeat(50_000 + i) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(target, b)));
    assert.ok(bodies.includes(readFileSync(target, "utf8")), "the file is one writer's complete content");
    assert.deepEqual(readdirSync(dir), ["report.json"]);
  });

  it("keeps the old file and removes its temporary when a synchronous writer throws", () => {
    const dir = mkdtempSync(join(root, "fail-"));
    const target = join(dir, "model.safetensors");
    writeFileSync(target, "old");
    assert.throws(
      () =>
        writeFileAtomicSync(target, () => {
          throw new Error("disk full");
        }),
      /disk full/,
    );
    assert.equal(readFileSync(target, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
    writeFileAtomicSync(target, "new");
    assert.equal(readFileSync(target, "utf8"), "new");
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  });

  it("is the only module in src/ that renames files into place", () => {
    const renamers = tsFiles(join(REPO_ROOT, "src"))
      .filter((f) => renamesFiles(readFileSync(f, "utf8")))
      .map((f) => relative(REPO_ROOT, f).split("\\").join("/"));
    assert.ok(renamers.length > 0 && tsFiles(join(REPO_ROOT, "src")).length > 100);
    assert.deepEqual(renamers, ["src/io/atomic.ts"]);
  });

  it("the rename detector sees each way of reaching fs.rename, and not a local function of that name", () => {
    const yes = [
      'import { mkdir, rename } from "node:fs/promises";',
      "import { renameSync as mv } from 'fs';",
      'import * as fs from "node:fs";\nfs.renameSync(a, b);',
      'import { promises } from "node:fs";\nawait promises.rename(a, b);',
      'const { rename } = await import("node:fs/promises");',
    ];
    for (const src of yes) assert.equal(renamesFiles(src), true, src);
    const no = ["let rename = (n: string) => n;\nrename(x);", "// fs.rename(a, b) in a comment", 'const s = "then .rename( it";'];
    for (const src of no) assert.equal(renamesFiles(src), false, src);
  });
});
