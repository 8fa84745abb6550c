/**
 * The report of `esci evaluate --task 1 --store`: DIR/metrics.json ({task1_store: …}) and
 * DIR/report.html — stage 1 against stage 1 + rerank, recall of the judged products, and nDCG per
 * query — drawn from the result object alone, in the evaluation report's page style.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { card, fx, htmlPage } from "../esci/report/html.js";
import { esc } from "../esci/report/svg.js";
import type { StoreTask1Result } from "./evaluate.js";

export function renderStoreReportHtml(r: StoreTask1Result, created: string): string {
  const cards = [card(fx(r.stage1.ndcg), "stage 1 nDCG (BM25 + kNN)")];
  if (r.reranked) cards.push(card(fx(r.reranked.ndcg), "stage 1 + rerank nDCG"));
  cards.push(card(fx(r.recall), "stage-1 recall, judged"), card(fx(r.recall_exact), "stage-1 recall, Exact"));
  cards.push(card(r.queries.toLocaleString("en-US"), `queries (${r.judgements.toLocaleString("en-US")} judgements)`));
  const rows = r.per_query
    .map((q) => `<tr><td>${esc(q.query_id)}</td><td>${esc(q.query)}</td><td>${fx(q.stage1)}</td><td>${fx(q.reranked)}</td></tr>`)
    .join("");
  return htmlPage("ESCI two-stage search report", [
    `<h1>Two-stage search — Task 1</h1><div class="meta">${esc(created)} · store: ${esc(r.store)} · ${r.candidates} candidates per query</div>`,
    `<div class="cards">${cards.join("")}</div>`,
    `<p class="note">nDCG over each query's judged products (gains E 1 · S 0.1 · C 0.01 · I 0); a judged product stage 1 missed counts only in the ideal DCG. ` +
      `${r.reranked ? `${r.reranked_pairs.toLocaleString("en-US")} pairs were reranked by the cross-encoder.` : "Stage 1 only (no rerank)."}</p>`,
    `<h2>Per query</h2><table><tr><th>query id</th><th>query</th><th>stage 1</th><th>+ rerank</th></tr>${rows}</table>`,
  ]);
}

/** Write DIR/metrics.json and DIR/report.html, each atomically. */
export async function writeStoreReport(dir: string, r: StoreTask1Result): Promise<{ metrics: string; html: string }> {
  const metrics = join(dir, "metrics.json");
  const html = join(dir, "report.html");
  await writeFileAtomic(metrics, JSON.stringify({ task1_store: r }, null, 2) + "\n");
  await writeFileAtomic(html, renderStoreReportHtml(r, new Date().toISOString()));
  return { metrics, html };
}
