/**
 * `esci calibrate`: fit a checkpoint's calibration on labelled pairs and store it beside the
 * weights (esci_calibration.json), printing and writing the before/after report. Flag parsing and
 * printing only; the fitting, metrics and file are esci/calibration/.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { calibrateModel, OBJECTIVES, renderCalibrationHtml, renderCalibrationText, type CalibrationObjective } from "../esci/calibration/index.js";
import { writeFileAtomic } from "../io/atomic.js";
import { bool, num, parseFlags, requireStr, str, type Parsed } from "./args.js";
import { DATASET_FLAGS, parseVersion } from "./classify.js";
import type { Command } from "./command.js";
import { loadCrossEncoder, MODEL_FLAGS } from "./model-flags.js";
import { ProgressBar } from "./progress.js";

const HELP = `Usage:
  esci calibrate --model DIR --data V [--objective nll|macro-f1|micro-f1] [--prior P] [--report DIR]

Fits how the cross-encoder in DIR turns logits into probabilities, probs = softmax((logits + b) / T),
on the labelled pairs V, and writes DIR/esci_calibration.json (the weights are untouched, so
transformers ignores it). predict, classify, evaluate, search, substitutes and serve then apply it
by default ("calibrated": true in their output; --no-calibration turns it off).

  --model DIR          a local checkpoint directory (the file is written into it)
  --data V             a JSONL/CSV/Parquet pair file with "label" (or "esci_label"), or an ESCI
                       dataset directory (with --locale, --split, --version, --limit, --template;
                       default: us, test split, large version). Calibrate on pairs the model was
                       not trained on, and evaluate on others.
  --objective O        nll (default): temperature scaling alone (Guo et al. 2017), the T > 0 that
                       minimises the mean negative log-likelihood;
                       macro-f1 | micro-f1: T as for nll, then per-label logit biases tuned so the
                       arg-max maximises that F1 on V
  --prior P            move the probabilities to another label prior (logit adjustment, Menon et
                       al. 2020): "balanced", or one share per label in id order (e.g. 0.4,0.2,0.3,0.1
                       for exact,substitute,complement,irrelevant); with --objective nll only
  --report DIR         where calibration_report.html goes (default: the model directory)
  --bins N             reliability bins (default 15)
  --batch-size N, --max-length N, --labels a,b,…, --threads N, --quiet: as for esci predict`;

function parseObjective(p: Parsed): CalibrationObjective {
  const v = str(p, "objective") ?? "nll";
  if (!OBJECTIVES.includes(v as CalibrationObjective)) throw new EsciError("INVALID_ARGUMENT", `--objective must be one of ${OBJECTIVES.join(", ")}, got "${v}"`);
  return v as CalibrationObjective;
}

/** --prior: "balanced" (uniform over `labels` labels) or comma-separated shares. */
function parsePrior(p: Parsed, labels: number): number[] | undefined {
  const raw = str(p, "prior");
  if (raw === undefined) return undefined;
  if (raw === "balanced") return new Array<number>(labels).fill(1 / labels);
  const v = raw.split(",").map((s) => Number(s.trim()));
  if (v.length !== labels || v.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new EsciError("INVALID_ARGUMENT", `--prior must be "balanced" or ${labels} positive shares (one per label, id order), got "${raw}"`);
  }
  return v;
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...MODEL_FLAGS,
    ...DATASET_FLAGS,
    data: { type: "string" },
    objective: { type: "string" },
    prior: { type: "string" },
    report: { type: "string" },
    bins: { type: "string" },
  });
  const modelDir = requireStr(p, "model");
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) {
    throw new EsciError("INVALID_ARGUMENT", `--model ${modelDir}: esci calibrate writes esci_calibration.json into the checkpoint, so give a local checkpoint directory (a hub model: download it and pass the directory)`);
  }
  const data = requireStr(p, "data");
  const objective = parseObjective(p);
  const scorer = await loadCrossEncoder(p, modelDir);
  try {
    const bar = new ProgressBar({ label: "scoring", unit: "pairs", quiet: bool(p, "quiet") });
    const { file, summary } = await calibrateModel(scorer, {
      data,
      modelDir,
      objective,
      prior: parsePrior(p, scorer.labels.length),
      locale: str(p, "locale") ?? "us",
      split: str(p, "split") ?? "test",
      version: parseVersion(p, "large"),
      limit: num(p, "limit", { integer: true, min: 1 }),
      template: str(p, "template"),
      bins: num(p, "bins", { integer: true, min: 1, max: 1000 }),
      batchSize: num(p, "batch-size", { integer: true, min: 1 }),
      maxLength: num(p, "max-length", { integer: true, min: 3 }),
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.finish();
    const html = join(str(p, "report") ?? modelDir, "calibration_report.html");
    await writeFileAtomic(html, renderCalibrationHtml(summary));
    process.stdout.write(renderCalibrationText(summary));
    process.stderr.write(`wrote ${file} and ${html}\n`);
  } finally {
    await scorer.dispose();
  }
  return 0;
}

export const calibrateCommand: Command = {
  name: "calibrate",
  summary: "fit temperature / per-label biases on labelled pairs into the checkpoint's esci_calibration.json",
  help: HELP,
  run,
};
