/**
 * The one table from the API's option names to this command line's flags, and the error printer's
 * wording of an EsciError through it.
 *
 * Below cli/ a message names options as the TypeScript API spells them, in backticks
 * (`rerankCandidates`, `onError: "skip"`, `rerank: false`; see errors/index.ts); here they become
 * the flags a user types (--rerank-candidates, --on-error skip, --no-rerank). An option without a
 * flag (e.g. `validationFraction`, set only through the API) keeps its API spelling.
 */
import { wordOptions, type EsciError, type NamedOption } from "../errors/index.js";

/** API option → flag. A switch that only exists negated is listed as its --no- form. */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  // models, hub, search
  labels: "--labels",
  revision: "--revision",
  batchSize: "--batch-size",
  maxLength: "--max-length",
  threads: "--threads",
  scorer: "--rerank-model",
  secondScorer: "--second-rerank-model",
  embedder: "--embed-model",
  template: "--template",
  reindex: "--reindex",
  k: "--k",
  candidates: "--candidates",
  rerankCandidates: "--rerank-candidates",
  secondRerankTop: "--second-rerank-top",
  rerank: "--no-rerank",
  only: "--only",
  gains: "--gains",
  // files, runs, jobs
  output: "--output",
  resume: "--resume",
  onError: "--on-error",
  url: "--queue",
  // calibration
  prior: "--prior",
  objective: "--objective",
  // training
  epochs: "--epochs",
  lr: "--lr",
  gradAccum: "--grad-accum",
  warmupRatio: "--warmup-ratio",
  evalEvery: "--eval-every",
  validation: "--validation",
  weightDecay: "--weight-decay",
  maxGradNorm: "--max-grad-norm",
  dropout: "--dropout",
  maxSteps: "--max-steps",
  seed: "--seed",
  saveEvery: "--save-every",
  loss: "--loss",
  classWeights: "--class-weights",
  labelSmoothing: "--label-smoothing",
  focalGamma: "--focal-gamma",
  // distillation
  student: "--student",
  layers: "--layers",
  hidden: "--hidden",
  distillLoss: "--loss",
  temperature: "--temperature",
  alpha: "--alpha",
  teacherQuantize: "--teacher-quantize",
};

/** How a flag is typed for an option (and value): `--flag`, `--flag value`, `--no-flag`; undefined: no flag says it. */
export function flagFor({ option, value }: NamedOption): string | undefined {
  const flag = Object.hasOwn(OPTION_FLAGS, option) ? OPTION_FLAGS[option] : undefined;
  if (flag === undefined) return undefined;
  const negated = flag.startsWith("--no-");
  if (value === undefined) return flag;
  if (typeof value === "boolean") return value !== negated ? flag : undefined;
  if (negated) return undefined;
  if (Array.isArray(value)) return `${flag} ${value.join(",")}`;
  return `${flag} ${typeof value === "string" ? value : JSON.stringify(value)}`;
}

/** The message the CLI prints for `e`: its options worded as flags. */
export function cliMessage(e: EsciError): string {
  return wordOptions(e, flagFor);
}
