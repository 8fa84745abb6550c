#!/usr/bin/env node
/**
 * Does what `esci train` writes load in Python? For each family, from a sequence classifier (head
 * continued) and from a bare sentence-transformers encoder (new head), trains one short epoch on
 * synthetic ESCI pairs, scores fixed pairs with esci's CrossEncoder, then runs
 * scripts/train/check_export.py (the reference stack) which loads each output with
 * transformers (AutoModelForSequenceClassification, output_loading_info: missing / unexpected /
 * mismatched keys) and sentence-transformers (CrossEncoder) and compares their logits with esci's.
 * Writes bench/results/train-export.{json,md}. Dev-only: needs `npm run build` and /tmp/ref.
 *
 *   node scripts/train/check-export.mjs
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { train } = await import(join(root, "dist/src/train/index.js"));
const { CrossEncoder } = await import(join(root, "dist/src/models/cross-encoder.js"));
const { makeSyntheticPairs, toJsonl } = await import(join(root, "dist/test/train/synthetic.js"));

const BASES = [
  "arch-distilbert-relu-esci",
  "arch-st-distilbert-mean",
  "arch-electra-project-esci",
  "arch-st-electra-mean",
  "arch-modernbert-biases-esci",
  "arch-st-modernbert-mean",
  "arch-debertav3-esci",
  "arch-st-debertav2-mean",
];
const work = mkdtempSync(join(tmpdir(), "esci-export-check-"));
process.env.ESCI_CACHE = join(work, "cache");
try {
  const data = join(work, "train.jsonl");
  writeFileSync(data, toJsonl(makeSyntheticPairs(48, 5)));
  const pairs = makeSyntheticPairs(8, 6).map((p) => [p.query, p.product]);
  const runs = [];
  for (const base of BASES) {
    const output = join(work, base);
    await train({ base: join(root, "test/fixtures/models", base), data, output, epochs: 1, batchSize: 8, lr: 1e-3, maxLength: 32, evalEvery: 0, threads: 1 });
    const ce = await CrossEncoder.load(output);
    const logits = (await ce.predict(pairs, { maxLength: 32 })).map((p) => p.logits);
    await ce.dispose();
    runs.push({ base, output, pairs, logits });
    process.stderr.write(`trained ${base}\n`);
  }
  const input = join(work, "esci.json");
  writeFileSync(input, JSON.stringify(runs));
  execFileSync("/tmp/ref/bin/python", [join(root, "scripts/train/check_export.py"), input, join(root, "bench/results/train-export")], { stdio: "inherit" });
} finally {
  rmSync(work, { recursive: true, force: true });
}
