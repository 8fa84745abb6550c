/**
 * `esci quantize`: builds a model's int8 graph (cached, so a later `--quantize int8` loads it at
 * once) and shows what int8 does to that model on the user's own pairs — decisions kept,
 * probability drift, speed against float32 — before it is served. Exits 1 when the drift is
 * beyond the thresholds, so a deployment script can gate on it.
 */
import { EsciError } from "../errors/index.js";
import { openPairSource } from "../esci/pairs.js";
import { compareScorers, type PairComparison, type ScorerComparison } from "../models/compare.js";
import type { Pair, PairPrediction } from "../models/types.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import { DATASET_FLAGS, parseVersion } from "./classify.js";
import type { Command } from "./command.js";
import { DEFAULT_CROSS_ENCODER, loadCrossEncoder, MODEL_FLAGS, MODEL_FLAGS_HELP } from "./model-flags.js";
import { ProgressBar } from "./progress.js";

/** Issue 3's int8 targets, the default thresholds. */
const DEFAULT_MIN_AGREEMENT = 0.99;
const DEFAULT_MAX_PROB_DIFF = 0.02;
const DEFAULT_LIMIT = 2000;

const HELP = `Usage:
  esci quantize --model M --input FILE|DIR [--limit N] [--min-agreement F] [--max-prob-diff F] [--json]

Builds the model's int8 graph (per-column int8 weights, dynamic uint8 activations; cached like
--quantize int8 everywhere else) and scores the first N pairs of the input with float32 and with
int8: how often the decision stays the same (the arg-max label; for a one-logit reranker, the side
of 0.5), how far probabilities move, which pairs change, and how much faster int8 ran on them.
Exits 0 when int8 is within both thresholds, 1 when it is not.

Flags:
  --input FILE|DIR       pairs (JSONL, CSV or Parquet with "query" and "product" columns, or an
                         ESCI dataset directory): use pairs like the ones the model will score
  --limit N              pairs to compare (default ${DEFAULT_LIMIT})
  --min-agreement F      least share of pairs whose decision must stay the same (default ${DEFAULT_MIN_AGREEMENT})
  --max-prob-diff F      largest |Δprob| allowed on any label of any pair (default ${DEFAULT_MAX_PROB_DIFF})
  --json                 print the comparison as JSON
${MODEL_FLAGS_HELP.split("\n")
  .filter((l) => !l.includes("--quantize"))
  .join("\n")}
ESCI dataset directory input: --locale, --split, --version, --template as in \`esci classify\`.`;

async function readPairs(input: string, limit: number, filter: Parameters<typeof openPairSource>[1]): Promise<Pair[]> {
  const source = await openPairSource(input, { ...filter, limit });
  const pairs: Pair[] = [];
  for await (const batch of source.batches()) {
    for (const r of batch) {
      if (pairs.length === limit) return pairs;
      pairs.push([r.query, r.product]);
    }
  }
  return pairs;
}

