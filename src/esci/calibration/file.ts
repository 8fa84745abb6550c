/**
 * `esci_calibration.json`, the calibration stored in a checkpoint directory:
 *
 *   {"temperature": T, "bias": [b_0, …] (label-id order), "objective": "nll"|"macro-f1"|"micro-f1",
 *    "fitted_on": {"file", "rows", "sha256"}, "before": {metrics}, "after": {metrics},
 *    "prior": [π'_0, …] (only with --prior: the label prior the biases move to)}
 *
 * Prediction reads only temperature and bias (models/calibration.ts); the rest says how they were
 * made. The file is written atomically and the weights are never touched, so transformers loads
 * the checkpoint as before. `fitted_on.sha256` is the SHA-256 of the pair file, or of a dataset
 * directory's examples file followed by its products file.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { CALIBRATION_FILE } from "../../models/calibration.js";
import { esciFiles } from "../dataset.js";
import { writeFileAtomic } from "../../io/atomic.js";
import type { CalibrationObjective } from "./fit.js";
import type { CalibrationMetrics } from "./report.js";

export interface CalibrationFile {
  temperature: number;
  bias: number[];
  objective: CalibrationObjective;
  fitted_on: { file: string; rows: number; sha256: string };
  before: CalibrationMetrics;
  after: CalibrationMetrics;
  prior?: number[];
}

/** SHA-256 (hex) of a pair file, or of a dataset directory's examples then products file. */
export async function dataSha256(path: string): Promise<string> {
  const files = (await stat(path)).isDirectory() ? Object.values(await esciFiles(path)) : [path];
  const h = createHash("sha256");
  for (const f of files) for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Writes `dir/esci_calibration.json` atomically; returns its path. */
export async function writeCalibrationFile(dir: string, c: CalibrationFile): Promise<string> {
  const file = join(dir, CALIBRATION_FILE);
  await writeFileAtomic(file, JSON.stringify(c, null, 2) + "\n");
  return file;
}
