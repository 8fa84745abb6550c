/**
 * Issue 14's command-line faults, each as a user meets it: empty inputs in every format and
 * command ("no rows in FILE"), a malformed JSONL line under --on-error skip, a failed run that
 * explains the .partial it keeps and resumes from it, --resume refusals that name the setting,
 * worded flag errors (empty, negative, missing values) in every command, classify's one-pair
 * flags, `esci --version`, and the label vocabulary of classify's output.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ERROR_TABLE } from "../../src/errors/index.js";
import { runEsci } from "../helpers/cli.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";
import { writeEmptyTables } from "../helpers/tables.js";

const ESCI_MODEL = fixtureModel("tiny-roberta-esci");
const INVALID_ARGUMENT = ERROR_TABLE.INVALID_ARGUMENT.exitCode;
const INVALID_INPUT = ERROR_TABLE.INVALID_INPUT.exitCode;
let work: string;
let env: NodeJS.ProcessEnv;
let empty: Record<string, string>;

const esci = (...args: string[]) => runEsci(args, { env });

before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-reliability-"));
  env = { ...process.env, ESCI_CACHE: join(work, "esci-cache"), HF_HOME: join(work, "hf"), HF_HUB_OFFLINE: "1" };
  empty = writeEmptyTables(work);
  writeFileSync(join(work, "gold.jsonl"), '{"query_id":"1","product_id":"A","esci_label":"E"}\n');
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("empty inputs are 'no rows in FILE' in every format and command", { timeout: 900_000 }, () => {
  const expectNoRows = async (file: string, args: string[]): Promise<void> => {
    const path = join(work, file);
    const r = await esci(...args.map((a) => (a === "FILE" ? path : a)), "--quiet");
    assert.equal(r.code, INVALID_INPUT, r.stderr);
    assert.equal(r.stderr, `esci: no rows in ${path}: ${empty[file]}\n`);
  };
  for (const file of ["zero-bytes.jsonl", "blank-lines.jsonl", "zero-bytes.csv", "header-only.csv", "zero-rows.parquet"]) {
    it(`classify ${file}`, async () => {
      const out = join(work, `classify-${file}.jsonl`);
      await expectNoRows(file, ["classify", "--model", ESCI_MODEL, "--input", "FILE", "--output", out]);
      assert.deepEqual(readdirSync(work).filter((f) => f.startsWith("classify-")), [], "no output, no .partial");
    });
  }
  it("predict (0-byte JSONL)", () => expectNoRows("zero-bytes.jsonl", ["predict", "--model", ESCI_MODEL, "--input", "FILE", "--output", join(work, "p.jsonl")]));
  it("predict --task embed (header-only CSV)", () =>
    expectNoRows("header-only.csv", ["predict", "--task", "embed", "--model", fixtureModel("tiny-st-roberta"), "--input", "FILE", "--output", join(work, "e.jsonl")]));
  it("evaluate --data (header-only CSV)", () => expectNoRows("header-only.csv", ["evaluate", "--model", ESCI_MODEL, "--data", "FILE", "--report", join(work, "r1")]));
  it("evaluate --predictions (0-row Parquet)", () => expectNoRows("zero-rows.parquet", ["evaluate", "--predictions", "FILE", "--gold", join(work, "gold.jsonl"), "--report", join(work, "r2")]));
  it("evaluate --gold (blank-line JSONL)", () => expectNoRows("blank-lines.jsonl", ["evaluate", "--predictions", join(work, "gold.jsonl"), "--gold", "FILE", "--report", join(work, "r3")]));
  it("index (0-row Parquet), creating no store", async () => {
    await expectNoRows("zero-rows.parquet", ["index", "--catalog", "FILE", "--store", `sqlite:${join(work, "empty.db")}`, "--embed-model", fixtureModel("tiny-st-roberta")]);
    assert.equal(existsSync(join(work, "empty.db")), false);
  });
  it("train (blank-line JSONL)", () => expectNoRows("blank-lines.jsonl", ["train", "--base", ESCI_MODEL, "--data", "FILE", "--output", join(work, "trained")]));
  it("quantize (0-byte CSV)", () => expectNoRows("zero-bytes.csv", ["quantize", "--model", ESCI_MODEL, "--input", "FILE"]));
});

/** `n` pairs of about 700 bytes each, so that 1,500 rows fill the reader's first 1 MiB read. */
function bigPairs(n: number, badRow?: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    lines.push(i === badRow ? "{not json" : JSON.stringify({ id: i, query: `query ${i % 37}`, product: `product ${i} ` + "lorem ipsum ".repeat(55) }));
  }
  return lines.join("\n") + "\n";
}

