#!/usr/bin/env node
// Full-size check of `esci evaluate`: generate an ESCI dataset directory in the official schema
// with the size of the US large test split (425,762 judgements over 22,458 queries, as in the
// Shopping Queries Dataset), plus rows of other splits/locales that the filters must drop, and a
// matching predictions JSONL shaped like `esci classify` output; then run
//   esci evaluate --predictions P --gold DIR --report R
// under /usr/bin/time -v and report wall time and peak RSS of that child.
//
// Usage: npm run build && node scripts/esci/scale.mjs [--out DIR] [--keep] [--judgements N]
//        [--queries N] [--extra N] [--lean]
// Target (issue 4): under a minute and ≤ 1.5 GiB peak RSS on 2 vCPUs.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parquetWriteFile } from "hyparquet-writer";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");

const { values: args } = parseArgs({
  options: {
    out: { type: "string" },
    keep: { type: "boolean" },
    judgements: { type: "string", default: "425762" },
    queries: { type: "string", default: "22458" },
    extra: { type: "string", default: "60000" },
    lean: { type: "boolean" },
  },
});
const N = Number(args.judgements);
const Q = Number(args.queries);
const EXTRA = Number(args.extra);
if (!existsSync(CLI)) {
  console.error(`missing ${CLI}: run npm run build first`);
  process.exit(2);
}

// mulberry32: a 32-bit PRNG (a float LCG would lose precision and cycle after ~10k draws)
let seed = 20220815;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const WORDS = "usb cable charger phone case red blue green shoe running women men kids water bottle steel garden hose led light lamp desk chair office paper pen black white wireless mouse keyboard laptop stand bag leather wallet watch band yoga mat dog toy cat food coffee maker".split(" ");
const word = () => WORDS[Math.floor(rnd() * WORDS.length)];
const phrase = (n) => Array.from({ length: n }, word).join(" ");
// unique ASIN-like ids: B0 + 8 base-36 digits of a scrambled counter
let nextId = 0;
const asin = () => "B0" + ((nextId++ * 2654435761) % 2821109907456).toString(36).toUpperCase().padStart(8, "0");
const LABELS = ["E", "S", "C", "I"];
// the dataset's skew: E 65%, S 22%, C 3%, I 10%
const drawLabel = () => {
  const r = rnd();
  return r < 0.65 ? "E" : r < 0.87 ? "S" : r < 0.9 ? "C" : "I";
};

const dir = args.out ? resolve(args.out) : mkdtempSync(join(tmpdir(), "esci-scale-"));
const data = join(dir, "esci");
mkdirSync(data, { recursive: true });
const t0 = Date.now();

// --- judgements: Q queries, N judgements in the US large test split, then EXTRA other rows ---
const total = N + EXTRA;
const ex = {
  example_id: new Array(total),
  query: new Array(total),
  query_id: new Array(total),
  product_id: new Array(total),
  product_locale: new Array(total),
  esci_label: new Array(total),
  small_version: new Array(total),
  large_version: new Array(total),
  split: new Array(total),
  __index_level_0__: new Array(total),
};
const perQuery = new Array(Q).fill(0);
for (let i = 0; i < N; i++) perQuery[i < Q ? i : Math.floor(rnd() * Q)]++;
let row = 0;
const products = new Map(); // product_id → locale
for (let q = 0; q < Q; q++) {
  const text = phrase(2 + Math.floor(rnd() * 4));
  const small = rnd() < 0.43 ? 1n : 0n;
  for (let k = 0; k < perQuery[q]; k++) {
    const pid = asin();
    products.set(pid, "us");
    ex.example_id[row] = BigInt(row);
    ex.query[row] = text;
    ex.query_id[row] = BigInt(q);
    ex.product_id[row] = pid;
    ex.product_locale[row] = "us";
    ex.esci_label[row] = drawLabel();
    ex.small_version[row] = small;
    ex.large_version[row] = 1n;
    ex.split[row] = "test";
    ex.__index_level_0__[row] = BigInt(row);
    row++;
  }
}
for (let i = 0; i < EXTRA; i++, row++) {
  const es = i % 3 === 0;
  const pid = asin();
  products.set(pid, es ? "es" : "us");
  ex.example_id[row] = BigInt(row);
  ex.query[row] = phrase(3);
  ex.query_id[row] = BigInt(Q + Math.floor(i / 20));
  ex.product_id[row] = pid;
  ex.product_locale[row] = es ? "es" : "us";
  ex.esci_label[row] = drawLabel();
  ex.small_version[row] = 1n;
  ex.large_version[row] = 1n;
  ex.split[row] = es ? "test" : "train";
  ex.__index_level_0__[row] = BigInt(row);
}
const INT = new Set(["example_id", "query_id", "small_version", "large_version", "__index_level_0__"]);
// pyarrow-like: one big row group, no offset index, nullable columns
parquetWriteFile({
  filename: join(data, "shopping_queries_dataset_examples.parquet"),
  rowGroupSize: 1 << 20,
  columnData: Object.entries(ex).map(([name, d]) => ({ name, data: d, type: INT.has(name) ? "INT64" : "STRING", nullable: true, offsetIndex: false })),
});
const exBytes = statSync(join(data, "shopping_queries_dataset_examples.parquet")).size;

