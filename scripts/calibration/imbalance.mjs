/**
 * The "must show" table of docs/calibration.md: on a learnable synthetic ESCI-like task with the
 * reference model's label shares (65.2% Exact, 21.9% Substitute, 2.9% Complement, 10.0%
 * Irrelevant), compare plain cross-entropy, class-weighted (balanced) and focal fine-tuning, and
 * plain + `esci calibrate` (nll) and (macro-f1), on held-out pairs: micro-F1, macro-F1, per-class
 * recall, ECE and NLL.
 *
 *   npm run build && node scripts/calibration/imbalance.mjs [--threads N] [--epochs 12] [--train 6000] [--noise 0.15]
 *
 * The task is test/train/synthetic.ts's (labels need both texts) subsampled to the shares, with
 * 15% of the labels redrawn from the shares (ESCI's annotations are noisy too), and enough epochs
 * that the plain model starts to fit the noise — the over-confidence
 * temperature scaling exists to undo. The model is the tiny fixture encoder
 * test/fixtures/models/tiny-st-roberta with a new 4-way head; training and calibration run
 * through the CLI (`esci train`, `esci calibrate`) as a user would; the held-out metrics come
 * from the library's CrossEncoder (which applies the stored calibration) and esci/calibration's
 * metric function. Prints a Markdown table.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CrossEncoder } from "../../dist/src/models/cross-encoder.js";
import { calibrationMetrics, IDENTITY } from "../../dist/src/esci/calibration/index.js";
import { mulberry32 } from "../../dist/src/models/random-checkpoint.js";
import { makeSyntheticPairs, toJsonl } from "../../dist/test/train/synthetic.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const args = process.argv.slice(2);
const arg = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const THREADS = arg("--threads", String(cpus().length));
const EPOCHS = arg("--epochs", "12");
const TRAIN = Number(arg("--train", "6000"));
const LETTERS = ["E", "S", "C", "I"];
const SHARES = [0.652, 0.219, 0.029, 0.1];
const NOISE = Number(arg("--noise", "0.15"));

/** n pairs with the ESCI shares: per label, the first pairs of that label from a balanced pool; then label noise. */
function imbalanced(n, seed) {
  const want = SHARES.map((s) => Math.round(s * n));
  const pool = makeSyntheticPairs(4 * Math.max(...want) + 400, seed);
  const rand = mulberry32(seed + 1000);
  const draw = () => {
    let u = rand();
    let k = 0;
    while (k < 3 && u > SHARES[k]) u -= SHARES[k++];
    return LETTERS[k];
  };
  const out = [];
  LETTERS.forEach((l, k) => out.push(...pool.filter((p) => p.label === l).slice(0, want[k])));
  for (const p of out) if (rand() < NOISE) p.label = draw();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const esci = (...a) => execFileSync(process.execPath, [CLI, ...a], { stdio: ["ignore", "pipe", "inherit"] }).toString();

const work = mkdtempSync(join(tmpdir(), "esci-imbalance-"));
try {
  const files = { train: join(work, "train.jsonl"), calib: join(work, "calib.jsonl"), test: join(work, "test.jsonl") };
  writeFileSync(files.train, toJsonl(imbalanced(TRAIN, 11)));
  writeFileSync(files.calib, toJsonl(imbalanced(2000, 12)));
  writeFileSync(files.test, toJsonl(imbalanced(4000, 13)));
  const base = join(ROOT, "test", "fixtures", "models", "tiny-st-roberta");
  const recipe = ["--epochs", EPOCHS, "--lr", "1e-3", "--batch-size", "32", "--dropout", "0", "--max-length", "38", "--eval-every", "0", "--threads", THREADS, "--quiet"];
  const started = Date.now();
  const trained = {};
  for (const [name, extra] of [
    ["plain", []],
    ["class-weighted", ["--class-weights", "balanced"]],
    ["focal", ["--loss", "focal", "--focal-gamma", "2"]],
  ]) {
    trained[name] = join(work, name);
    esci("train", "--base", base, "--data", files.train, "--output", trained[name], ...recipe, ...extra);
    process.stderr.write(`trained ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  for (const objective of ["nll", "macro-f1"]) {
    const dir = join(work, `plain-${objective}`);
    cpSync(trained.plain, dir, { recursive: true });
    esci("calibrate", "--model", dir, "--data", files.calib, "--objective", objective, "--threads", THREADS, "--quiet");
    trained[`plain + calibrate (${objective})`] = dir;
  }

  const test = makeTestSet(files.test);
  const rows = [];
  for (const [name, dir] of Object.entries(trained)) {
    const ce = await CrossEncoder.load(dir, { threads: Number(THREADS) });
    try {
      const logits = await ce.logits(test.pairs);
      const d = { rows: logits, labels: test.labels, classes: 4 };
      const m = calibrationMetrics(d, ce.calibration ?? IDENTITY(4), ce.labels);
      const cal = ce.calibration ? ` (T ${ce.calibration.temperature.toFixed(3)}${ce.calibration.bias.some((b) => b) ? `, b [${ce.calibration.bias.map((b) => b.toFixed(2)).join(", ")}]` : ""})` : "";
      rows.push(`| ${name}${cal} | ${m.micro_f1.toFixed(4)} | ${m.macro_f1.toFixed(4)} | ${ce.labels.map((l) => m.recall[l].toFixed(3)).join(" | ")} | ${m.ece.toFixed(4)} | ${m.nll.toFixed(4)} |`);
    } finally {
      await ce.dispose();
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    [
      `${TRAIN} training pairs, 2000 calibration pairs, 4000 held-out pairs (shares ${SHARES.map((s, k) => `${LETTERS[k]} ${(100 * s).toFixed(1)}%`).join(", ")}; ${100 * NOISE}% of labels redrawn); tiny-st-roberta, ${EPOCHS} epochs, lr 1e-3, batch 32; ${THREADS} threads; ${seconds} s in all`,
      "",
      "| model | micro-F1 | macro-F1 | recall E | recall S | recall C | recall I | ECE | NLL |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows,
    ].join("\n"),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

function makeTestSet(file) {
  const rows = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  return { pairs: rows.map((r) => [r.query, r.product]), labels: Int32Array.from(rows.map((r) => LETTERS.indexOf(r.label))) };
}
