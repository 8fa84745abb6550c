/**
 * The report's charts as SVG strings: confusion heat map, per-class bars, reliability diagram and
 * score distributions.
 *
 * Built as text so a report renders in any browser, mail client or CI artifact viewer without
 * JavaScript, fonts or network, and so tests can inspect it without a browser. Each function takes
 * plain numbers (the metrics.json sections) and returns one `<svg>` element.
 */
import type { ReliabilityBin } from "../metrics/calibration.js";
import type { ClassScores, ConfusionMatrix } from "../metrics/classification.js";

export function esc(s: string | number): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A number with at most `d` decimals, trimmed, for coordinates and labels. */
function f(x: number, d = 2): string {
  return Number.isFinite(x) ? String(Math.round(x * 10 ** d) / 10 ** d) : "0";
}

/** Class colours (colour-blind-safe Okabe–Ito). */
export const CLASS_COLORS: Readonly<Record<string, string>> = {
  E: "#009E73",
  S: "#0072B2",
  C: "#E69F00",
  I: "#D55E00",
};
const METRIC_COLORS = ["#0072B2", "#E69F00", "#009E73"];

function svg(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}</svg>`;
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${f(x)}" y="${f(y)}" ${attrs}>${esc(s)}</text>`;
}

/** Blend white → blue by t ∈ [0, 1]. */
function heat(t: number): string {
  const c = (a: number, b: number) => Math.round(a + (b - a) * Math.max(0, Math.min(1, t)));
  return `rgb(${c(255, 8)},${c(255, 69)},${c(255, 148)})`;
}

/** Rows = gold, columns = predicted; colour = share of the gold row, text = count and share. */
export function confusionHeatmap(cm: ConfusionMatrix, names: Readonly<Record<string, string>> = {}): string {
  const n = cm.labels.length;
  const cell = 72;
  const left = 110;
  const top = 56;
  const w = Math.max(left + n * cell + 20, 400);
  const h = top + n * cell + 40;
  let body = text(left + (n * cell) / 2, 18, "predicted", 'text-anchor="middle" class="axis"');
  body += text(16, top + (n * cell) / 2, "gold", `text-anchor="middle" class="axis" transform="rotate(-90 16 ${f(top + (n * cell) / 2)})"`);
  cm.labels.forEach((l, j) => (body += text(left + j * cell + cell / 2, top - 10, names[l] ?? l, 'text-anchor="middle"')));
  cm.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    body += text(left - 8, top + i * cell + cell / 2 + 4, names[cm.labels[i]] ?? cm.labels[i], 'text-anchor="end"');
    row.forEach((v, j) => {
      const share = total ? v / total : 0;
      const x = left + j * cell;
      const y = top + i * cell;
      const fg = share > 0.55 ? "#fff" : "#111";
      body += `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${heat(share)}" stroke="#fff"/>`;
      // style=, not fill=: the page's CSS colours text and would override a presentation attribute
      body += text(x + cell / 2, y + cell / 2 - 2, v.toLocaleString("en-US"), `text-anchor="middle" class="big" style="fill:${fg}"`);
      body += text(x + cell / 2, y + cell / 2 + 15, `${f(share * 100, 1)}%`, `text-anchor="middle" class="small" style="fill:${fg}"`);
    });
  });
  body += text(10, h - 12, "colour: share of the gold row (diagonal = recall)", 'class="small"');
  return svg(w, h, "Confusion matrix", body);
}

/** Grouped bars of precision, recall and F1 per class, with support under each group. */
export function perClassBars(perClass: Readonly<Record<string, ClassScores>>, names: Readonly<Record<string, string>> = {}): string {
  const labels = Object.keys(perClass);
  const metrics = ["precision", "recall", "f1"] as const;
  const group = 120;
  const bar = 28;
  const left = 44;
  const top = 30;
  const ph = 200;
  const w = left + labels.length * group + 20;
  const h = top + ph + 60;
  let body = "";
  for (let t = 0; t <= 5; t++) {
    const y = top + ph - (ph * t) / 5;
    body += `<line x1="${left}" x2="${w - 10}" y1="${f(y)}" y2="${f(y)}" class="grid"/>`;
    body += text(left - 6, y + 4, f(t / 5, 1), 'text-anchor="end" class="small"');
  }
  labels.forEach((l, g) => {
    const x0 = left + g * group + (group - metrics.length * bar) / 2;
    metrics.forEach((m, k) => {
      const v = perClass[l][m];
      const bh = ph * v;
      const x = x0 + k * bar;
      body += `<rect x="${f(x)}" y="${f(top + ph - bh)}" width="${bar - 4}" height="${f(bh)}" fill="${METRIC_COLORS[k]}"><title>${esc(`${names[l] ?? l} ${m}: ${v.toFixed(4)}`)}</title></rect>`;
      body += text(x + (bar - 4) / 2, top + ph - bh - 4, f(v, 2), 'text-anchor="middle" class="tiny"');
    });
    body += text(left + g * group + group / 2, top + ph + 18, names[l] ?? l, 'text-anchor="middle"');
    body += text(left + g * group + group / 2, top + ph + 34, `n = ${perClass[l].support.toLocaleString("en-US")}`, 'text-anchor="middle" class="small"');
  });
  metrics.forEach((m, k) => {
    body += `<rect x="${left + k * 100}" y="6" width="12" height="12" fill="${METRIC_COLORS[k]}"/>`;
    body += text(left + k * 100 + 16, 16, m, 'class="small"');
  });
  return svg(w, h, "Precision, recall and F1 per class", body);
}

