/**
 * The command-line cases of docs/reliability.md (see generate.mjs for the contract): each fault is
 * set up in ctx.tmpDir, the real CLI is run, and its exit code and message are reported. Output
 * paths, empty inputs in every format, malformed rows, failed and resumed runs, flags, models and
 * stores. The tiny fixture models keep it to a few minutes.
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";

/** stderr without the "esci: " prefix, progress lines dropped. */
function message(r) {
  const text = (r.stderr || r.stdout).split("\n").filter((l) => l.trim() && !/^(classify|scoring|download|build)\b/.test(l));
  return text.map((l) => l.replace(/^esci: /, "")).join("\n");
}

export async function run(ctx) {
  const dir = ctx.tmpDir;
  const at = (...p) => join(dir, ...p);
  const esciModel = ctx.fixture("tiny-roberta-esci");
  const biModel = ctx.fixture("tiny-st-roberta");
  const rows = [];
  const check = async (area, fault, args, opts) => {
    const r = await ctx.esci(args, opts);
    rows.push({ area, fault, outcome: `exit ${r.code}`, message: message(r) });
  };

  // ---------------------------------------------------------------- the files each fault needs
  writeFileSync(at("pairs.jsonl"), '{"query":"usb cable","product":"USB-C cable 2 m","label":"E"}\n');
  writeFileSync(at("gold.jsonl"), '{"query_id":"1","product_id":"A","esci_label":"E"}\n');
  writeFileSync(at("a-file"), "x\n");
  mkdirSync(at("a-dir"));
  mkdirSync(at("read-only"));
  chmodSync(at("pairs.jsonl"), 0o644);
  chmodSync(at("read-only"), 0o555);
  mkdirSync(at("closed"));
  chmodSync(at("closed"), 0o700);
  symlinkSync(at("pairs.jsonl"), at("link.jsonl"));
  linkSync(at("pairs.jsonl"), at("hard-link.jsonl"));
  const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  writeFileSync(at("zero-bytes.jsonl"), "");
  writeFileSync(at("blank-lines.jsonl"), "\n \n\n");
  writeFileSync(at("zero-bytes.csv"), "");
  writeFileSync(at("header-only.csv"), "query,product\n");
  parquetWriteFile({ filename: at("zero-rows.parquet"), columnData: [{ name: "query", type: "STRING", data: [] }, { name: "product", type: "STRING", data: [] }] });
  writeFileSync(at("bad-line.jsonl"), '{"query":"a","product":"b"}\n{oops\n{"query":"c","product":"d"}\n');
  writeFileSync(at("bad-type.jsonl"), '{"query":"a","product":"b"}\n{"query":1,"product":"b"}\n');
  const big = [];
  for (let i = 1; i <= 2000; i++) big.push(i === 1600 ? "{not json" : JSON.stringify({ id: i, query: `query ${i % 37}`, product: `product ${i} ` + "lorem ipsum ".repeat(55) }));
  writeFileSync(at("big.jsonl"), big.join("\n") + "\n");
  mkdirSync(at("truncated-model"));
  for (const f of readdirSync(esciModel)) copyFileSync(join(esciModel, f), at("truncated-model", f));
  truncateSync(at("truncated-model", "model.safetensors"), Math.floor(statSync(at("truncated-model", "model.safetensors")).size / 2));
  const missing = at("no-such-model");

  // ---------------------------------------------------------------- output paths (before any model loads)
  const writers = [
    ["predict --output", (o) => ["predict", "--model", missing, "--input", at("pairs.jsonl"), "--output", o], "file"],
    ["classify --output", (o) => ["classify", "--model", missing, "--input", at("pairs.jsonl"), "--output", o], "file"],
    ["evaluate --report", (o) => ["evaluate", "--model", missing, "--data", at("pairs.jsonl"), "--report", o], "dir"],
    ["evaluate --store --report", (o) => ["evaluate", "--task", "1", "--store", `sqlite:${at("none.db")}`, "--data", at("pairs.jsonl"), "--report", o], "dir"],
    ["train --output", (o) => ["train", "--base", missing, "--data", at("pairs.jsonl"), "--output", o], "dir"],
    ["index --store", (o) => ["index", "--catalog", at("pairs.jsonl"), "--embed-model", missing, "--store", `sqlite:${o}`], "file"],
  ];
  const pathFaults = [
    ["the input file itself", at("pairs.jsonl")],
    ["a symbolic link to the input", at("link.jsonl")],
    ["a hard link to the input", at("hard-link.jsonl")],
    ["an existing directory (file expected)", at("a-dir"), "file"],
    ["an existing file (directory expected)", at("a-file"), "dir"],
    ["a parent that is a file", at("a-file", "out.jsonl")],
    ["a directory it may not write", at("read-only", "out.jsonl"), undefined, nobody],
    ["a directory on the way it may not search", at("closed", "sub", "out.jsonl"), undefined, nobody],
  ];
  for (const [what, args, kind] of writers) {
    for (const [fault, path, only, opts] of pathFaults) {
      if (only && only !== kind) continue;
      await check(`output path: ${what}`, fault, args(path), opts);
    }
  }

  // ---------------------------------------------------------------- empty inputs
  for (const f of ["zero-bytes.jsonl", "blank-lines.jsonl", "zero-bytes.csv", "header-only.csv", "zero-rows.parquet"]) {
    await check("empty input: classify", f.replace(/[.-]/g, " "), ["classify", "--model", esciModel, "--input", at(f), "--output", at("out.jsonl"), "--quiet"]);
  }
  await check("empty input: predict", "0-byte JSONL", ["predict", "--model", esciModel, "--input", at("zero-bytes.jsonl"), "--output", at("out.jsonl"), "--quiet"]);
  await check("empty input: predict --task embed", "header-only CSV", ["predict", "--task", "embed", "--model", biModel, "--input", at("header-only.csv"), "--output", at("out.jsonl"), "--quiet"]);
  await check("empty input: evaluate", "header-only CSV as --data", ["evaluate", "--model", esciModel, "--data", at("header-only.csv"), "--report", at("report"), "--quiet"]);
  await check("empty input: evaluate", "0-row Parquet as --predictions", ["evaluate", "--predictions", at("zero-rows.parquet"), "--gold", at("gold.jsonl"), "--report", at("report"), "--quiet"]);
  await check("empty input: index", "0-row Parquet catalog", ["index", "--catalog", at("zero-rows.parquet"), "--store", `sqlite:${at("s.db")}`, "--embed-model", biModel, "--quiet"]);
  await check("empty input: train", "blank-line JSONL", ["train", "--base", esciModel, "--data", at("blank-lines.jsonl"), "--output", at("trained"), "--quiet"]);
  await check("empty input: quantize", "0-byte CSV", ["quantize", "--model", esciModel, "--input", at("zero-bytes.csv"), "--quiet"]);

  // ---------------------------------------------------------------- bad rows, failed runs, --resume
  await check("bad rows: classify", "malformed JSONL line (--on-error fail)", ["classify", "--model", esciModel, "--input", at("bad-line.jsonl"), "--output", at("o1.jsonl"), "--quiet"]);
  await check("bad rows: classify", "malformed JSONL line (--on-error skip)", ["classify", "--model", esciModel, "--input", at("bad-line.jsonl"), "--output", at("o1.jsonl"), "--on-error", "skip", "--quiet"]);
  await check("bad rows: predict", "a number where query text belongs (fails before the first commit: no .partial left)", ["predict", "--model", esciModel, "--input", at("bad-type.jsonl"), "--output", at("o2.jsonl"), "--quiet"]);
  const bigRun = ["classify", "--model", esciModel, "--input", at("big.jsonl"), "--output", at("big.out.jsonl"), "--max-length", "16", "--quiet"];
  await check("failed run: classify", "bad row 1600 after 1,024 rows were scored (.partial kept and explained)", bigRun);
  await check("failed run: classify", "--resume with another --batch-size", [...bigRun, "--resume", "--batch-size", "4"]);
  await check("failed run: classify", "--resume --on-error skip (finishes; output equals an uninterrupted skipping run)", [...bigRun, "--resume", "--on-error", "skip"]);

  // ---------------------------------------------------------------- flags
  const flagCases = [
    ["predict", "--batch-size ''", ["predict", "--model", esciModel, "--input", "x.jsonl", "--output", "y.jsonl", "--batch-size", ""]],
    ["classify", "--batch-size -1", ["classify", "--model", esciModel, "--query", "q", "--product", "p", "--batch-size", "-1"]],
    ["classify", "--max-length followed by another flag", ["classify", "--model", esciModel, "--query", "q", "--product", "p", "--max-length", "--json"]],
    ["classify", "--query without --product", ["classify", "--model", esciModel, "--query", "q"]],
    ["classify", "nothing to classify", ["classify", "--model", esciModel]],
    ["classify", "a switch given a value (--quiet=yes)", ["classify", "--quiet=yes"]],
    ["classify", "an unknown flag", ["classify", "--frobnicate"]],
    ["evaluate", "--bins -3", ["evaluate", "--model", esciModel, "--data", "d.jsonl", "--report", "r", "--bins", "-3"]],
    ["index", "--batch-size ''", ["index", "--store", "sqlite:none.db", "--catalog", "c.jsonl", "--batch-size", ""]],
    ["search", "--k -5", ["search", "--store", "sqlite:none.db", "--query", "q", "--k", "-5"]],
    ["substitutes", "--candidates abc", ["substitutes", "--store", "sqlite:none.db", "--product", "p", "--candidates", "abc"]],
    ["train", "--epochs -1", ["train", "--base", esciModel, "--data", "d.jsonl", "--output", "o", "--epochs", "-1"]],
    ["quantize", "--limit ' '", ["quantize", "--model", esciModel, "--input", "x.jsonl", "--limit", " "]],
    ["serve", "--port -1", ["serve", "--model", esciModel, "--port", "-1"]],
    ["serve", "--port without a value", ["serve", "--model", esciModel, "--port"]],
    ["esci", "--version", ["--version"]],
  ];
  for (const [cmd, fault, args] of flagCases) await check(`flags: ${cmd}`, fault, args);

  // ---------------------------------------------------------------- models and stores
  await check("model", "a local model directory that does not exist", ["classify", "--model", missing, "--query", "q", "--product", "p"]);
  await check("model", "model.safetensors cut in half", ["classify", "--model", at("truncated-model"), "--query", "q", "--product", "p", "--quiet"]);
  await check("store", "search a store that does not exist", ["search", "--store", `sqlite:${at("missing.db")}`, "--query", "q", "--quiet"]);
  await check("input", "an input file that does not exist", ["classify", "--model", esciModel, "--input", at("missing.jsonl"), "--output", at("o3.jsonl"), "--quiet"]);
  await check("input", "an input of unknown type", ["classify", "--model", esciModel, "--input", at("a-file"), "--output", at("o4.jsonl"), "--quiet"]);
  copyFileSync(join(ctx.root, "test", "fixtures", "parquet", "fuzz-seed1-case505.parquet"), at("damaged.parquet"));
  await check("input", "a damaged Parquet file: a page header without its counts (fuzz case 505, once a hang)", ["classify", "--model", esciModel, "--input", at("damaged.parquet"), "--output", at("o5.jsonl"), "--quiet"]);
  return rows;
}
