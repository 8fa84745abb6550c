/**
 * `esci train`: fine-tune a cross-encoder on ESCI pairs. This file parses flags and draws the
 * progress bar; reading data, the model, the loop and checkpoints live in train/.
 */
import { EsciError } from "../errors/index.js";
import { checkOutputPath } from "../io/output-path.js";
import { train } from "../train/index.js";
import { bool, parseFlags, requireStr, str } from "./args.js";
import type { Command } from "./command.js";
import { LOSS_FLAGS, LOSS_FLAGS_HELP, parseLossFlags } from "./loss-flags.js";
import { testKillPoint } from "./test-kill.js";
import { RECIPE_FLAGS, RECIPE_HELP, recipeOptions, runDisplay } from "./train-flags.js";

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
  --labels a,b,…       head labels in id order (new head default: exact,substitute,complement,irrelevant;
                       an existing head: names for its LABEL_i ids)
${RECIPE_HELP}
${LOSS_FLAGS_HELP}`;

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    base: { type: "string" },
    data: { type: "string" },
    output: { type: "string" },
    labels: { type: "string" },
    ...RECIPE_FLAGS,
    ...LOSS_FLAGS,
  });
  const labels = str(p, "labels")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (labels && labels.length < 2) throw new EsciError("INVALID_ARGUMENT", "--labels must name at least two labels, comma-separated");
  const display = runDisplay("train", bool(p, "quiet"), (m) => `accuracy ${m.accuracy.toFixed(4)}, micro-F1 ${m.micro_f1.toFixed(4)}, loss ${m.loss.toFixed(4)}`);
  const base = requireStr(p, "base");
  const data = requireStr(p, "data");
  const output = requireStr(p, "output");
  await checkOutputPath(output, { kind: "directory", inputs: [base, data, str(p, "validation")], label: "--output" });
  const summary = await train(
    { base, data, output, labels, ...recipeOptions(p), ...parseLossFlags(p) },
    {
      ...display.hooks,
      onStart: (plan, resumedAt, loss) => {
        const weights = loss.weights.some((w) => w !== 1) ? `, class weights ${loss.weights.map((w) => +w.toPrecision(4)).join(",")}` : "";
        const detail = loss.kind === "focal" ? `focal γ=${loss.focalGamma}` : `cross-entropy${loss.labelSmoothing ? `, label smoothing ${loss.labelSmoothing}` : ""}`;
        display.note(`loss: ${detail}${weights}`);
        display.hooks.onStart?.(plan, resumedAt, loss);
      },
      onStep: (s) => {
        display.hooks.onStep?.(s);
        // Test-only: the kill -9 test dies right after step k is logged (before its checkpoint).
        testKillPoint("ESCI_TEST_KILL_AT_STEP", s.step);
      },
    },
  );
  display.finish();
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
