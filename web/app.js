// esci web UI: calls the same routes as any client (/v1/search, /v1/classify, /v1/reports) and
// renders their answers. Elements are built through the DOM, never from HTML strings, so product
// texts cannot inject markup, and widths go through CSSOM because the page's CSP allows no inline
// style attributes.

const LABELS = ["E", "S", "C", "I"];
const NAMES = { E: "exact", S: "substitute", C: "complement", I: "irrelevant" };
const $ = (id) => document.getElementById(id);

/** Create an element: el("td", {class: "num"}, "text", child…). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

let info = null;

async function api(path, body) {
  const headers = { accept: "application/json" };
  const key = $("api-key").value || localStorage.getItem("esci-api-key");
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(`${data.error ?? `HTTP ${res.status}`}${data.error_type ? ` (${data.error_type})` : ""}`);
  return data;
}

function showError(target, e) {
  target.replaceChildren(el("div", { class: "error-box", role: "alert" }, e.message));
}

function badge(label) {
  return el("span", { class: `badge ${label}`, title: NAMES[label] ?? label, "data-testid": "badge" }, label);
}

/** A stacked bar of P(E), P(S), P(C), P(I) with the numbers under it. */
function probBar(probs) {
  const bar = el("div", { class: "probs", title: LABELS.map((l) => `P(${l}) ${(probs[l] ?? 0).toFixed(3)}`).join(" · ") });
  for (const l of LABELS) {
    const s = el("span", { class: l });
    s.style.width = `${((probs[l] ?? 0) * 100).toFixed(1)}%`;
    bar.append(s);
  }
  const text = el("div", { class: "probtext" }, LABELS.map((l) => `${l} ${(probs[l] ?? 0).toFixed(2)}`).join("  "));
  return el("div", {}, bar, text);
}

/** ESCI letters from a model's label names (exact → E…): answers key `probs` by the checkpoint's names. */
function letter(name) {
  const n = String(name).toLowerCase();
  for (const l of LABELS) if (n === l.toLowerCase() || n === NAMES[l]) return l;
  return null;
}

/** Probabilities keyed by label name → keyed by ESCI letter (for the probability bar). */
function byLetter(probs) {
  const out = {};
  for (const [k, v] of Object.entries(probs)) {
    const l = letter(k) ?? k;
    out[l] = (out[l] ?? 0) + v;
  }
  return out;
}

function legend() {
  return el("div", { class: "legend" }, LABELS.map((l) => el("span", {}, badge(l), " ", NAMES[l])), el("span", {}, "score = Σ P(label)·gain (E 1, S 0.1, C 0.01, I 0)"));
}

// ---------------------------------------------------------------- search

function movement(stage1, rank) {
  const d = stage1 - rank;
  if (d === 0) return null;
  return el("span", { class: `move ${d > 0 ? "up" : "down"}`, title: `stage-1 rank ${stage1}` }, d > 0 ? `▲${d}` : `▼${-d}`);
}

function renderHits(r) {
  if (!r.hits.length) return el("p", { class: "hint" }, "No products match.");
  const head = el(
    "tr",
    {},
    el("th", {}, "#"),
    el("th", { title: "rank after stage 1 (BM25 + vector, fused)" }, "stage 1"),
    r.reranked ? el("th", {}, "ESCI") : null,
    el("th", {}, "product"),
    r.reranked ? el("th", {}, "probabilities") : null,
    el("th", {}, r.reranked ? "exp. gain" : "RRF score"),
  );
  const rows = r.hits.map((h) =>
    el(
      "tr",
      { "data-testid": "hit", "data-id": h.id },
      el("td", { class: "num" }, h.rank, movement(h.stage1_rank, h.rank)),
      el("td", { class: "num", "data-testid": "stage1-rank" }, h.stage1_rank),
      r.reranked ? el("td", {}, badge(h.esci ?? h.label)) : null,
      el(
        "td",
        {},
        el("div", { class: "title" }, h.title),
        el("div", { class: "sub" }, [h.id, h.product.brand, h.product.color].filter(Boolean).join(" · ")),
      ),
      r.reranked ? el("td", {}, probBar(byLetter(h.probs))) : null,
      el("td", { class: "num" }, h.score.toFixed(4)),
    ),
  );
  return el("div", {}, r.reranked ? legend() : null, el("table", { class: "results" }, el("thead", {}, head), el("tbody", {}, rows)));
}

