/**
 * What `esci train` and `esci distill` share on the command line: the recipe flags (epochs, lr,
 * batch size, validation, checkpoints, --resume …), their help lines, and the progress display of
 * a training run (tokenizing bar, step bar with loss / lr / tokens per second, one line per
 * validation). Both commands run the same loop, so they take and show it the same way.
 */
import { TRAIN_DEFAULTS, type TrainHooks, type TrainOptions } from "../train/index.js";
import { bool, num, str, type Options, type Parsed } from "./args.js";
import { ProgressBar } from "./progress.js";

const D = TRAIN_DEFAULTS;

export const RECIPE_FLAGS: Options = {
  epochs: { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  "grad-accum": { type: "string" },
  "warmup-ratio": { type: "string" },
  "max-length": { type: "string" },
  "eval-every": { type: "string" },
  validation: { type: "string" },
  "weight-decay": { type: "string" },
  "max-grad-norm": { type: "string" },
  dropout: { type: "string" },
  "max-steps": { type: "string" },
  "no-shuffle": { type: "boolean" },
  seed: { type: "string" },
  "save-every": { type: "string" },
  threads: { type: "string" },
  resume: { type: "boolean" },
  quiet: { type: "boolean" },
};

export const RECIPE_HELP = `  --epochs N           passes over the data (default ${D.epochs})
  --lr X               peak learning rate (default ${D.lr})
  --batch-size N       pairs per micro-batch (default ${D.batchSize})
  --grad-accum N       micro-batches per optimizer step, gradients averaged (default ${D.gradAccum})
  --warmup-ratio X     linear warm-up over this fraction of the steps, then linear decay (default ${D.warmupRatio})
  --max-length N       truncate pairs to N tokens (default ${D.maxLength}, capped by the model)
  --eval-every X       validate every X epochs; 0 turns validation off (default ${D.evalEvery})
  --validation FILE    validation pairs (default: ${Math.round(D.validationFraction * 100)}% of the training queries held out)
  --weight-decay X     AdamW decoupled weight decay, not on biases/LayerNorm (default ${D.weightDecay})
  --max-grad-norm X    clip the global gradient norm; 0 = off (default ${D.maxGradNorm})
  --dropout X          one rate for every dropout (default: the model config's)
  --max-steps N        stop after N optimizer steps (the schedule spans N)
  --no-shuffle         keep the data order (default: a seeded shuffle per epoch)
  --seed N             shuffling, held-out queries, head initialisation, dropout (default ${D.seed})
  --save-every N       checkpoint every N steps (default ${D.saveEvery})
  --threads N          ONNX Runtime threads (default: all cores)
  --resume             continue the run in DIR from its latest checkpoint
  --quiet              no progress bar`;

/** The recipe options the flags give (undefined where a flag is absent: the default applies). */
export function recipeOptions(p: Parsed): Partial<TrainOptions> {
  return {
    epochs: num(p, "epochs", { min: 0 }),
    lr: num(p, "lr", { min: 0 }),
    batchSize: num(p, "batch-size", { integer: true, min: 1 }),
    gradAccum: num(p, "grad-accum", { integer: true, min: 1 }),
    warmupRatio: num(p, "warmup-ratio", { min: 0, max: 1 }),
    maxLength: num(p, "max-length", { integer: true, min: 3 }),
    evalEvery: num(p, "eval-every", { min: 0 }),
    validation: str(p, "validation"),
    weightDecay: num(p, "weight-decay", { min: 0 }),
    maxGradNorm: num(p, "max-grad-norm", { min: 0 }),
    dropout: num(p, "dropout", { min: 0, max: 0.999 }),
    maxSteps: num(p, "max-steps", { integer: true, min: 1 }),
    shuffle: bool(p, "no-shuffle") ? false : undefined,
    seed: num(p, "seed", { integer: true, min: 0 }),
    saveEvery: num(p, "save-every", { integer: true, min: 1 }),
    threads: num(p, "threads", { integer: true, min: 1 }),
    resume: bool(p, "resume"),
  };
}

function fmt(x: number): string {
  return x === 0 ? "0" : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4);
}

export interface RunDisplay {
  /** A message line on stderr (clears the bar's line first; the bar redraws on the next step). */
  note: (message: string) => void;
  hooks: TrainHooks;
  finish: () => void;
}

/**
 * Progress of a training run on stderr, prefixed `esci <command>:`. `describe` words a
 * validation's metrics (e.g. accuracy and micro-F1 for fine-tuning, agreement for distillation).
 */
export function runDisplay(command: string, quiet: boolean, describe: (metrics: Record<string, number>) => string): RunDisplay {
  const note = (m: string) => quiet || process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}esci ${command}: ${m}\n`);
  let bar: ProgressBar | undefined;
  let tokenizing: ProgressBar | undefined;
  let current = 0;
  const hooks: TrainHooks = {
    onNote: note,
    onTokenize: (done, total) => {
      tokenizing ??= new ProgressBar({ label: "tokenize", total, unit: "pairs", quiet });
      tokenizing.update(done);
      if (done === total) tokenizing.finish();
    },
    onStart: (plan, resumedAt) => {
      note(
        `${plan.totalSteps} steps (${plan.stepsPerEpoch}/epoch, warm-up ${plan.warmupSteps})` +
          (plan.evalInterval ? `, validation every ${plan.evalInterval} steps` : "") +
          (resumedAt ? `; resuming after step ${resumedAt}` : ""),
      );
      bar = new ProgressBar({ label: command, total: plan.totalSteps, unit: "steps", quiet });
      bar.update((current = resumedAt));
    },
    onStep: (s) => bar?.update((current = s.step), undefined, { loss: fmt(s.loss), lr: fmt(s.lr), "tok/s": Math.round(s.tokensPerSecond) }),
    // validation is long on the full dataset: the bar's fields say how far it is
    onEvalProgress: (done, total) => bar?.update(current, undefined, { validating: `${Math.round((100 * done) / total)}%` }),
    onEval: (step, _r, isBest, metrics) => {
      bar?.update(step, undefined, { validating: "–" });
      note(`step ${step}: validation ${describe(metrics)}${isBest ? " (best so far, saved)" : ""}`);
    },
  };
  return { note, hooks, finish: () => bar?.finish() };
}
