/**
 * Before/after metrics of a calibration and their report: ECE (with its reliability bins), NLL,
 * accuracy, micro/macro-F1 and per-label recall of softmax((z + b)/T) against the gold labels —
 * computed with the same metric functions as `esci evaluate` (esci/metrics) — printed as a text
 * table and rendered as an HTML page with the two reliability diagrams side by side.
 */
import type { ScoreCalibration } from "../../models/calibration.js";
import { calibratedLogits } from "../../models/calibration.js";
import { softmax } from "../../models/cross-encoder.js";
import { calibration, type ReliabilityBin } from "../metrics/calibration.js";
import { classificationReport } from "../metrics/classification.js";
import { esc, reliabilityDiagram } from "../report/svg.js";
import { htmlPage } from "../report/html.js";
import { meanNll, type LabelledLogits } from "./fit.js";

export interface CalibrationMetrics {
  count: number;
  ece: number;
  nll: number;
  accuracy: number;
  micro_f1: number;
  macro_f1: number;
  /** Recall per label name, id order. */
  recall: Record<string, number>;
  reliability: ReliabilityBin[];
}

export const IDENTITY = (classes: number): ScoreCalibration => ({ temperature: 1, bias: new Array<number>(classes).fill(0) });

/** The metrics of `c` applied to `d` (label names in id order). */
export function calibrationMetrics(d: LabelledLogits, c: ScoreCalibration, names: readonly string[], bins = 15): CalibrationMetrics {
  const gold: string[] = [];
  const pred: string[] = [];
  const conf: number[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < d.rows.length; i++) {
    const p = softmax(calibratedLogits(d.rows[i], c));
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    gold.push(names[d.labels[i]]);
    pred.push(names[best]);
    conf.push(p[best]);
    correct.push(best === d.labels[i]);
  }
  const r = classificationReport(gold, pred, names);
  const cal = calibration(conf, correct, bins);
  return {
    count: d.rows.length,
    ece: cal.ece,
    nll: meanNll(d, c),
    accuracy: r.accuracy,
    micro_f1: r.micro_f1,
    macro_f1: r.macro_f1,
    recall: Object.fromEntries(names.map((n) => [n, r.per_class[n].recall])),
    reliability: cal.bins,
  };
}

export interface CalibrationSummary {
  model: string;
  temperature: number;
  bias: number[];
  objective: string;
  before: CalibrationMetrics;
  after: CalibrationMetrics;
}

const f4 = (v: number) => v.toFixed(4);

function rows(s: CalibrationSummary): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [
    ["ECE", f4(s.before.ece), f4(s.after.ece)],
    ["NLL", f4(s.before.nll), f4(s.after.nll)],
    ["accuracy", f4(s.before.accuracy), f4(s.after.accuracy)],
    ["micro-F1", f4(s.before.micro_f1), f4(s.after.micro_f1)],
    ["macro-F1", f4(s.before.macro_f1), f4(s.after.macro_f1)],
  ];
  for (const l of Object.keys(s.before.recall)) out.push([`recall ${l}`, f4(s.before.recall[l]), f4(s.after.recall[l])]);
  return out;
}

function fitted(s: CalibrationSummary): string {
  return `T = ${s.temperature.toPrecision(6)}, bias = [${s.bias.map((b) => b.toPrecision(4)).join(", ")}] (objective ${s.objective}, ${s.before.count} pairs)`;
}

/** The before/after table the CLI prints. */
export function renderCalibrationText(s: CalibrationSummary): string {
  const table = rows(s);
  const w = Math.max(...table.map((r) => r[0].length));
  const lines = [fitted(s), "", `${"".padEnd(w)}  ${"before".padStart(8)}  ${"after".padStart(8)}`];
  for (const [k, a, b] of table) lines.push(`${k.padEnd(w)}  ${a.padStart(8)}  ${b.padStart(8)}`);
  return lines.join("\n") + "\n";
}

/** The HTML report: the table and the reliability diagrams before and after, side by side. */
export function renderCalibrationHtml(s: CalibrationSummary): string {
  const table = rows(s)
    .map(([k, a, b]) => `<tr><td>${esc(k)}</td><td>${a}</td><td>${b}</td></tr>`)
    .join("");
  const figure = (m: CalibrationMetrics, caption: string) => `<figure>${reliabilityDiagram(m.reliability, m.ece)}<figcaption>${esc(caption)}</figcaption></figure>`;
  const body = [
    `<h1>Calibration of ${esc(s.model)}</h1><div class="meta">${esc(fitted(s))}</div>`,
    `<h2>Before and after</h2><table><tr><th></th><th>before</th><th>after</th></tr>${table}</table>`,
    `<h2>Reliability</h2><div class="charts">${figure(s.before, "Before: softmax(logits)")}${figure(s.after, "After: softmax((logits + bias) / T)")}</div>`,
  ];
  return htmlPage(`Calibration of ${s.model}`, body);
}
