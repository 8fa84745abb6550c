/**
 * The training loop, top to bottom: plan the steps, restore or start the state, build the
 * training and evaluation graphs, then per optimizer step: forward + backward on ONNX Runtime
 * for each micro-batch, average the gradients, clip, AdamW, log; validate and keep the best model;
 * checkpoint. It is HF Trainer's loop for this one task, with its step semantics:
 *
 * - an epoch is ceil(N / batch) micro-batches, grouped `gradAccum` at a time into updates (the
 *   last group of an epoch may be shorter; its gradient is the mean over the micro-batches it has);
 * - update k (0-based) uses lr(k) of the linear warm-up/decay schedule and logs as step k + 1;
 * - validation every round(evalEvery · updates per epoch) steps and after the last one; DIR holds
 *   the best model by micro-F1 (the first of equals), or the last one without validation.
 *
 * An Objective replaces what is minimised and how the best model is picked (distillation: loss
 * against a teacher's logits fed per micro-batch, best by agreement with the teacher); everything
 * else — schedule, checkpoints, resume, export — is this one loop.
 */
import { join } from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import { EsciError } from "../errors/index.js";
import { buildEvalGraph, buildTrainingGraph, uniformDropout, type DropoutRates, type LossBuilder, type Parameter } from "./training-graph.js";
import { GraphSession, type Feed } from "../onnx/graph-session.js";
import { AdamW, clipCoefficient, decays, gradNorm, TORCH_ADAMW } from "./adamw.js";
import { ParamMemory } from "./param-memory.js";
import { loadLatestCheckpoint, saveCheckpoint, type BestResult, type TrainerState } from "./checkpoint.js";
import { epochOrder, makeBatch, type EncodedDataset } from "./data.js";
import { evaluateSplit, type EvalResult } from "./evaluate.js";
import { exportCheckpoint } from "./export.js";
import { TrainLog } from "./log.js";
import type { InitialModel } from "./model.js";
import { fingerprint, type TrainOptions } from "./options.js";
import { linearScheduleLr, warmupSteps } from "./schedule.js";
import { appendLoss, resolveLoss, type LossSpec } from "./losses.js";

export interface TrainingPlan {
  examples: number;
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  /** Validate every this many steps (0: never). */
  evalInterval: number;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Non-padding tokens per second over this step. */
  tokensPerSecond: number;
  /** Padded tokens (batch × longest row) per second over this step. */
  paddedTokensPerSecond: number;
}

/** What a run minimises and how validation picks its best model (default: CROSS_ENTROPY). */
export interface Objective {
  /** The loss over the logits; undefined: the fine-tuning loss the options choose (losses.ts: cross-entropy, class weights, label smoothing or focal). */
  loss?: LossBuilder;
  /** Feeds for the loss's own graph inputs, for the micro-batch of these example indices. */
  feeds?(indices: Uint32Array): Record<string, Feed>;
  /** Validation metrics, logged as eval_<name>. */
  metrics(r: EvalResult): Record<string, number>;
  /** The metric the best model maximises (the first of equals is kept). */
  selectBy: string;
  /** Settings beyond TrainOptions that determine the run (a resume must match them). */
  fingerprint?: Record<string, unknown>;
}

/** Fine-tuning: the options' loss (losses.ts), best by micro-F1. */
export const CROSS_ENTROPY: Objective = {
  metrics: (r) => ({ loss: r.loss, accuracy: r.accuracy, micro_f1: r.micro_f1, macro_f1: r.macro_f1 }),
  selectBy: "micro_f1",
};

export interface TrainingRun {
  options: TrainOptions;
  objective?: Objective;
  model: InitialModel;
  train: EncodedDataset;
  validation?: EncodedDataset;
  padId: number;
  onStart?: (plan: TrainingPlan, resumedAt: number, loss: LossSpec) => void;
  onStep?: (info: StepInfo) => void;
  onEval?: (step: number, result: EvalResult, isBest: boolean, metrics: Record<string, number>) => void;
  /** Pairs scored so far by a validation. */
  onEvalProgress?: (done: number, total: number) => void;
}

export interface TrainSummary {
  plan: TrainingPlan;
  steps: number;
  best: BestResult | null;
  finalLoss: number | null;
  output: string;
}

export function planTraining(examples: number, o: TrainOptions, hasValidation: boolean): TrainingPlan {
  const batchesPerEpoch = Math.ceil(examples / o.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / o.gradAccum);
  const totalSteps = o.maxSteps ?? Math.ceil(o.epochs * stepsPerEpoch);
  const evalInterval = hasValidation && o.evalEvery > 0 ? Math.max(1, Math.round(o.evalEvery * stepsPerEpoch)) : 0;
  return { examples, batchesPerEpoch, stepsPerEpoch, totalSteps, warmupSteps: warmupSteps(totalSteps, o.warmupRatio), evalInterval };
}

