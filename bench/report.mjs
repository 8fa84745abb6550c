/**
 * The benchmark report: issue 3's targets checked against one run's numbers, and the Markdown
 * table (bench/results/latest.md, copied into docs/speed.md). Ratios are always esci over a peer
 * measured in the same run, oriented so that > 1 means esci is better: throughput esci/peer,
 * latency and memory peer/esci.
 */

const byId = (report, id) => report.results.find((r) => r.id === id && !r.error);
const ratio = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** [{ target, value, pass }] — `pass` is undefined when an engine the target needs did not run. */
export function checkTargets(report) {
  const fp32 = byId(report, "esci-fp32");
  const int8 = byId(report, "esci-int8");
  const ort = byId(report, "ort");
  const tjs = byId(report, "transformers.js");
  const pad = byId(report, "pad512");
  const acc = report.accuracy?.int8;
  const t = [];
  const atLeast = (target, value, min, fmt = (v) => `${v.toFixed(2)}×`) =>
    t.push({ target, value: value === undefined ? "not measured" : fmt(value), pass: value === undefined ? undefined : value >= min });
  const atMost = (target, value, max, fmt) =>
    t.push({ target, value: value === undefined ? "not measured" : fmt(value), pass: value === undefined ? undefined : value <= max });
  atLeast("fp32, 32 × 64: ≥ 1.0× onnxruntime-node on the PyTorch export", ratio(fp32?.fixedPairsPerSec, ort?.fixedPairsPerSec), 1.0);
  atLeast("fp32, 32 × 64: ≥ 1.1× transformers.js", ratio(fp32?.fixedPairsPerSec, tjs?.fixedPairsPerSec), 1.1);
  atLeast("fp32, ESCI-like end to end: ≥ 1.5× transformers.js", ratio(fp32?.esciPairsPerSec, tjs?.esciPairsPerSec), 1.5);
  atLeast("fp32, ESCI-like end to end: ≥ 3× pad every pair to 512", ratio(fp32?.esciPairsPerSec, pad?.esciPairsPerSec), 3);
  atLeast("int8, ESCI-like: ≥ 2.5× esci fp32", ratio(int8?.esciPairsPerSec, fp32?.esciPairsPerSec), 2.5);
  atLeast("int8 arg-max = fp32's on ≥ 99% of pairs (this model)", acc?.argmaxAgreement, 0.99, (v) => `${(100 * v).toFixed(2)}%`);
  atMost("int8 max |Δprob| ≤ 0.02 (this model)", acc?.maxAbsProbDiff, 0.02, (v) => v.toFixed(4));
  atMost("single pair, 64 tokens: p50 ≤ 15 ms fp32", fp32?.p50Ms, 15, (v) => `${v.toFixed(1)} ms`);
  atMost("single pair, 64 tokens: p50 ≤ 8 ms int8", int8?.p50Ms, 8, (v) => `${v.toFixed(1)} ms`);
  atMost("peak RSS ≤ 1 GiB fp32", fp32?.peakRssMiB, 1024, (v) => `${v.toFixed(0)} MiB`);
  atMost("peak RSS ≤ 600 MiB int8", int8?.peakRssMiB, 600, (v) => `${v.toFixed(0)} MiB`);
  return t;
}

const num = (x, d = 1) => (x === undefined ? "—" : x.toFixed(d));
const times = (x) => (x === undefined ? "—" : `${x.toFixed(2)}×`);

