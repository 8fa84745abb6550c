/**
 * Training options and their defaults: the recipe of the reference ESCI cross-encoder's model
 * card (all-distilroberta-v1 fine-tuned with cross-entropy, AdamW at 5e-5 with 10% linear
 * warm-up, batch 32, 3 epochs, max length 512, validation every ~10% of an epoch), plus Hugging
 * Face Trainer's defaults where the card says nothing (weight decay 0, max_grad_norm 1.0,
 * seed 42, no gradient accumulation).
 */
import { EsciError } from "../errors/index.js";
import { checkLossOptions, type LossOptions } from "./losses.js";

export interface TrainOptions extends LossOptions {
  /** Base model: a bare encoder (new head) or a sequence classifier (continued). Local dir or hub id. */
  base: string;
  /** ESCI dataset directory (US, large version, train split) or a JSONL/CSV/Parquet pair file. */
  data: string;
  /** Output directory: a Hugging Face checkpoint of the best model, log.jsonl and checkpoints/. */
  output: string;
  epochs: number;
  lr: number;
  batchSize: number;
  warmupRatio: number;
  maxLength: number;
  /** Validate every this fraction of an epoch; 0 turns validation off. */
  evalEvery: number;
  weightDecay: number;
  /** Clip gradients to this global L2 norm; 0 turns clipping off. */
  maxGradNorm: number;
  seed: number;
  gradAccum: number;
  /** One dropout rate for every site; default: the config's rates. */
  dropout?: number;
  /** Stop after this many optimizer steps (overrides epochs for the schedule, as HF's max_steps). */
  maxSteps?: number;
  shuffle: boolean;
  /** Head label names in id order (new head: its labels; existing head: renames LABEL_i ids). */
  labels?: string[];
  /** Validation pair file; default: 10% of the training queries held out. */
  validation?: string;
  /** Fraction of training queries held out for validation when no file is given. */
  validationFraction: number;
  /** Continue from the latest checkpoint in output/checkpoints. */
  resume: boolean;
  /** Checkpoint every this many optimizer steps (and at the end). */
  saveEvery: number;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
}

/** The ESCI labels in the order the reference cross-encoder's id2label uses. */
export const DEFAULT_LABELS = ["exact", "substitute", "complement", "irrelevant"];

export const DEFAULTS: Omit<TrainOptions, "base" | "data" | "output"> = {
  epochs: 3,
  lr: 5e-5,
  batchSize: 32,
  warmupRatio: 0.1,
  maxLength: 512,
  evalEvery: 0.1,
  weightDecay: 0,
  maxGradNorm: 1.0,
  seed: 42,
  gradAccum: 1,
  shuffle: true,
  validationFraction: 0.1,
  resume: false,
  saveEvery: 500,
  loss: "ce",
  labelSmoothing: 0,
  focalGamma: 2, // Lin et al. 2017's best γ
};

function check(ok: boolean, message: string): void {
  if (!ok) throw new EsciError("INVALID_ARGUMENT", message);
}

/** Fills defaults and rejects impossible values with the option named. */
export function resolveOptions(partial: Partial<TrainOptions> & Pick<TrainOptions, "base" | "data" | "output">): TrainOptions {
  const o: TrainOptions = { ...DEFAULTS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as TrainOptions;
  const posInt = (v: number | undefined, name: string) => check(v === undefined || (Number.isInteger(v) && v >= 1), `${name} must be a positive integer, got ${v}`);
  posInt(o.batchSize, "batch size");
  posInt(o.gradAccum, "grad accum");
  posInt(o.saveEvery, "save every");
  posInt(o.maxSteps, "max steps");
  posInt(o.threads, "threads");
  check(Number.isFinite(o.epochs) && o.epochs > 0, `epochs must be > 0, got ${o.epochs}`);
  check(Number.isFinite(o.lr) && o.lr >= 0, `lr must be ≥ 0, got ${o.lr}`);
  check(o.warmupRatio >= 0 && o.warmupRatio <= 1, `warmup ratio must be in [0, 1], got ${o.warmupRatio}`);
  check(o.evalEvery >= 0, `eval every must be ≥ 0, got ${o.evalEvery}`);
  check(o.weightDecay >= 0, `weight decay must be ≥ 0, got ${o.weightDecay}`);
  check(o.maxGradNorm >= 0, `max grad norm must be ≥ 0, got ${o.maxGradNorm}`);
  check(Number.isInteger(o.seed) && o.seed >= 0, `seed must be a non-negative integer, got ${o.seed}`);
  check(Number.isInteger(o.maxLength) && o.maxLength >= 3, `max length must be an integer ≥ 3, got ${o.maxLength}`);
  check(o.dropout === undefined || (o.dropout >= 0 && o.dropout < 1), `dropout must be in [0, 1), got ${o.dropout}`);
  check(o.validationFraction > 0 && o.validationFraction < 1, `validation fraction must be in (0, 1), got ${o.validationFraction}`);
  check(o.labels === undefined || o.labels.length >= 2, "labels must name at least two classes");
  checkLossOptions(o, check);
  return o;
}

/** The options that must not change across a resume (they determine the run's results). */
export function fingerprint(o: TrainOptions): Record<string, unknown> {
  const { base, data, epochs, lr, batchSize, warmupRatio, maxLength, evalEvery, weightDecay, maxGradNorm, seed, gradAccum, dropout, maxSteps, shuffle, labels, validation, validationFraction } = o;
  const { loss, classWeights, labelSmoothing, focalGamma } = o;
  const run = { base, data, epochs, lr, batchSize, warmupRatio, maxLength, evalEvery, weightDecay, maxGradNorm, seed, gradAccum, dropout: dropout ?? null, maxSteps: maxSteps ?? null, shuffle, labels: labels ?? null, validation: validation ?? null, validationFraction };
  return { ...run, loss, classWeights: classWeights ?? null, labelSmoothing, focalGamma };
}
