/**
 * The evaluation report: metrics.json rendered as one self-contained HTML page (inline CSS and
 * SVG, no scripts, no external assets), plus the plain-text summary the CLI prints.
 *
 * Both render from the `Metrics` object alone, so a report can be rebuilt from a saved
 * metrics.json and the page never shows a number that metrics.json does not hold.
 */
import { join } from "node:path";
import type { Metrics } from "../evaluate.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { describeIssue } from "../issues.js";
import { ESCI_LABEL_NAMES } from "../labels.js";
import { confusionHeatmap, esc, perClassBars, reliabilityDiagram, scoreDistributions } from "./svg.js";

const NAMES: Record<string, string> = { ...ESCI_LABEL_NAMES, substitute: "substitute", no_substitute: "no substitute" };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;margin:0;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#555;font-size:12px}
table{border-collapse:collapse;background:#fff;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
figcaption{font-size:12px;color:#555;margin-top:4px;max-width:480px}
svg text{font:12px system-ui,sans-serif;fill:#222}svg text.small{font-size:11px;fill:#555}svg text.tiny{font-size:9px;fill:#333}
svg text.big{font-size:14px;font-weight:600}svg text.axis{font-size:12px;fill:#333}svg .grid{stroke:#e5e5e5}
.note{color:#666;font-style:italic}.warn{background:#fff4e5;border:1px solid #f0c36d;padding:8px 12px;border-radius:6px}
code{background:#f0f0f0;padding:0 3px;border-radius:3px}
`;

export function fx(v: number | undefined, d = 4): string {
  return v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(d);
}

export function card(value: string, label: string): string {
  return `<div class="card"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
}

export function renderReportHtml(m: Metrics): string {
  const parts: string[] = [];
  parts.push(`<h1>ESCI evaluation report</h1><div class="meta">${esc(m.created)} · ${esc(
    Object.entries(m.inputs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" · "),
  )}</div>`);

  const cards: string[] = [];
  if (m.task1) cards.push(card(fx(m.task1.ndcg), "Task 1 nDCG"));
  if (m.task2) cards.push(card(fx(m.task2.micro_f1), "Task 2 micro-F1"), card(fx(m.task2.macro_f1), "Task 2 macro-F1"));
  if (m.task3) cards.push(card(fx(m.task3.micro_f1), "Task 3 micro-F1"));
  if (m.calibration) cards.push(card(fx(m.calibration.ece), "ECE"));
  cards.push(card(m.counts.matched.toLocaleString("en-US"), `pairs scored (of ${m.counts.gold.toLocaleString("en-US")} judged, ${m.counts.queries.toLocaleString("en-US")} queries)`));
  cards.push(card(m.skipped.count.toLocaleString("en-US"), "rows skipped"));
  parts.push(`<div class="cards">${cards.join("")}</div>`);

  if (m.skipped.count) {
    parts.push(
      `<p class="warn">${m.skipped.count.toLocaleString("en-US")} input row(s) were skipped as malformed instead of failing the run: ${esc(
        Object.entries(m.skipped.by_kind)
          .map(([k, n]) => `${k.replace(/_/g, " ")}: ${n}`)
          .join(", "),
      )}. See the list at the end.</p>`,
    );
  }

  if (m.task1) {
    parts.push(`<h2>Task 1 — ranking</h2><table><tr><th>metric</th><th>value</th></tr>
<tr><td>nDCG (all judged products, gains E 1 · S 0.1 · C 0.01 · I 0)</td><td>${fx(m.task1.ndcg)}</td></tr>
<tr><td>queries</td><td>${m.task1.queries.toLocaleString("en-US")}</td></tr>
<tr><td>queries with ideal DCG 0 (scored 0, as trec_eval -c)</td><td>${m.task1.zero_ideal_queries.toLocaleString("en-US")}</td></tr>
<tr><td>ranking score from</td><td>${esc(
      Object.entries(m.task1.score_source)
        .map(([k, n]) => `${k.replace(/_/g, " ")}: ${n}`)
        .join(", "),
    )}</td></tr></table>`);
  }

  if (m.task2) {
    const t = m.task2;
    let rows = "";
    for (const [l, s] of Object.entries(t.per_class)) {
      rows += `<tr><td>${esc(`${l} (${NAMES[l] ?? l})`)}</td><td>${fx(s.precision)}</td><td>${fx(s.recall)}</td><td>${fx(s.f1)}</td><td>${s.support.toLocaleString("en-US")}</td></tr>`;
    }
    parts.push(`<h2>Task 2 — ESCI classification</h2>
<table><tr><th>metric</th><th>value</th></tr><tr><td>accuracy</td><td>${fx(t.accuracy)}</td></tr><tr><td>micro-F1 (KDD Cup metric)</td><td>${fx(t.micro_f1)}</td></tr>
<tr><td>macro-F1</td><td>${fx(t.macro_f1)}</td></tr><tr><td>weighted-F1</td><td>${fx(t.weighted_f1)}</td></tr></table>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${rows}</table>
<div class="charts"><figure>${confusionHeatmap(t.confusion, NAMES)}<figcaption>Confusion matrix: rows are gold labels, columns predicted labels.</figcaption></figure>
<figure>${perClassBars(t.per_class, NAMES)}<figcaption>Precision, recall and F1 per class; n is the gold support.</figcaption></figure></div>`);
  }

  if (m.task3) {
    const t = m.task3;
    parts.push(`<h2>Task 3 — substitute identification</h2>
<table><tr><th>metric</th><th>value</th></tr><tr><td>micro-F1 over {substitute, no substitute} (KDD Cup metric)</td><td>${fx(t.micro_f1)}</td></tr>
<tr><td>substitute precision</td><td>${fx(t.substitute.precision)}</td></tr><tr><td>substitute recall</td><td>${fx(t.substitute.recall)}</td></tr>
<tr><td>substitute F1</td><td>${fx(t.substitute.f1)}</td></tr><tr><td>substitute support</td><td>${t.substitute.support.toLocaleString("en-US")}</td></tr></table>
<div class="charts"><figure>${confusionHeatmap(t.confusion, NAMES)}<figcaption>S predicted/gold → substitute; E, C, I → no substitute.</figcaption></figure></div>`);
  }

  if (m.decision_rules) {
    const rows = decisionRuleRows(m)
      .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
      .join("");
    parts.push(`<h2>Decision rules</h2><table><tr><th>rule</th><th>micro-F1</th><th>macro-F1</th><th>Task 1 nDCG</th></tr>${rows}</table>
<p class="note">${esc(decisionRuleNote(m))}</p>`);
  }

  parts.push(`<h2>Calibration and scores</h2><div class="charts">`);
  if (m.calibration) {
    parts.push(
      `<figure>${reliabilityDiagram(m.calibration.bins, m.calibration.ece)}<figcaption>Reliability diagram: ${m.calibration.bins.length} equal-width bins of the max probability; bars show accuracy, dashed boxes the gap to the mean confidence, grey bars the number of predictions per bin. ECE ${fx(m.calibration.ece)}, MCE ${fx(m.calibration.mce)}.</figcaption></figure>`,
    );
  } else parts.push(`<p class="note">No probabilities in the predictions: no reliability diagram.</p>`);
  if (m.score_distribution) {
    parts.push(
      `<figure>${scoreDistributions(m.score_distribution.edges, m.score_distribution.per_class, NAMES)}<figcaption>Share of each gold class's products per ranking-score bin: a good ranker separates the curves.</figcaption></figure>`,
    );
  } else parts.push(`<p class="note">No ranking scores: no score distributions.</p>`);
  parts.push(`</div>`);

  if (m.skipped.count) {
    const items = m.skipped.items.map((i) => `<tr><td>${esc(i.kind)}</td><td>${esc(describeIssue(i))}</td></tr>`).join("");
    parts.push(
      `<h2>Skipped rows (${m.skipped.count.toLocaleString("en-US")})</h2><table><tr><th>kind</th><th>file, row, column: reason</th></tr>${items}</table>${
        m.skipped.truncated ? `<p class="note">Showing the first ${m.skipped.items.length}; metrics.json holds the same list.</p>` : ""
      }`,
    );
  }
  return htmlPage("ESCI evaluation report", parts);
}

/** A self-contained page (inline CSS, no scripts) around report sections (evaluation, search and calibration reports). */
export function htmlPage(title: string, sections: readonly string[]): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${sections.join("\n")}</main></body></html>\n`;
}

/** The text table the CLI prints after an evaluation. */
export function renderSummary(m: Metrics): string {
  const rows: [string, string][] = [];
  if (m.task1) rows.push(["Task 1 nDCG", fx(m.task1.ndcg)], ["  queries", String(m.task1.queries)]);
  if (m.task2) {
    rows.push(["Task 2 accuracy", fx(m.task2.accuracy)], ["Task 2 micro-F1", fx(m.task2.micro_f1)], ["Task 2 macro-F1", fx(m.task2.macro_f1)], ["Task 2 weighted-F1", fx(m.task2.weighted_f1)]);
  }
  if (m.task3) rows.push(["Task 3 micro-F1", fx(m.task3.micro_f1)]);
  if (m.calibration) rows.push(["ECE", fx(m.calibration.ece)]);
  rows.push(["pairs scored", `${m.counts.matched} of ${m.counts.gold} judged`], ["rows skipped", String(m.skipped.count)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (m.task2) {
    lines.push("", `${"class".padEnd(14)} ${"precision".padStart(9)} ${"recall".padStart(9)} ${"F1".padStart(9)} ${"support".padStart(9)}`);
    for (const [l, s] of Object.entries(m.task2.per_class)) {
      lines.push(`${`${l} ${NAMES[l] ?? ""}`.padEnd(14)} ${fx(s.precision).padStart(9)} ${fx(s.recall).padStart(9)} ${fx(s.f1).padStart(9)} ${String(s.support).padStart(9)}`);
    }
  }
  if (m.decision_rules) {
    const table = [["decision rule", "micro-F1", "macro-F1", "Task 1 nDCG"], ...decisionRuleRows(m)];
    const w = table.map((r) => r[0].length).reduce((a, b) => Math.max(a, b), 0);
    lines.push("", ...table.map((r) => `${r[0].padEnd(w)} ${r.slice(1).map((c) => c.padStart(11)).join(" ")}`), decisionRuleNote(m));
  }
  return lines.join("\n") + "\n";
}

const RULE_NAMES = { raw: "raw arg-max", calibrated: "calibrated", balanced_prior: "calibrated, balanced prior" } as const;

/** [rule, micro-F1, macro-F1, nDCG] per decision rule. */
function decisionRuleRows(m: Metrics): string[][] {
  return Object.entries(m.decision_rules!.rules).map(([k, r]) => [RULE_NAMES[k as keyof typeof RULE_NAMES], fx(r.micro_f1), fx(r.macro_f1), fx(r.ndcg)]);
}

function decisionRuleNote(m: Metrics): string {
  const c = m.decision_rules!.calibration;
  const stored = c ? `stored calibration T = ${c.temperature.toPrecision(4)}, bias [${c.bias.map((b) => b.toPrecision(3)).join(", ")}]` : "no stored calibration (calibrated = raw)";
  return `${stored}; the balanced prior moves the calibrated probabilities from their mean over these pairs to a uniform label prior (logit adjustment).`;
}

/** Write DIR/metrics.json and DIR/report.html, each atomically. */
export async function writeReport(dir: string, m: Metrics): Promise<{ metrics: string; html: string }> {
  const metrics = join(dir, "metrics.json");
  const html = join(dir, "report.html");
  await writeFileAtomic(metrics, JSON.stringify(m, null, 2) + "\n");
  await writeFileAtomic(html, renderReportHtml(m));
  return { metrics, html };
}