export function renderMarkdown(report) {
  const m = report.machine;
  const s = report.settings;
  const lines = [];
  lines.push(`# esci speed — ${report.date.slice(0, 10)}${s.quick ? " (quick smoke run: small samples, not for quoting)" : ""}`, "");
  lines.push(
    `Measured ${report.date.replace("T", " ").slice(0, 16)} UTC on ${m.cpu}, ${m.vcpus} vCPU (${m.flags.join(", ")}), ${m.memoryGiB} GiB, ` +
      `Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}; every engine on ${s.threads} threads, each in its own process, all in one run` +
      `${s.rounds > 1 ? ` (median of ${s.rounds} rounds)` : ""}.`,
    "",
    `- Model: ${s.model}.`,
    `- 32 × 64: ${s.fixed}; median of the timed calls.`,
    `- ESCI-like: ${s.esci}; esci uses its length-aware batching.`,
    `- Pad to 512: ${s.pad512}.`,
    `- Single pair: one pair at 64 tokens per call.`,
    `- Tokenizers: ${s.tokenizers}. PyTorch: ${s.pytorch}.`,
    "",
  );
  lines.push(
    "| engine | 32 × 64 pairs/s | ESCI-like pairs/s | single pair p50 / p99 (ms) | peak RSS (MiB) | other jobs' CPU share |",
    "|---|--:|--:|--:|--:|--:|",
  );
  for (const r of report.results) {
    if (r.error) {
      lines.push(`| ${r.label} | failed: ${r.error.slice(0, 120).replace(/\|/g, "/")} | | | |`);
      continue;
    }
    const lat = r.p50Ms === undefined ? "—" : `${num(r.p50Ms)} / ${num(r.p99Ms)}`;
    lines.push(`| ${r.label} | ${num(r.fixedPairsPerSec)} | ${num(r.esciPairsPerSec)} | ${lat} | ${num(r.peakRssMiB, 0)} | ${(100 * (r.othersCpuShare ?? 0)).toFixed(0)}% |`);
  }
  for (const [id, why] of Object.entries(report.skipped)) lines.push(`| ${id} | skipped: ${why} | | | |`);
  lines.push(
    "",
    "The machine is shared: the last column is the share of its CPUs that other jobs used while that engine ran " +
      "(`--retries N` repeats runs disturbed by more than 10%). Ratios between engines are only as good as those shares are alike.",
    "",
  );

  const peers = report.results.filter((r) => !r.error && !r.id.startsWith("esci-"));
  for (const id of ["esci-fp32", "esci-int8"]) {
    const e = byId(report, id);
    if (!e || !peers.length) continue;
    lines.push(`**${e.label} as a ratio to each peer** (> 1: esci better — throughput esci/peer, latency and RSS peer/esci)`, "");
    lines.push("| peer | 32 × 64 | ESCI-like | p50 latency | peak RSS |", "|---|--:|--:|--:|--:|");
    for (const p of [...(id === "esci-int8" ? [byId(report, "esci-fp32")].filter(Boolean) : []), ...peers]) {
      lines.push(
        `| ${p.label} | ${times(ratio(e.fixedPairsPerSec, p.fixedPairsPerSec))} | ${times(ratio(e.esciPairsPerSec, p.esciPairsPerSec))} | ` +
          `${times(ratio(p.p50Ms, e.p50Ms))} | ${times(ratio(p.peakRssMiB, e.peakRssMiB))} |`,
      );
    }
    lines.push("");
  }

  const acc = report.accuracy ?? {};
  if (acc.maxAbsLogitDiffVsEsciFp32) {
    const diffs = Object.entries(acc.maxAbsLogitDiffVsEsciFp32).map(([id, d]) => `${id} ${d.toExponential(1)}`);
    lines.push(`Same function: max |Δlogit| against esci fp32 on the ESCI-like pairs — ${diffs.join(", ")}.`);
  }
  if (acc.int8) {
    lines.push(
      `int8 against fp32 on ${acc.int8.pairs} pairs (this model): arg-max equal on ${(100 * acc.int8.argmaxAgreement).toFixed(2)}%, ` +
        `max |Δprob| ${acc.int8.maxAbsProbDiff.toFixed(4)}.`,
    );
  }
  lines.push("", "| target | measured | met |", "|---|--:|:-:|");
  for (const t of report.targets) lines.push(`| ${t.target.replace(/\|/g, "\\|")} | ${t.value} | ${t.pass === undefined ? "?" : t.pass ? "yes" : "**no**"} |`);
  lines.push("");
  return lines.join("\n");
}
