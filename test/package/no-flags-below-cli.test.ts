/**
 * Errors are worded at the edges (issue 15): no string literal in src/ outside cli/ and server/
 * names a command-line flag. Lower layers name the API's options in backticks and list them in
 * the error's details; cli/option-flags.ts words them as flags and server/errors.ts as JSON fields.
 *
 * What counts: every string literal and every literal piece of a template string (the text between
 * its `${…}` expressions) in src/**\/*.ts, outside src/cli/ and src/server/, holding `--name` (two
 * dashes and a letter, not glued to a word: "models--org--name", the Hugging Face cache's folder
 * names, is no flag) or ending in `--` right before an expression (a flag spelled from a variable).
 *
 * What does not count: comments. They document how the code is driven, and `esci index --queue`
 * in a module comment says which command runs the module; no user reads them as a message.
 *
 * Exceptions, each with its reason, in EXCEPTIONS below: a flag of another program that a message
 * tells the user to run.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { commands } from "../../src/cli/commands.js";
import { OPTION_FLAGS, cliMessage } from "../../src/cli/option-flags.js";
import { EsciError } from "../../src/errors/index.js";
import { toHttpError } from "../../src/server/errors.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { scanSource, tsFiles } from "../helpers/source-scan.js";

const EDGES = ["src/cli/", "src/server/"];

/** Documented exceptions: file and the flag it may name. */
const EXCEPTIONS: { file: string; flag: string; why: string }[] = [
  {
    file: "src/hub/cache.ts",
    flag: "--revision",
    why: "hfDownloadCommand spells the `huggingface-cli download` command that fills the Hugging Face cache; --revision is huggingface-cli's flag, not esci's",
  },
];

const FLAG = /(?<![\w-])--[A-Za-z][\w-]*/g;
const DYNAMIC_FLAG = /(?<![\w-])--$/;

const rel = (f: string) => relative(REPO_ROOT, f).split("\\").join("/");
const belowEdges = tsFiles(join(REPO_ROOT, "src")).filter((f) => !EDGES.some((e) => rel(f).startsWith(e)));

/** Every flag named in a string literal of `src`: [line, flag]. */
function flagsIn(src: string): [number, string][] {
  const out: [number, string][] = [];
  for (const s of scanSource(src).strings) {
    for (const m of s.text.matchAll(FLAG)) out.push([s.line, m[0]]);
    if (s.beforeExpression && DYNAMIC_FLAG.test(s.text)) out.push([s.line, "--${…}"]);
  }
  return out;
}

describe("no CLI flags below cli/ and server/", () => {
  it("the scanner finds flags in every kind of string literal, and none in comments or regexes", () => {
    const sample = [
      "// a comment naming --comment-flag",
      "/* a block comment with --block-flag */",
      "const a = 'single --single';",
      'const b = "double --double";',
      "const c = `template --template ${x ? `nested --nested` : \"\"} tail --tail`;",
      "const d = `dynamic --${name}`;",
      "const e = /regex --regex/.test(s) ? 1 : 2 / 3;",
      "const f = [\"models--org--name\", \"a -- b\", \"'--'\", id.split(\"--\"), `models--${org}`];",
      "const g = { k: `${{ a: 1 }.a} after --after` };",
    ].join("\n");
    assert.deepEqual(flagsIn(sample), [
      [3, "--single"],
      [4, "--double"],
      [5, "--template"],
      [5, "--nested"],
      [5, "--tail"],
      [6, "--${…}"],
      [9, "--after"],
    ]);
  });

  it("src/ outside cli/ and server/ names no flag in a string literal, apart from the documented exceptions", () => {
    assert.ok(belowEdges.length > 100, `scanned ${belowEdges.length} files`);
    const found: string[] = [];
    const excused = new Set<string>();
    for (const f of belowEdges) {
      for (const [line, flag] of flagsIn(readFileSync(f, "utf8"))) {
        const ex = EXCEPTIONS.find((x) => x.file === rel(f) && x.flag === flag);
        if (ex) excused.add(`${ex.file} ${ex.flag}`);
        else found.push(`${rel(f)}:${line}: ${flag}`);
      }
    }
    assert.deepEqual(found, []);
    // An exception that no longer matches anything is stale: remove it.
    assert.deepEqual([...excused].sort(), EXCEPTIONS.map((x) => `${x.file} ${x.flag}`).sort());
  });
});

describe("options worded at the edges", () => {
  const e = new EsciError("INVALID_ARGUMENT", "`only` needs the cross-encoder's labels: drop `rerank: false`; `rerankCandidates` must be ≤ 10, got 11; see `esci index`", {
    option: "rerankCandidates",
    options: ["only", "rerank"],
    value: 11,
  });

  it("the CLI words options as flags, values included", () => {
    assert.equal(cliMessage(e), "--only needs the cross-encoder's labels: drop --no-rerank; --rerank-candidates must be ≤ 10, got 11; see `esci index`");
    const withValues = new EsciError("INVALID_INPUT", 'pass `onError: "skip"`, `labels: ["E", "S", "C", "I"]`, `resume: true`, `layers: 3`; `validationFraction` has no flag', {
      options: ["onError", "labels", "resume", "layers", "validationFraction"],
    });
    assert.equal(cliMessage(withValues), "pass --on-error skip, --labels E,S,C,I, --resume, --layers 3; `validationFraction` has no flag");
    // Backticked names the details do not list are left alone.
    assert.equal(cliMessage(new EsciError("INVALID_ARGUMENT", "`labels` and `output`", { option: "labels" })), "--labels and `output`");
  });

  it("the server words them as JSON fields (and its setup options as serve flags), in the message and the details", () => {
    const h = toHttpError(e);
    assert.equal(h.status, 422);
    assert.equal(h.body.error, "`only` needs the cross-encoder's labels: drop \"rerank\": false; `rerank_candidates` must be ≤ 10, got 11; see `esci index`");
    assert.deepEqual(h.body.details, { value: 11, field: "rerank_candidates", fields: ["only", "rerank"] });
    const setup = toHttpError(new EsciError("CONFLICT", 'embed them with "m" (`embedder`)', { option: "embedder", store: "sqlite:x" }));
    assert.equal(setup.body.error, 'embed them with "m" (--embed-model)');
    assert.deepEqual(setup.body.details, { store: "sqlite:x", setting: "--embed-model" });
  });

  it("every flag of the table is a flag of some command", async () => {
    const helps = (await Promise.all(Object.values(commands).map((load) => load()))).map((c) => c.help).join("\n");
    const accepted = new Set(helps.match(FLAG));
    const missing = Object.entries(OPTION_FLAGS).filter(([, flag]) => !accepted.has(flag));
    assert.deepEqual(missing, []);
  });

  it("every option a lower layer names in backticks has a flag, or is one that only the API sets", () => {
    // Options without a flag: the CLI prints their API name.
    const apiOnly = new Set(["validationFraction"]);
    const named = new Map<string, string>();
    for (const f of belowEdges) {
      for (const s of scanSource(readFileSync(f, "utf8")).strings) {
        for (const m of s.text.matchAll(/`([a-z][A-Za-z0-9]*)(?::[^`]*)?`/g)) named.set(m[1], `${rel(f)}:${s.line}`);
      }
    }
    assert.ok(named.has("rerank") && named.has("labels"), [...named.keys()].join(", "));
    const unmapped = [...named].filter(([o]) => !Object.hasOwn(OPTION_FLAGS, o) && !apiOnly.has(o)).map(([o, at]) => `${o} (${at})`);
    assert.deepEqual(unmapped, [], "add the option to cli/option-flags.ts, or to apiOnly here");
  });
});