function report(c: ScorerComparison, pairs: readonly Pair[], model: string, input: string, thresholds: { minAgreement: number; maxProbDiff: number }): string {
  const ok = (pass: boolean) => (pass ? "ok" : "BEYOND THRESHOLD");
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const lines = [
    `int8 against float32: ${model}, ${c.pairs.toLocaleString("en-US")} pairs from ${input}`,
    `  decisions kept   ${pct(c.agreement).padStart(8)}   (at least ${pct(thresholds.minAgreement)})   ${ok(c.agreement >= thresholds.minAgreement)}`,
    `  max |Δprob|      ${c.maxProbDiff.toFixed(4).padStart(8)}   (at most ${thresholds.maxProbDiff})   ${ok(c.maxProbDiff <= thresholds.maxProbDiff)}`,
    `  p99 |Δprob|      ${c.p99ProbDiff.toFixed(4).padStart(8)}`,
    `  mean |Δprob|     ${c.meanProbDiff.toFixed(4).padStart(8)}`,
    `  max |Δlogit|     ${c.maxLogitDiff.toFixed(4).padStart(8)}`,
    `  speed            float32 ${(c.pairs / c.referenceSeconds).toFixed(1)} pairs/s, int8 ${(c.pairs / c.candidateSeconds).toFixed(1)} pairs/s: ` +
      `${(c.referenceSeconds / c.candidateSeconds).toFixed(2)}× (end to end, one run each, this machine)`,
  ];
  const probs = (p: PairPrediction) =>
    Object.entries(p.probs)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(", ");
  const describe = (index: number) => {
    const [query, product] = pairs[index];
    return `  #${index + 1} ${JSON.stringify(short(query, 40))} · ${JSON.stringify(short(product, 70))}`;
  };
  lines.push("", `moved most (|Δprob| ${c.maxProbDiff.toFixed(4)}):`, describe(c.mostMoved.index));
  lines.push(`      float32 ${probs(c.mostMoved.reference)}`, `      int8    ${probs(c.mostMoved.candidate)}`);
  if (c.changedCount) {
    lines.push("", `decisions that changed (${c.changedCount}${c.changedCount > c.changed.length ? `, first ${c.changed.length} shown` : ""}):`);
    for (const d of c.changed) {
      const show = (p: PairPrediction) => `${p.label} ${Math.max(...Object.values(p.probs)).toFixed(3)}`;
      lines.push(describe(d.index), `      float32 ${show(d.reference)} → int8 ${show(d.candidate)}`);
    }
  }
  lines.push("", "The int8 graph is cached: --quantize int8 on any command now loads it without building.");
  return lines.join("\n");
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...MODEL_FLAGS,
    ...DATASET_FLAGS,
    input: { type: "string" },
    json: { type: "boolean" },
    "min-agreement": { type: "string" },
    "max-prob-diff": { type: "string" },
  });
  if (str(p, "quantize") !== undefined) throw new EsciError("INVALID_ARGUMENT", "esci quantize compares int8 with float32 itself: drop --quantize");
  const input = requireStr(p, "input");
  const limit = num(p, "limit", { integer: true, min: 1 }) ?? DEFAULT_LIMIT;
  const minAgreement = num(p, "min-agreement", { min: 0, max: 1 }) ?? DEFAULT_MIN_AGREEMENT;
  const maxProbDiff = num(p, "max-prob-diff", { min: 0 }) ?? DEFAULT_MAX_PROB_DIFF;
  const modelName = str(p, "model") ?? DEFAULT_CROSS_ENCODER;
  const batchSize = num(p, "batch-size", { integer: true, min: 1 });
  const maxLength = num(p, "max-length", { integer: true, min: 3 });

  const pairs = await readPairs(input, limit, {
    locale: str(p, "locale"),
    split: str(p, "split"),
    version: parseVersion(p),
    template: str(p, "template"),
  });
  if (pairs.length === 0) throw new EsciError("INVALID_INPUT", `${input}: no pairs to compare`, { file: input });

  const fp32 = await loadCrossEncoder(p, undefined, "float32 model", { quantize: undefined });
  try {
    const int8 = await loadCrossEncoder(p, undefined, "int8 model", { quantize: "int8" });
    try {
      const bar = new ProgressBar({ label: "float32, then int8", unit: "pairs", quiet: bool(p, "quiet") });
      const c = await compareScorers(fp32, int8, pairs, {
        batchSize,
        maxLength,
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.finish();
      const within = c.agreement >= minAgreement && c.maxProbDiff <= maxProbDiff;
      if (bool(p, "json")) {
        const withPair = (d: PairComparison) => ({ ...d, query: pairs[d.index][0], product: pairs[d.index][1] });
        const out = { model: modelName, input, thresholds: { minAgreement, maxProbDiff }, withinThresholds: within, ...c, mostMoved: withPair(c.mostMoved), changed: c.changed.map(withPair) };
        process.stdout.write(JSON.stringify(out) + "\n");
      } else process.stdout.write(report(c, pairs, modelName, input, { minAgreement, maxProbDiff }) + "\n");
      return within ? 0 : 1;
    } finally {
      await int8.dispose();
    }
  } finally {
    await fp32.dispose();
  }
}

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "build a model's int8 graph and show what int8 changes on your pairs (decisions, drift, speed)",
  help: HELP,
  run,
};
