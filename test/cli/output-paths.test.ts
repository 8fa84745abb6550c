/**
 * Every command that writes refuses a bad output path before any model loads (issue 14 items 1–2):
 * the input itself (same path, a symbolic link to it, a hard link to it), a directory where a file
 * goes, a file where a directory goes, a parent that is a file, a place it may not write.
 *
 * Each command gets a model path that does not exist: had the model been loaded first, the exit
 * would be NOT_FOUND (4) instead of INVALID_ARGUMENT (2). The input must be unchanged and nothing
 * may be left next to the output.
 */
import assert from "node:assert/strict";
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import { runEsci, unprivileged } from "../helpers/cli.js";

let work: string;
let input: string;
const PAIRS = '{"query":"usb cable","product":"USB-C cable 2 m","label":"E","id":"p1","title":"USB-C cable 2 m"}\n';

before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-outpath-"));
  chmodSync(work, 0o755); // readable by the unprivileged user of the permission case
  input = join(work, "pairs.jsonl");
  writeFileSync(input, PAIRS);
  chmodSync(input, 0o644);
  writeFileSync(join(work, "a-file"), "not a directory\n");
  mkdirSync(join(work, "a-dir"));
  mkdirSync(join(work, "read-only"));
  chmodSync(join(work, "read-only"), 0o555);
  mkdirSync(join(work, "closed"));
  chmodSync(join(work, "closed"), 0o700); // the unprivileged user may not even look inside
  symlinkSync(input, join(work, "link-to-input.jsonl"));
  linkSync(input, join(work, "hard-link-to-input.jsonl"));
});
after(() => rmSync(work, { recursive: true, force: true }));

const missingModel = () => join(work, "no-such-model");

interface Writer {
  command: string;
  /** "file" or "directory": what the command writes at the path. */
  kind: "file" | "directory";
  flag: string;
  args(out: string): string[];
}

const WRITERS: Writer[] = [
  { command: "predict", kind: "file", flag: "--output", args: (o) => ["predict", "--model", missingModel(), "--input", input, "--output", o] },
  { command: "classify", kind: "file", flag: "--output", args: (o) => ["classify", "--model", missingModel(), "--input", input, "--output", o] },
  { command: "evaluate", kind: "directory", flag: "--report", args: (o) => ["evaluate", "--model", missingModel(), "--data", input, "--report", o] },
  {
    command: "evaluate --store",
    kind: "directory",
    flag: "--report",
    args: (o) => ["evaluate", "--task", "1", "--store", `sqlite:${join(work, "no-store.db")}`, "--model", missingModel(), "--data", input, "--report", o],
  },
  { command: "train", kind: "directory", flag: "--output", args: (o) => ["train", "--base", missingModel(), "--data", input, "--output", o] },
  { command: "index", kind: "file", flag: "--store", args: (o) => ["index", "--catalog", input, "--embed-model", missingModel(), "--store", `sqlite:${o}`] },
];

const CASES: { name: string; out: () => string; message: RegExp; kinds?: Writer["kind"][]; user?: boolean }[] = [
  { name: "the input file itself", out: () => input, message: /is the input .*pairs\.jsonl, which writing would replace/ },
  { name: "a symbolic link to the input", out: () => join(work, "link-to-input.jsonl"), message: /is the input .* \(through a symbolic link\)/ },
  { name: "a hard link to the input", out: () => join(work, "hard-link-to-input.jsonl"), message: /is the input .* \(a hard link to it\)/ },
  { name: "an existing directory", out: () => join(work, "a-dir"), message: /a-dir: is a directory; give a file path/, kinds: ["file"] },
  { name: "an existing file", out: () => join(work, "a-file"), message: /a-file: exists and is not a directory/, kinds: ["directory"] },
  { name: "a path whose parent is a file", out: () => join(work, "a-file", "out.jsonl"), message: /its parent .*a-file is a file, not a directory/ },
  { name: "a place it may not write", out: () => join(work, "read-only", "out.jsonl"), message: /cannot write in .*read-only \(permission denied\)/, user: true },
  { name: "a place behind a directory it may not search", out: () => join(work, "closed", "sub", "out.jsonl"), message: /cannot be reached \(permission denied/, user: true },
];

describe("output paths are checked before any model loads", { timeout: 900_000 }, () => {
  for (const w of WRITERS) {
    for (const c of CASES) {
      if (c.kinds && !c.kinds.includes(w.kind)) continue;
      it(`${w.command} ${w.flag}: refuses ${c.name}`, async () => {
        const before = readdirSync(work).sort();
        const out = c.out();
        const r = await runEsci(w.args(out), c.user ? unprivileged() : {});
        assert.equal(r.code, ERROR_TABLE.INVALID_ARGUMENT.exitCode, r.stderr);
        assert.ok(r.stderr.startsWith(`esci: ${w.flag} ${out}: `), r.stderr);
        assert.match(r.stderr, c.message);
        assert.doesNotMatch(r.stderr, /internal error|no-such-model/);
        assert.equal(readFileSync(input, "utf8"), PAIRS, "the input is unchanged");
        assert.deepEqual(readdirSync(work).sort(), before, "nothing was created next to the output");
        assert.deepEqual(readdirSync(join(work, "a-dir")), []);
      });
    }
  }
});
