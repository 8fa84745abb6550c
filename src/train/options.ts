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

/** INVALID_ARGUMENT unless `ok`; `message` names `option` (and `options`) in backticks, the edges word them. */
export function checkOption(ok: boolean, message: string, option: string, options?: string[]): void {
  if (!ok) throw new EsciError("INVALID_ARGUMENT", message, { option, ...(options ? { options } : {}) });
}

/** Fills defaults and rejects impossible values with the option named. */
export function resolveOptions(partial: Partial<TrainOptions> & Pick<TrainOptions, "base" | "data" | "output">): TrainOptions {
  const o: TrainOptions = { ...DEFAULTS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as TrainOptions;
  const posInt = (option: keyof TrainOptions) => {
    const v = o[option] as number | undefined;
    checkOption(v === undefined || (Number.isInteger(v) && v >= 1), `\`${option}\` must be a positive integer, got ${v}`, option);
  };
  posInt("batchSize");
  posInt("gradAccum");
  posInt("saveEvery");
  posInt("maxSteps");
  posInt("threads");
  checkOption(Number.isFinite(o.epochs) && o.epochs > 0, `\`epochs\` must be > 0, got ${o.epochs}`, "epochs");
  checkOption(Number.isFinite(o.lr) && o.lr >= 0, `\`lr\` must be ≥ 0, got ${o.lr}`, "lr");
  checkOption(o.warmupRatio >= 0 && o.warmupRatio <= 1, `\`warmupRatio\` must be in [0, 1], got ${o.warmupRatio}`, "warmupRatio");
  checkOption(o.evalEvery >= 0, `\`evalEvery\` must be ≥ 0, got ${o.evalEvery}`, "evalEvery");
  checkOption(o.weightDecay >= 0, `\`weightDecay\` must be ≥ 0, got ${o.weightDecay}`, "weightDecay");
  checkOption(o.maxGradNorm >= 0, `\`maxGradNorm\` must be ≥ 0, got ${o.maxGradNorm}`, "maxGradNorm");
  checkOption(Number.isInteger(o.seed) && o.seed >= 0, `\`seed\` must be a non-negative integer, got ${o.seed}`, "seed");
  checkOption(Number.isInteger(o.maxLength) && o.maxLength >= 3, `\`maxLength\` must be an integer ≥ 3, got ${o.maxLength}`, "maxLength");
  checkOption(o.dropout === undefined || (o.dropout >= 0 && o.dropout < 1), `\`dropout\` must be in [0, 1), got ${o.dropout}`, "dropout");
  checkOption(o.validationFraction > 0 && o.validationFraction < 1, `\`validationFraction\` must be in (0, 1), got ${o.validationFraction}`, "validationFraction");
  checkOption(o.labels === undefined || o.labels.length >= 2, "`labels` must name at least two classes", "labels");
  checkLossOptions(o, checkOption);
  return o;
}

/** The options that must not change across a resume (they determine the run's results). */
export function fingerprint(o: TrainOptions): Record<string, unknown> {
  const { base, data, epochs, lr, batchSize, warmupRatio, maxLength, evalEvery, weightDecay, maxGradNorm, seed, gradAccum, dropout, maxSteps, shuffle, labels, validation, validationFraction } = o;
  const { loss, classWeights, labelSmoothing, focalGamma } = o;
  const run = { base, data, epochs, lr, batchSize, warmupRatio, maxLength, evalEvery, weightDecay, maxGradNorm, seed, gradAccum, dropout: dropout ?? null, maxSteps: maxSteps ?? null, shuffle, labels: labels ?? null, validation: validation ?? null, validationFraction };
  return { ...run, loss, classWeights: classWeights ?? null, labelSmoothing, focalGamma };
}