/** Refuses to start a run over an earlier one without `resume` (their logs and checkpoints would mix). */
export function checkFreshOutput(o: TrainOptions): void {
  if (!o.resume && (existsSync(join(o.output, "checkpoints")) || existsSync(join(o.output, "log.jsonl")))) {
    throw new EsciError("INVALID_ARGUMENT", `${o.output} already holds a training run (log.jsonl or checkpoints/): pass \`resume: true\` to continue it, or choose another \`output\``, {
      path: o.output,
      option: "output",
      options: ["resume"],
    });
  }
}

/** The micro-batches (example indices) of update `step`. */
function microBatches(step: number, plan: TrainingPlan, o: TrainOptions, orderOf: (epoch: number) => Uint32Array): Uint32Array[] {
  const epoch = Math.floor(step / plan.stepsPerEpoch);
  const order = orderOf(epoch);
  const first = (step % plan.stepsPerEpoch) * o.gradAccum;
  const last = Math.min(first + o.gradAccum, plan.batchesPerEpoch);
  const out: Uint32Array[] = [];
  for (let b = first; b < last; b++) out.push(order.subarray(b * o.batchSize, Math.min((b + 1) * o.batchSize, order.length)));
  return out;
}

export async function runTraining(run: TrainingRun): Promise<TrainSummary> {
  const { options: o, model, train, validation, padId } = run;
  const objective = run.objective ?? CROSS_ENTROPY;
  const plan = planTraining(train.size, o, validation !== undefined);
  const ckptDir = join(o.output, "checkpoints");
  const log = new TrainLog(join(o.output, "log.jsonl"));
  mkdirSync(o.output, { recursive: true });
  const rates: DropoutRates = o.dropout === undefined ? model.family.dropoutRates(model.config) : uniformDropout(o.dropout);

  // ---- state: fresh from the base checkpoint, or the latest training checkpoint
  const evalGraph = buildEvalGraph(model.config, model.family, model.source);
  const params: Parameter[] = evalGraph.params;
  const names = params.map((p) => p.name);
  let state: TrainerState = { step: 0, runs: 0, best: null, options: { ...fingerprint(o), ...objective.fingerprint } };
  const store = new ParamMemory(params.map((p) => p.dims.reduce((a, b) => a * b, 1)));
  const { values, grads } = store;
  const decay = params.map((p) => decays(p.origin.sources[0]));
  const adamConfig = { ...TORCH_ADAMW, weightDecay: o.weightDecay };
  let adam: AdamW;
  const ckpt = o.resume ? loadLatestCheckpoint(ckptDir, names, store) : undefined;
  if (ckpt) {
    if (JSON.stringify(ckpt.state.options) !== JSON.stringify(state.options)) {
      throw new EsciError("INVALID_ARGUMENT", `cannot resume from ${ckpt.dir}: it was made with other options (${describeChanges(ckpt.state.options, state.options)})`);
    }
    state = ckpt.state;
    adam = new AdamW(store, decay, adamConfig, ckpt.adamStep);
    await log.truncateAfter(state.step);
  } else {
    checkFreshOutput(o);
    params.forEach((p, k) => values[k].set(p.produce()));
    adam = new AdamW(store, decay, adamConfig);
    await log.truncateAfter(0);
  }
  const loss = resolveLoss(o, train.labels, model.labels);
  run.onStart?.(plan, state.step, loss);

  // ---- sessions: training graph (dropout masks continue after `runs` earlier runs) and evaluation graph
  const trainGraph = buildTrainingGraph(model.config, model.family, model.source, {
    loss: objective.loss ?? ((g, logits, labels) => appendLoss(g, logits, labels, loss)),
    dropout: rates,
    seed: o.seed,
    runOffset: state.runs,
  });
  const session = await GraphSession.create(trainGraph.graph, { threads: o.threads, memoryPattern: false });
  const evalSession = plan.evalInterval ? await GraphSession.create(evalGraph.graph, { threads: o.threads }) : undefined;
  const weightFeeds: Record<string, Feed> = Object.fromEntries(params.map((p, k) => [p.name, { data: values[k], dims: p.dims }]));
  // Gradient buffers, reused every step (a parameter with no gradient output keeps zeros).
  const gradOutputs = trainGraph.grads.filter((n): n is string => n !== undefined);
  const gradFeeds = buffersFor(trainGraph.grads, grads, params);
  const scratch = o.gradAccum > 1 ? values.map((v) => new Float32Array(v.length)) : undefined;
  const scratchFeeds = scratch && buffersFor(trainGraph.grads, scratch, params);

  let cachedEpoch = -1;
  let cachedOrder: Uint32Array = new Uint32Array(0);
  const orderOf = (epoch: number) => {
    if (epoch !== cachedEpoch) [cachedEpoch, cachedOrder] = [epoch, epochOrder(train.size, o.seed, epoch, o.shuffle)];
    return cachedOrder;
  };

  const validate = async (step: number) => {
    const r = await evaluateSplit(evalSession!, evalGraph, weightFeeds, validation!, padId, model.labels, run.onEvalProgress);
    const metrics = objective.metrics(r);
    const key = objective.selectBy;
    const isBest = state.best === null || metrics[key] > state.best[key];
    log.append({ step, epoch: step / plan.stepsPerEpoch, ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`eval_${k}`, v])) });
    if (isBest) {
      state.best = { step, ...metrics };
      await exportCheckpoint(o.output, model, params, values);
    }
    run.onEval?.(step, r, isBest, metrics);
  };

  // ---- the loop
  let finalLoss: number | null = null;
  try {
    for (let k = state.step; k < plan.totalSteps; k++) {
      const started = performance.now();
      const lr = linearScheduleLr(k, o.lr, plan.warmupSteps, plan.totalSteps);

      // forward + backward per micro-batch; the update's gradient is their mean
      const micro = microBatches(k, plan, o, orderOf);
      let loss = 0;
      let tokens = 0;
      let padded = 0;
      for (let m = 0; m < micro.length; m++) {
        const b = makeBatch(train, micro[m], padId);
        const feeds: Record<string, Feed> = { ...weightFeeds, [trainGraph.labels]: { data: b.labels, dims: [b.dims[0]] }, ...objective.feeds?.(micro[m]) };
        const tokenFeeds: Record<string, BigInt64Array> = { input_ids: b.input_ids, attention_mask: b.attention_mask, token_type_ids: b.token_type_ids };
        for (const name of trainGraph.tokenInputs) feeds[name] = { data: tokenFeeds[name], dims: b.dims };
        // the first micro-batch writes its gradients straight into `grads`, later ones into `scratch`
        const into = m === 0 ? gradFeeds : scratchFeeds!;
        const out = await session.run(feeds, [trainGraph.loss, ...gradOutputs], into);
        state.runs++;
        loss += (out[trainGraph.loss].data as Float32Array)[0] / micro.length;
        tokens += b.tokens;
        padded += b.dims[0] * b.dims[1];
        if (m > 0) addTo(grads, scratch!);
      }

      // `grads` holds the micro-batches' sum: the mean's norm is norm / n; clip_grad_norm_'s
      // coefficient and the 1/n are applied inside the AdamW pass
      const n = micro.length;
      const norm = gradNorm(store) / n;
      adam.update(lr, clipCoefficient(norm, o.maxGradNorm) / n);
      state.step = k + 1;
      finalLoss = loss;

      const epoch = state.step / plan.stepsPerEpoch;
      log.append({ step: state.step, loss, lr, grad_norm: norm, epoch });
      const seconds = (performance.now() - started) / 1000;
      run.onStep?.({ step: state.step, totalSteps: plan.totalSteps, epoch, loss, lr, gradNorm: norm, tokensPerSecond: tokens / seconds, paddedTokensPerSecond: padded / seconds });

      if (plan.evalInterval && (state.step % plan.evalInterval === 0 || state.step === plan.totalSteps)) await validate(state.step);
      if (state.step % o.saveEvery === 0 || state.step === plan.totalSteps) saveCheckpoint(ckptDir, state, names, values, adam.state);
    }
  } finally {
    await session.release();
    await evalSession?.release();
  }
  // with validation, the best model was exported when it was found
  if (!plan.evalInterval) await exportCheckpoint(o.output, model, params, values);
  return { plan, steps: state.step, best: state.best, finalLoss, output: o.output };
}

/** Output name → buffer feed, for the parameters that have a gradient output. */
function buffersFor(names: ReadonlyArray<string | undefined>, buffers: Float32Array[], params: readonly Parameter[]): Record<string, Feed> {
  const out: Record<string, Feed> = {};
  names.forEach((n, k) => {
    if (n !== undefined) out[n] = { data: buffers[k], dims: params[k].dims };
  });
  return out;
}

/** acc += g, in place. */
function addTo(acc: Float32Array[], g: Float32Array[]): void {
  g.forEach((t, k) => {
    const a = acc[k];
    for (let i = 0; i < t.length; i++) a[i] += t[i];
  });
}

function describeChanges(before: Record<string, unknown>, now: Record<string, unknown>): string {
  return Object.keys(now)
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(now[k])}`)
    .join(", ");
}