describe("classify: bad rows, failed runs and --resume", { timeout: 900_000 }, () => {
  it("--on-error skip skips a malformed JSONL line and lists it", async () => {
    const input = join(work, "bad-line.jsonl");
    writeFileSync(input, '{"query":"a","product":"b"}\n\n{oops\n{"query":"c","product":"d"}\n');
    const out = join(work, "bad-line.out.jsonl");
    const failing = await esci("classify", "--model", ESCI_MODEL, "--input", input, "--output", out, "--quiet");
    assert.equal(failing.code, INVALID_INPUT);
    assert.match(failing.stderr, /bad-line\.jsonl, row 3: not valid JSON/);
    const r = await esci("classify", "--model", ESCI_MODEL, "--input", input, "--output", out, "--on-error", "skip", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote 2 rows to .*\nskipped 1 rows:\n {2}.*bad-line\.jsonl, row 3: not valid JSON/);
    assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 2);
  });

  it("a failed run explains the .partial it keeps; --resume names what changed, then finishes byte-identical", async () => {
    const input = join(work, "big.jsonl");
    writeFileSync(input, bigPairs(2000, 1600));
    const out = join(work, "big.out.jsonl");
    const base = ["classify", "--model", ESCI_MODEL, "--input", input, "--output", out, "--max-length", "16", "--quiet"];

    const failed = await esci(...base);
    assert.equal(failed.code, INVALID_INPUT, failed.stderr);
    const partial = `${out}.partial`;
    const marker = `${out}.progress.json`;
    assert.equal(
      failed.stderr,
      `esci: ${input}, row 1600: not valid JSON (${/\(([^)]*)\)/.exec(failed.stderr)![1]})\n` +
        `${partial} keeps the 1,024 rows finished before the failure: fix the cause and rerun the same command with --resume ` +
        `to continue from there (add --on-error skip to skip bad rows), or delete ${partial} and ${marker}\n`,
    );
    assert.ok(existsSync(partial) && existsSync(marker));

    const refused = await esci(...base, "--resume", "--batch-size", "4");
    assert.equal(refused.code, ERROR_TABLE.CONFLICT.exitCode);
    assert.match(refused.stderr, /cannot resume, the interrupted run differs: batch size was absent, now 4\. Rerun without --resume/);

    const resumed = await esci(...base, "--resume", "--on-error", "skip");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /wrote 1,999 rows to .*\n\(resumed after 1,024 rows\)\nskipped 1 rows:\n .*row 1600: not valid JSON/);
    assert.ok(!existsSync(partial) && !existsSync(marker));

    const fresh = join(work, "big.fresh.jsonl");
    const ref = await esci("classify", "--model", ESCI_MODEL, "--input", input, "--output", fresh, "--max-length", "16", "--on-error", "skip", "--quiet");
    assert.equal(ref.code, 0, ref.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(fresh)), "the resumed output equals an uninterrupted run's");
  });

  it("a run that fails before its first commit leaves no .partial", async () => {
    const input = join(work, "early-bad.jsonl");
    writeFileSync(input, '{"query":"a","product":"b"}\n{"query":1,"product":"b"}\n');
    const out = join(work, "early.out.jsonl");
    const r = await esci("predict", "--model", ESCI_MODEL, "--input", input, "--output", out, "--quiet");
    assert.equal(r.code, INVALID_INPUT);
    assert.match(r.stderr, /early-bad\.jsonl, row 2, column "query"/);
    assert.deepEqual(readdirSync(work).filter((f) => f.startsWith("early.out")), []);
  });
});