/** Accuracy vs confidence per bin (bars), the diagonal of perfect calibration, and bin counts. */
export function reliabilityDiagram(bins: readonly ReliabilityBin[], ece: number): string {
  const left = 50;
  const top = 20;
  const ph = 240;
  const pw = 300;
  const countH = 60;
  const w = left + pw + 30;
  const h = top + ph + countH + 60;
  const x = (v: number) => left + v * pw;
  const y = (v: number) => top + ph - v * ph;
  let body = "";
  for (let t = 0; t <= 5; t++) {
    body += `<line x1="${left}" x2="${left + pw}" y1="${f(y(t / 5))}" y2="${f(y(t / 5))}" class="grid"/>`;
    body += text(left - 6, y(t / 5) + 4, f(t / 5, 1), 'text-anchor="end" class="small"');
    body += text(x(t / 5), top + ph + 16, f(t / 5, 1), 'text-anchor="middle" class="small"');
  }
  for (const b of bins) {
    if (!b.count) continue;
    const bw = (b.upper - b.lower) * pw;
    body += `<rect x="${f(x(b.lower))}" y="${f(y(b.accuracy))}" width="${f(bw - 1)}" height="${f(ph * b.accuracy)}" fill="#0072B2" opacity="0.85"><title>${esc(`(${f(b.lower)}, ${f(b.upper)}]: accuracy ${b.accuracy.toFixed(3)}, confidence ${b.confidence.toFixed(3)}, n = ${b.count}`)}</title></rect>`;
    const lo = Math.min(b.accuracy, b.confidence);
    const hi = Math.max(b.accuracy, b.confidence);
    body += `<rect x="${f(x(b.lower))}" y="${f(y(hi))}" width="${f(bw - 1)}" height="${f(ph * (hi - lo))}" fill="none" stroke="#D55E00" stroke-dasharray="3 2"/>`;
  }
  body += `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#444" stroke-dasharray="4 3"/>`;
  body += text(left + pw / 2, top + ph + 32, "confidence (max probability)", 'text-anchor="middle" class="axis"');
  body += text(14, top + ph / 2, "accuracy", `text-anchor="middle" class="axis" transform="rotate(-90 14 ${f(top + ph / 2)})"`);
  body += text(left + 6, top + 14, `ECE = ${ece.toFixed(4)}`, 'class="small"');
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const cy = top + ph + 40;
  for (const b of bins) {
    const bh = ((countH - 6) * b.count) / maxCount;
    body += `<rect x="${f(x(b.lower))}" y="${f(cy + countH - bh)}" width="${f((b.upper - b.lower) * pw - 1)}" height="${f(bh)}" fill="#999"><title>${esc(`n = ${b.count}`)}</title></rect>`;
  }
  body += text(left - 6, cy + countH, "n", 'text-anchor="end" class="small"');
  return svg(w, h, "Reliability diagram", body);
}

/** Histograms of the ranking score per gold class, each normalised to its class total. */
export function scoreDistributions(edges: readonly number[], perClass: Readonly<Record<string, readonly number[]>>, names: Readonly<Record<string, string>> = {}): string {
  const left = 50;
  const top = 30;
  const ph = 220;
  const pw = 420;
  const w = left + pw + 30;
  const h = top + ph + 50;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const x = (v: number) => left + ((v - lo) / (hi - lo || 1)) * pw;
  const shares: Record<string, number[]> = {};
  let maxShare = 0;
  for (const [l, counts] of Object.entries(perClass)) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (!total) continue; // a class with no gold products has no curve
    shares[l] = counts.map((c) => (total ? c / total : 0));
    maxShare = Math.max(maxShare, ...shares[l]);
  }
  const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5].find((s) => (maxShare || 1) / s <= 5) ?? 0.5;
  maxShare = Math.ceil((maxShare || 1) / step) * step;
  const y = (v: number) => top + ph - (v / maxShare) * ph;
  let body = "";
  for (let v = 0; v <= maxShare + 1e-9; v += step) {
    body += `<line x1="${left}" x2="${left + pw}" y1="${f(y(v))}" y2="${f(y(v))}" class="grid"/>`;
    body += text(left - 6, y(v) + 4, `${f(v * 100, 0)}%`, 'text-anchor="end" class="small"');
  }
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    body += text(x(v), top + ph + 16, f(v, 2), 'text-anchor="middle" class="small"');
  }
  Object.entries(shares).forEach(([l, s], n) => {
    let d = `M${f(x(edges[0]))},${f(y(0))}`;
    s.forEach((v, i) => (d += ` L${f(x(edges[i]))},${f(y(v))} L${f(x(edges[i + 1]))},${f(y(v))}`));
    d += ` L${f(x(edges[edges.length - 1]))},${f(y(0))}`;
    const color = CLASS_COLORS[l] ?? "#333";
    body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    body += `<rect x="${left + n * 105}" y="8" width="12" height="12" fill="${color}"/>`;
    body += text(left + n * 105 + 16, 18, names[l] ?? l, 'class="small"');
  });
  body += text(left + pw / 2, top + ph + 34, "ranking score (score, else expected gain, else label gain)", 'text-anchor="middle" class="axis"');
  return svg(w, h, "Score distribution per gold class", body);
}
