/**
 * `esci train`: fine-tune a cross-encoder on ESCI pairs. This file parses flags and draws the
 * progress bar; reading data, the model, the loop and checkpoints live in train/.
 */
import { EsciError } from "../errors/index.js";
import { checkOutputPath } from "../io/output-path.js";
import { TRAIN_DEFAULTS, train } from "../train/index.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import type { Command } from "./command.js";
import { LOSS_FLAGS, LOSS_FLAGS_HELP, parseLossFlags } from "./loss-flags.js";
import { ProgressBar } from "./progress.js";
import { testKillPoint } from "./test-kill.js";

const D = TRAIN_DEFAULTS;

const HELP = `Usage:
  esci train --base M --data D --output DIR [flags]

Fine-tunes M — a bare encoder (e.g. sentence-transformers/all-distilroberta-v1: a new 4-way head)
or a sequence classifier (its head and labels are kept) — for ESCI classification with
cross-entropy (or a class-weighted, smoothed or focal loss) and AdamW on ONNX Runtime. Defaults are the reference model card's recipe.

D is an ESCI dataset directory (US, large version, train split) or a JSONL/CSV/Parquet file with
"query", "product" and "label" (E/S/C/I or exact/substitute/complement/irrelevant).

DIR becomes a Hugging Face checkpoint of the best model by validation micro-F1 (of the last step
when validation is off), loadable by esci predict and transformers, plus log.jsonl (one line per
step and per validation) and checkpoints/ (weights, optimizer and data position). A run killed at
any moment continues with --resume to the same final weights.

Flags:
  --base M             base model: local directory or hub id
  --data D             training pairs
  --output DIR         output directory
  --epochs N           passes over the data (default ${D.epochs})
  --lr X               peak learning rate (default ${D.lr})
  --batch-size N       pairs per micro-batch (default ${D.batchSize})
  --grad-accum N       micro-batches per optimizer step, gradients averaged (default ${D.gradAccum})
  --warmup-ratio X     linear warm-up over this fraction of the steps, then linear decay (default ${D.warmupRatio})
  --max-length N       truncate pairs to N tokens (default ${D.maxLength}, capped by the model)
  --eval-every X       validate every X epochs; 0 turns validation off (default ${D.evalEvery})
  --validation FILE    validation pairs (default: ${Math.round(D.validationFraction * 100)}% of the training queries held out)
  --weight-decay X     AdamW decoupled weight decay, not on biases/LayerNorm (default ${D.weightDecay})
  --max-grad-norm X    clip the global gradient norm; 0 = off (default ${D.maxGradNorm})
  --dropout X          one rate for every dropout (default: the model config's)
${LOSS_FLAGS_HELP}
  --max-steps N        stop after N optimizer steps (the schedule spans N)
  --no-shuffle         keep the data order (default: a seeded shuffle per epoch)
  --labels a,b,…       head labels in id order (new head default: exact,substitute,complement,irrelevant;
                       an existing head: names for its LABEL_i ids)
  --seed N             shuffling, held-out queries, head initialisation, dropout (default ${D.seed})
  --save-every N       checkpoint every N steps (default ${D.saveEvery})
  --threads N          ONNX Runtime threads (default: all cores)
  --resume             continue the run in DIR from its latest checkpoint
  --quiet              no progress bar`;