// --- products: one row per product, short text (evaluate --gold never reads this file) ---
{
  const ids = [...products.keys()];
  const cols = { product_id: ids, product_title: [], product_description: [], product_bullet_point: [], product_brand: [], product_color: [], product_locale: [] };
  for (const id of ids) {
    cols.product_title.push(phrase(8));
    cols.product_description.push(rnd() < 0.5 ? null : phrase(20));
    cols.product_bullet_point.push(rnd() < 0.3 ? null : phrase(20));
    cols.product_brand.push(rnd() < 0.1 ? null : word());
    cols.product_color.push(rnd() < 0.4 ? null : word());
    cols.product_locale.push(products.get(id));
  }
  parquetWriteFile({
    filename: join(data, "shopping_queries_dataset_products.parquet"),
    rowGroupSize: 1 << 20,
    columnData: Object.entries(cols).map(([name, d]) => ({ name, data: d, type: "STRING", nullable: true, offsetIndex: false })),
  });
}

// --- predictions: esci classify's row shape (input fields + logits, probs, label) ---
const predPath = join(dir, "predictions.jsonl");
{
  const fd = openSync(predPath, "w");
  let buf = [];
  const names = ["exact", "substitute", "complement", "irrelevant"];
  for (let i = 0; i < N; i++) {
    const gold = ex.esci_label[i];
    const logits = LABELS.map((l) => (l === gold ? 1.4 : 0) + rnd() * 2 - 1);
    const m = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    const probs = {};
    let best = 0;
    e.forEach((v, k) => {
      probs[names[k]] = v / s;
      if (v > e[best]) best = k;
    });
    const rowObj = args.lean
      ? { query_id: Number(ex.query_id[i]), product_id: ex.product_id[i], probs }
      : {
          example_id: Number(ex.example_id[i]),
          query_id: Number(ex.query_id[i]),
          query: ex.query[i],
          product_id: ex.product_id[i],
          product_locale: "us",
          esci_label: gold,
          product: phrase(8),
          logits,
          probs,
          label: names[best],
        };
    buf.push(JSON.stringify(rowObj));
    if (buf.length === 10000) {
      writeSync(fd, buf.join("\n") + "\n");
      buf = [];
    }
  }
  if (buf.length) writeSync(fd, buf.join("\n") + "\n");
  closeSync(fd);
}
const genSeconds = (Date.now() - t0) / 1000;

// --- the measured run ---
const report = join(dir, "report");
const cmd = [CLI, "evaluate", "--predictions", predPath, "--gold", data, "--locale", "us", "--split", "test", "--version", "large", "--report", report];
const r = spawnSync("/usr/bin/time", ["-v", process.execPath, ...cmd], { encoding: "utf8", maxBuffer: 1 << 24 });
const timeOut = r.stderr;
const rssKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timeOut)?.[1]);
const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(timeOut)?.[1] ?? "?";
const wallSeconds = wall.split(":").reduce((a, x) => a * 60 + Number(x), 0);
const summary = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} vCPU (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`,
  judgements: N,
  queries: Q,
  extra_rows_filtered_out: EXTRA,
  examples_parquet_MiB: +(exBytes / 2 ** 20).toFixed(1),
  predictions_jsonl_MiB: +(statSync(predPath).size / 2 ** 20).toFixed(1),
  generate_seconds: genSeconds,
  evaluate_exit_code: r.status,
  evaluate_wall_seconds: wallSeconds,
  evaluate_peak_rss_MiB: +(rssKiB / 1024).toFixed(0),
  target: "wall < 60 s, peak RSS ≤ 1536 MiB",
  pass: r.status === 0 && wallSeconds < 60 && rssKiB / 1024 <= 1536,
};
process.stdout.write(r.stdout);
if (r.status !== 0) process.stderr.write(timeOut);
console.log(JSON.stringify(summary, null, 2));
if (!args.keep && !args.out) rmSync(dir, { recursive: true, force: true });
else console.log(`files kept in ${dir}`);
process.exit(summary.pass ? 0 : 1);
