/**
 * The learning demonstration of docs/training.md: fine-tune the tiny fixture encoder
 * test/fixtures/models/tiny-st-roberta (random weights, 2 layers × 32 wide, a new 4-way head) on
 * the synthetic pair task of test/train/synthetic.ts, whose labels need both texts, and report
 * the validation curve.
 *
 *   npm run build && node scripts/train/learn.mjs [--svg docs/training-curve.svg] [--threads N]
 *
 * Prints the run's summary and an ASCII plot; with --svg also writes the curve as an SVG.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { train, TrainLog } from "../../dist/src/train/index.js";
import { makeSyntheticPairs, toJsonl } from "../../dist/test/train/synthetic.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
export const RECIPE = { epochs: 15, lr: 1e-3, batchSize: 32, warmupRatio: 0.1, evalEvery: 1, dropout: 0, maxLength: 38 };

const work = mkdtempSync(join(tmpdir(), "esci-learn-"));
try {
  writeFileSync(join(work, "train.jsonl"), toJsonl(makeSyntheticPairs(16000, 1)));
  writeFileSync(join(work, "valid.jsonl"), toJsonl(makeSyntheticPairs(800, 2)));
  const output = join(work, "model");
  const started = Date.now();
  const summary = await train(
    {
      base: join(ROOT, "test", "fixtures", "models", "tiny-st-roberta"),
      data: join(work, "train.jsonl"),
      validation: join(work, "valid.jsonl"),
      output,
      ...RECIPE,
      threads: Number(arg("--threads") ?? cpus().length),
    },
    { onEval: (step, r) => process.stderr.write(`step ${step}: accuracy ${r.accuracy.toFixed(3)}\n`) },
  );
  const seconds = (Date.now() - started) / 1000;
  const log = TrainLog.read(join(output, "log.jsonl"));
  const steps = log.filter((e) => "loss" in e);
  const evals = log.filter((e) => "eval_accuracy" in e);
  const first90 = evals.find((e) => e.eval_accuracy >= 0.9);

  const lines = [];
  lines.push(`recipe: ${JSON.stringify(RECIPE)}; 16000 training pairs, 800 validation pairs; ${cpus().length} threads`);
  lines.push(`wall time ${seconds.toFixed(0)} s for ${summary.steps} steps (${(summary.steps / seconds).toFixed(1)} steps/s, data and tokenization included)`);
  lines.push(`best validation accuracy ${summary.best.accuracy.toFixed(4)} (micro-F1 ${summary.best.micro_f1.toFixed(4)}) at step ${summary.best.step}`);
  lines.push(first90 ? `first ≥ 0.90 at step ${first90.step} (epoch ${first90.epoch})` : "never reached 0.90");
  lines.push("");
  lines.push("| epoch | train loss (mean over the epoch) | validation loss | validation accuracy |");
  lines.push("|---:|---:|---:|---:|");
  const perEpoch = Math.round(summary.plan.stepsPerEpoch);
  for (const e of evals) {
    const window = steps.filter((s) => s.step > e.step - perEpoch && s.step <= e.step);
    const mean = window.reduce((a, s) => a + s.loss, 0) / window.length;
    lines.push(`| ${Math.round(e.epoch)} | ${mean.toFixed(4)} | ${e.eval_loss.toFixed(4)} | ${e.eval_accuracy.toFixed(4)} |`);
  }
  lines.push("", "```", ...asciiPlot(evals.map((e) => [e.epoch, e.eval_accuracy])), "```");
  console.log(lines.join("\n"));
  const svg = arg("--svg");
  if (svg) writeFileSync(resolve(svg), svgPlot(steps, evals));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Validation accuracy (0.25 … 1.0, rows of 0.05) against epoch. */
function asciiPlot(points) {
  const rows = 15;
  const lo = 0.25;
  const out = [];
  for (let r = rows; r >= 0; r--) {
    const y = lo + ((1 - lo) * r) / rows;
    let line = `${y.toFixed(2)} |`;
    for (const [, acc] of points) line += Math.abs(acc - y) <= (1 - lo) / rows / 2 ? " * " : y < acc ? " | " : "   ";
    out.push(line);
  }
  out.push(`      ${"---".repeat(points.length)}`);
  out.push(`epoch ${points.map(([e]) => String(Math.round(e)).padStart(3)).join("")}`);
  return out;
}

/** Training loss (per step, grey) and validation accuracy (per epoch, blue) in one SVG. */
function svgPlot(steps, evals) {
  const W = 640;
  const H = 320;
  const m = { l: 50, r: 50, t: 20, b: 40 };
  const maxStep = steps.at(-1).step;
  const maxLoss = Math.max(...steps.map((s) => s.loss));
  const x = (s) => m.l + ((W - m.l - m.r) * s) / maxStep;
  const yAcc = (a) => H - m.b - (H - m.t - m.b) * a;
  const yLoss = (l) => H - m.b - ((H - m.t - m.b) * l) / maxLoss;
  // training loss averaged over windows of ~1/300 of the run, so the file stays small
  const w = Math.max(1, Math.round(steps.length / 300));
  const windows = [];
  for (let i = 0; i + w <= steps.length; i += w) windows.push({ step: steps[i + w - 1].step, loss: steps.slice(i, i + w).reduce((a, s) => a + s.loss, 0) / w });
  const loss = windows.map((s) => `${x(s.step).toFixed(1)},${yLoss(s.loss).toFixed(1)}`).join(" ");
  const acc = evals.map((e) => `${x(e.step).toFixed(1)},${yAcc(e.eval_accuracy).toFixed(1)}`).join(" ");
  const ticks = [0, 0.25, 0.5, 0.75, 0.9, 1].map(
    (a) => `<line x1="${m.l}" x2="${W - m.r}" y1="${yAcc(a)}" y2="${yAcc(a)}" stroke="#ddd"/><text x="${m.l - 6}" y="${yAcc(a) + 4}" text-anchor="end">${a}</text>`,
  );
  const every = 10 ** Math.floor(Math.log10(maxStep)) / (maxStep / 10 ** Math.floor(Math.log10(maxStep)) < 3 ? 2 : 1);
  const xTicks = Array.from({ length: Math.floor(maxStep / every) + 1 }, (_, i) => i * every).map(
    (s) => `<line x1="${x(s)}" x2="${x(s)}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#999"/><text x="${x(s)}" y="${H - m.b + 15}" text-anchor="middle">${s}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
${ticks.join("\n")}
${xTicks.join("\n")}
<polyline points="${loss}" fill="none" stroke="#999" stroke-width="1"/>
<polyline points="${acc}" fill="none" stroke="#1f6feb" stroke-width="2"/>
${evals.map((e) => `<circle cx="${x(e.step).toFixed(1)}" cy="${yAcc(e.eval_accuracy).toFixed(1)}" r="3" fill="#1f6feb"/>`).join("\n")}
<text x="${W - m.r + 6}" y="${yLoss(maxLoss) + 4}">${maxLoss.toFixed(2)}</text><text x="${W - m.r + 6}" y="${yLoss(0) + 4}">0</text>
<text x="${W / 2}" y="${H - 4}" text-anchor="middle">optimizer step</text>
<text x="${m.l}" y="12" fill="#1f6feb">validation accuracy (left axis)</text>
<text x="${W - m.r}" y="12" fill="#999" text-anchor="end">training loss, mean of ${w} steps (right axis)</text>
</svg>
`;
}