describe("flags", { timeout: 900_000 }, () => {
  const refusals: [string[], RegExp][] = [
    [["predict", "--model", ESCI_MODEL, "--input", "x.jsonl", "--output", "y.jsonl", "--batch-size", ""], /^esci: --batch-size needs a value\n$/],
    [["classify", "--model", ESCI_MODEL, "--query", "q", "--product", "p", "--batch-size", "-1"], /^esci: --batch-size must be ≥ 1, got -1\n$/],
    [["classify", "--model", ESCI_MODEL, "--query", "q", "--product", "p", "--max-length", "--json"], /^esci: --max-length needs a value\n$/],
    [["evaluate", "--model", ESCI_MODEL, "--data", "d.jsonl", "--report", "r", "--bins", "-3"], /^esci: --bins must be ≥ 1, got -3\n$/],
    [["index", "--store", "sqlite:none.db", "--catalog", "c.jsonl", "--batch-size", ""], /^esci: --batch-size needs a value\n$/],
    [["search", "--store", "sqlite:none.db", "--query", "q", "--k", "-5"], /^esci: --k must be ≥ 1, got -5\n$/],
    [["substitutes", "--store", "sqlite:none.db", "--product", "p", "--candidates", "abc"], /^esci: --candidates must be an integer, got "abc"\n$/],
    [["train", "--base", ESCI_MODEL, "--data", "d.jsonl", "--output", "o", "--epochs", "-1"], /^esci: --epochs must be ≥ 0, got -1\n$/],
    [["quantize", "--model", ESCI_MODEL, "--input", "x.jsonl", "--limit", " "], /^esci: --limit needs a value\n$/],
    [["serve", "--model", ESCI_MODEL, "--port", "-1"], /^esci: --port must be ≥ 0, got -1\n$/],
    [["serve", "--model", ESCI_MODEL, "--port"], /^esci: --port needs a value\n$/],
    [["classify", "--model", ESCI_MODEL, "--query", "q"], /^esci: --query needs --product \(the product text to classify against the query\)\n$/],
    [["classify", "--model", ESCI_MODEL, "--product", "p"], /^esci: --product needs --query/],
    [["classify", "--model", ESCI_MODEL], /^esci: nothing to classify: give --query and --product \(one pair\), or --input FILE and --output FILE\n$/],
    [["classify", "--model", ESCI_MODEL, "--output", "o.jsonl"], /^esci: --output needs --input/],
    [["classify", "--model", ESCI_MODEL, "--query", "q", "--product", "p", "--input", "x.jsonl"], /not both/],
    [["classify", "--quiet=yes"], /^esci: --quiet is a switch and takes no value\n$/],
    [["classify", "--frobnicate"], /^esci: unknown flag --frobnicate \(see --help/],
    [["predict", "--task", "embed", "--resume", "--input", "x", "--output", "y"], /--resume applies to the classify task/],
  ];
  for (const [args, message] of refusals) {
    it(`esci ${args.filter((a) => a !== ESCI_MODEL).join(" ")}`, async () => {
      const r = await runEsci(args, { env, cwd: work });
      assert.equal(r.code, INVALID_ARGUMENT, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it("esci --version and -v print package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const r = await esci(flag);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
  });
});

describe("classify's label vocabulary", { timeout: 900_000 }, () => {
  it("label is the checkpoint's id2label name; esci adds the letter when it is an ESCI class", async () => {
    const r = await esci("classify", "--model", ESCI_MODEL, "--query", "usb cable", "--product", "USB-C cable", "--json", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    const pred = JSON.parse(r.stdout) as { label: string; esci: string; probs: Record<string, number> };
    assert.deepEqual(Object.keys(pred.probs), ["exact", "substitute", "complement", "irrelevant"]);
    assert.equal(pred.esci, { exact: "E", substitute: "S", complement: "C", irrelevant: "I" }[pred.label]);
    const text = await esci("classify", "--model", ESCI_MODEL, "--query", "usb cable", "--product", "USB-C cable", "--quiet");
    assert.ok(text.stdout.startsWith(`label: ${pred.label} (ESCI ${pred.esci})\n`), text.stdout);
    const oneLogit = await esci("classify", "--model", fixtureModel("tiny-bert-1logit"), "--query", "a", "--product", "b", "--json", "--quiet");
    assert.equal(oneLogit.code, 0, oneLogit.stderr);
    assert.equal((JSON.parse(oneLogit.stdout) as { esci?: string }).esci, undefined);
  });
});
