/**
 * A checkpoint's stored calibration, as prediction applies it: `esci_calibration.json` in the
 * model directory (written by `esci calibrate`, esci/calibration/), of which prediction needs two
 * fields — `temperature` T > 0 and `bias` b (one per logit, label-id order) — giving
 * probs = softmax((logits + b) / T). Raw logits are never changed. The file sits beside the
 * weights and is ignored by transformers, so the checkpoint stays a plain Hugging Face one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";

export const CALIBRATION_FILE = "esci_calibration.json";

export interface ScoreCalibration {
  temperature: number;
  /** Per-label logit bias, label-id order. */
  bias: number[];
}

/** The calibration stored in `dir`, checked against a head of `labels` logits; undefined when there is none. */
export function readCalibration(dir: string, labels: number): ScoreCalibration | undefined {
  const file = join(dir, CALIBRATION_FILE);
  if (!existsSync(file)) return undefined;
  let raw: { temperature?: unknown; bias?: unknown };
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new EsciError("CORRUPT_FILE", `${file} is not valid JSON (${(e as Error).message}); rerun esci calibrate or delete it`, { file });
  }
  const { temperature, bias } = raw;
  if (typeof temperature !== "number" || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new EsciError("CORRUPT_FILE", `${file}: "temperature" must be a number > 0, got ${JSON.stringify(temperature)}; rerun esci calibrate`, { file, field: "temperature" });
  }
  if (!Array.isArray(bias) || bias.length !== labels || !bias.every((b) => typeof b === "number" && Number.isFinite(b))) {
    throw new EsciError("CORRUPT_FILE", `${file}: "bias" must list ${labels} numbers (one per label, id order), got ${JSON.stringify(bias)}; rerun esci calibrate`, {
      file,
      field: "bias",
    });
  }
  return { temperature, bias: bias as number[] };
}

/** (logits + b) / T: the logits whose softmax is the calibrated distribution. */
export function calibratedLogits(logits: ArrayLike<number>, c: ScoreCalibration): number[] {
  return Array.from(logits, (z, i) => (z + c.bias[i]) / c.temperature);
}
