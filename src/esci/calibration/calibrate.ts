/**
 * Calibrating a model on labelled pairs: score them once (raw logits, no stored calibration),
 * fit (fit.ts), measure before and after (report.ts), and write `esci_calibration.json` into the
 * checkpoint directory (file.ts). Any PairScorer works, so tests use a fake whose logits are known.
 */
import { resolve } from "node:path";
import { EsciError } from "../../errors/index.js";
import type { Pair, PairScorer } from "../../models/types.js";
import type { EsciReadOptions } from "../dataset.js";
import { esciLabelsOf, type EsciLabel } from "../labels.js";
import { openPairSource } from "../pairs.js";
import { dataSha256, writeCalibrationFile, type CalibrationFile } from "./file.js";
import { fitCalibration, type CalibrationObjective, type LabelledLogits } from "./fit.js";
import { calibrationMetrics, IDENTITY, type CalibrationSummary } from "./report.js";

export interface CalibrateOptions extends EsciReadOptions {
  /** Labelled pair file or ESCI dataset directory. */
  data: string;
  /** Checkpoint directory that receives esci_calibration.json. */
  modelDir: string;
  objective: CalibrationObjective;
  /** Target label prior in label-id order (normalised here). */
  prior?: number[];
  bins?: number;
  batchSize?: number;
  maxLength?: number;
  onProgress?: (done: number, total: number | undefined) => void;
}

/** Scores every labelled pair of `data`: logits in label-id order and gold label ids. */
export async function scoreLabelled(scorer: PairScorer, o: Pick<CalibrateOptions, "data" | "batchSize" | "maxLength" | "onProgress"> & EsciReadOptions): Promise<LabelledLogits> {
  const ids = new Map<EsciLabel, number>(esciLabelsOf(scorer.labels).map((l, i) => [l, i]));
  const source = await openPairSource(o.data, o);
  const rows: number[][] = [];
  const labels: number[] = [];
  for await (const batch of source.batches()) {
    const pairs: Pair[] = [];
    for (const r of batch) {
      if (r.label === undefined) {
        throw new EsciError("INVALID_INPUT", `${r.file}, row ${r.row}: no label (calibration needs a "label" or "esci_label" on every row)`, { file: r.file, row: r.row });
      }
      const id = ids.get(r.label);
      if (id === undefined) throw new EsciError("INVALID_INPUT", `${r.file}, row ${r.row}: label ${r.label} is not one of the model's labels (${scorer.labels.join(", ")})`, { file: r.file, row: r.row });
      labels.push(id);
      pairs.push([r.query, r.product]);
    }
    const preds = await scorer.predict(pairs, { batchSize: o.batchSize, maxLength: o.maxLength, calibration: false });
    for (const p of preds) rows.push(p.logits);
    o.onProgress?.(rows.length, source.total);
  }
  if (rows.length === 0) throw new EsciError("INVALID_INPUT", `${o.data}: no labelled pairs to calibrate on`, { file: o.data });
  return { rows, labels: Int32Array.from(labels), classes: scorer.labels.length };
}

export async function calibrateModel(scorer: PairScorer, o: CalibrateOptions): Promise<{ file: string; summary: CalibrationSummary; calibration: CalibrationFile }> {
  if (o.prior) {
    if (o.prior.length !== scorer.labels.length || o.prior.some((p) => !(p > 0) || !Number.isFinite(p))) {
      throw new EsciError("INVALID_ARGUMENT", `\`prior\` needs ${scorer.labels.length} positive numbers, one per label in id order (${scorer.labels.join(", ")}), got ${o.prior.join(",")}`, {
        option: "prior",
        value: o.prior,
      });
    }
  }
  const prior = o.prior && o.prior.map((p) => p / o.prior!.reduce((a, b) => a + b, 0));
  const d = await scoreLabelled(scorer, o);
  const fit = fitCalibration(d, { objective: o.objective, prior });
  const names = scorer.labels;
  const before = calibrationMetrics(d, IDENTITY(d.classes), names, o.bins);
  const after = calibrationMetrics(d, fit, names, o.bins);
  const calibration: CalibrationFile = {
    temperature: fit.temperature,
    bias: fit.bias,
    objective: o.objective,
    fitted_on: { file: resolve(o.data), rows: d.rows.length, sha256: await dataSha256(o.data) },
    before,
    after,
    ...(prior ? { prior } : {}),
  };
  const file = await writeCalibrationFile(o.modelDir, calibration);
  return { file, calibration, summary: { model: o.modelDir, temperature: fit.temperature, bias: fit.bias, objective: o.objective, before, after } };
}