function fmt(x: number): string {
  return x === 0 ? "0" : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4);
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    base: { type: "string" },
    data: { type: "string" },
    output: { type: "string" },
    epochs: { type: "string" },
    lr: { type: "string" },
    "batch-size": { type: "string" },
    "grad-accum": { type: "string" },
    "warmup-ratio": { type: "string" },
    "max-length": { type: "string" },
    "eval-every": { type: "string" },
    validation: { type: "string" },
    "weight-decay": { type: "string" },
    "max-grad-norm": { type: "string" },
    dropout: { type: "string" },
    "max-steps": { type: "string" },
    "no-shuffle": { type: "boolean" },
    labels: { type: "string" },
    seed: { type: "string" },
    "save-every": { type: "string" },
    threads: { type: "string" },
    resume: { type: "boolean" },
    quiet: { type: "boolean" },
    ...LOSS_FLAGS,
  });
  const labels = str(p, "labels")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (labels && labels.length < 2) throw new EsciError("INVALID_ARGUMENT", "--labels must name at least two labels, comma-separated");
  const quiet = bool(p, "quiet");
  // a note clears the progress bar's line first; the bar redraws on the next step
  const note = (m: string) => quiet || process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}esci train: ${m}\n`);
  let bar: ProgressBar | undefined;
  let tokenizing: ProgressBar | undefined;
  let current = 0;
  const base = requireStr(p, "base");
  const data = requireStr(p, "data");
  const output = requireStr(p, "output");
  await checkOutputPath(output, { kind: "directory", inputs: [base, data, str(p, "validation")], label: "--output" });
  const summary = await train(
    {
      base,
      data,
      output,
      epochs: num(p, "epochs", { min: 0 }),
      lr: num(p, "lr", { min: 0 }),
      batchSize: num(p, "batch-size", { integer: true, min: 1 }),
      gradAccum: num(p, "grad-accum", { integer: true, min: 1 }),
      warmupRatio: num(p, "warmup-ratio", { min: 0, max: 1 }),
      maxLength: num(p, "max-length", { integer: true, min: 3 }),
      evalEvery: num(p, "eval-every", { min: 0 }),
      validation: str(p, "validation"),
      weightDecay: num(p, "weight-decay", { min: 0 }),
      maxGradNorm: num(p, "max-grad-norm", { min: 0 }),
      dropout: num(p, "dropout", { min: 0, max: 0.999 }),
      maxSteps: num(p, "max-steps", { integer: true, min: 1 }),
      shuffle: bool(p, "no-shuffle") ? false : undefined,
      labels,
      seed: num(p, "seed", { integer: true, min: 0 }),
      saveEvery: num(p, "save-every", { integer: true, min: 1 }),
      threads: num(p, "threads", { integer: true, min: 1 }),
      resume: bool(p, "resume"),
      ...parseLossFlags(p),
    },
    {
      onNote: note,
      onTokenize: (done, total) => {
        tokenizing ??= new ProgressBar({ label: "tokenize", total, unit: "pairs", quiet });
        tokenizing.update(done);
        if (done === total) tokenizing.finish();
      },
      onStart: (plan, resumedAt, loss) => {
        const weights = loss.weights.some((w) => w !== 1) ? `, class weights ${loss.weights.map((w) => +w.toPrecision(4)).join(",")}` : "";
        const detail = loss.kind === "focal" ? `focal γ=${loss.focalGamma}` : `cross-entropy${loss.labelSmoothing ? `, label smoothing ${loss.labelSmoothing}` : ""}`;
        note(`loss: ${detail}${weights}`);
        note(
          `${plan.totalSteps} steps (${plan.stepsPerEpoch}/epoch, warm-up ${plan.warmupSteps})` +
            (plan.evalInterval ? `, validation every ${plan.evalInterval} steps` : "") +
            (resumedAt ? `; resuming after step ${resumedAt}` : ""),
        );
        bar = new ProgressBar({ label: "train", total: plan.totalSteps, unit: "steps", quiet });
        bar.update((current = resumedAt));
      },
      onStep: (s) => {
        bar?.update((current = s.step), undefined, { loss: fmt(s.loss), lr: fmt(s.lr), "tok/s": Math.round(s.tokensPerSecond) });
        // Test-only: the kill -9 test dies right after step k is logged (before its checkpoint).
        testKillPoint("ESCI_TEST_KILL_AT_STEP", s.step);
      },
      // validation is long on the full dataset: the bar's fields say how far it is
      onEvalProgress: (done, total) => bar?.update(current, undefined, { validating: `${Math.round((100 * done) / total)}%` }),
      onEval: (step, r, isBest) => {
        bar?.update(step, undefined, { validating: "–" });
        note(`step ${step}: validation accuracy ${r.accuracy.toFixed(4)}, micro-F1 ${r.micro_f1.toFixed(4)}, loss ${r.loss.toFixed(4)}${isBest ? " (best so far, saved)" : ""}`);
      },
    },
  );
  bar?.finish();
  const best = summary.best ? `best micro-F1 ${summary.best.micro_f1.toFixed(4)} at step ${summary.best.step}` : "last step's weights";
  process.stdout.write(`${summary.output}: ${best} (${summary.steps} steps)\n`);
  return 0;
}

export const trainCommand: Command = {
  name: "train",
  summary: "fine-tune a cross-encoder on ESCI pairs (ONNX Runtime training)",
  help: HELP,
  run,
};