async function onSearch(ev) {
  ev.preventDefault();
  const out = $("search-results");
  const button = ev.target.querySelector("button");
  button.disabled = true;
  const t0 = performance.now();
  try {
    const rerank = $("search-rerank").checked;
    const r = await api("/v1/search", { query: $("search-query").value, k: Number($("search-k").value), rerank });
    out.replaceChildren(renderHits(r));
    $("search-hint").textContent = `${r.hits.length} results in ${Math.round(performance.now() - t0)} ms${r.reranked ? ", reranked by the cross-encoder" : ", stage 1 only"}`;
  } catch (e) {
    showError(out, e);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- classify

async function onClassify(ev) {
  ev.preventDefault();
  const out = $("classify-results");
  const products = $("classify-products").value.split("\n").map((s) => s.trim()).filter(Boolean);
  try {
    const r = await api("/v1/classify", { query: $("classify-query").value, products });
    const esci = r.labels.every((l) => letter(l));
    const rows = r.results.map((x) => {
      return el(
        "tr",
        { "data-testid": "classified" },
        el("td", {}, products[x.index]),
        el("td", {}, x.esci ? badge(x.esci) : x.label),
        el("td", {}, esci ? probBar(byLetter(x.probs)) : Object.entries(x.probs).map(([k, v]) => `${k} ${v.toFixed(3)}`).join("  ")),
        el("td", { class: "num" }, x.score === undefined ? "–" : x.score.toFixed(4)),
      );
    });
    out.replaceChildren(
      esci ? legend() : el("span"),
      el("table", { class: "results" }, el("thead", {}, el("tr", {}, el("th", {}, "product"), el("th", {}, "label"), el("th", { title: r.calibrated ? "softmax((logits + bias) / T) from the model's esci_calibration.json" : "softmax(logits)" }, r.calibrated ? "probabilities (calibrated)" : "probabilities"), el("th", {}, "score"))), el("tbody", {}, rows)),
    );
  } catch (e) {
    showError(out, e);
  }
}

// ---------------------------------------------------------------- reports

async function loadReports() {
  const list = $("report-list");
  if (info && !info.reports) {
    list.replaceChildren(el("li", { class: "hint" }, "No reports directory: start esci serve with --reports DIR."));
    return;
  }
  try {
    const { reports } = await api("/v1/reports");
    if (!reports.length) {
      list.replaceChildren(el("li", { class: "hint" }, "No report.html found (write one with esci evaluate --report DIR)."));
      return;
    }
    list.replaceChildren(
      ...reports.map((r) => {
        const metrics = [r.ndcg !== undefined ? `nDCG ${r.ndcg.toFixed(4)}` : null, r.micro_f1 !== undefined ? `F1 ${r.micro_f1.toFixed(4)}` : null].filter(Boolean).join(" · ");
        const li = el("li", { "data-testid": "report", onclick: () => showReport(li, r.url) }, el("div", { class: "title" }, r.path || "(top)"), el("div", { class: "sub" }, (r.created ?? r.modified).slice(0, 19).replace("T", " ")), metrics ? el("div", { class: "sub" }, metrics) : null);
        return li;
      }),
    );
    showReport(list.firstElementChild, reports[0].url);
  } catch (e) {
    showError(list, e);
  }
}

function showReport(li, url) {
  for (const x of $("report-list").children) x.classList.toggle("active", x === li);
  $("report-frame").src = url;
}

// ---------------------------------------------------------------- shell

function selectTab(name) {
  for (const b of document.querySelectorAll("nav button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("hidden", s.id !== `tab-${name}`);
  if (name === "reports") loadReports();
  history.replaceState(null, "", `#${name}`);
}

async function loadInfo() {
  const status = $("status");
  try {
    info = await api("/v1/info");
    const ce = info.cross_encoder;
    status.textContent = [
      ce ? `model ${ce.id}` : "models loading…",
      info.embedder ? `bi-encoder ${info.embedder.id}` : null,
      info.store ? `${info.store.products.toLocaleString()} products in ${info.store.location}` : "no store",
    ].filter(Boolean).join(" · ");
    status.classList.remove("error");
    $("api-key-box").classList.toggle("hidden", !info.auth);
    $("search-hint").textContent = info.store ? "" : "This server has no catalog store: start esci serve with --store STORE to search.";
    if (!info.ready) setTimeout(loadInfo, 1000);
  } catch (e) {
    status.textContent = `server unreachable: ${e.message}`;
    status.classList.add("error");
    setTimeout(loadInfo, 2000);
  }
}

$("api-key").value = localStorage.getItem("esci-api-key") ?? "";
$("api-key").addEventListener("change", (e) => localStorage.setItem("esci-api-key", e.target.value));
for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
$("search-form").addEventListener("submit", onSearch);
$("classify-form").addEventListener("submit", onClassify);
/** The tab the address names (`/#classify`); search when it names none. */
const tabFromHash = () => (["search", "classify", "reports"].includes(location.hash.slice(1)) ? location.hash.slice(1) : "search");
// Links, typed addresses and back/forward change the hash after load: follow them.
window.addEventListener("hashchange", () => selectTab(tabFromHash()));
selectTab(tabFromHash());
loadInfo();
