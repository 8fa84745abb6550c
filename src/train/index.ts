/**
 * Fine-tuning cross-encoders in TypeScript: `train(options)` reads and tokenizes the data, turns
 * the base checkpoint into a sequence classifier, and runs the loop (loop.ts) on ONNX Runtime with
 * the training graph (training-graph.ts: the inference builders' forward graph, differentiated by
 * autodiff/). The output directory is a Hugging Face checkpoint (the best model by validation
 * micro-F1) plus log.jsonl and checkpoints/.
 *
 * Files: options.ts (recipe, defaults) → model.ts (base → classifier) → data.ts (pairs → token
 * batches) → loop.ts (the loop) using schedule.ts, adamw.ts, evaluate.ts, checkpoint.ts,
 * export.ts, log.ts; training-graph.ts builds the graphs the loop runs.
 */
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { loadTokenizer, type PairTokenizer } from "../tokenizer/index.js";
import { EncodedDataset, holdOutGroups, readLabeledPairs, type LabeledPair } from "./data.js";
import { runTraining, type StepInfo, type TrainingPlan, type TrainSummary } from "./loop.js";
import { initialModel, type InitialModel } from "./model.js";
import { resolveOptions, type TrainOptions } from "./options.js";
import type { EvalResult } from "./evaluate.js";

export { DEFAULTS as TRAIN_DEFAULTS, DEFAULT_LABELS, resolveOptions, type TrainOptions } from "./options.js";
export { runTraining, planTraining, type StepInfo, type TrainingPlan, type TrainSummary, type TrainingRun } from "./loop.js";
export { AdamW, clipCoefficient, clipGradNorm, decays, globalNorm, gradNorm, TORCH_ADAMW, type AdamWConfig, type AdamWState } from "./adamw.js";
export { ParamMemory } from "./param-memory.js";
export { linearScheduleLr, warmupSteps } from "./schedule.js";
export { EncodedDataset, epochOrder, holdOutGroups, makeBatch, readLabeledPairs, type LabeledPair } from "./data.js";
export { initialModel, type InitialModel } from "./model.js";
export { exportCheckpoint, hfTensors } from "./export.js";
export {
  buildEvalGraph,
  buildTrainingGraph,
  NO_DROPOUT,
  uniformDropout,
  type DropoutRates,
  type ForwardGraph,
  type Parameter,
  type TrainingGraph,
  type TrainingGraphOptions,
} from "./training-graph.js";
export { TrainLog, type LogEntry } from "./log.js";
export type { EvalResult } from "./evaluate.js";

export interface TrainHooks {
  /** Messages worth showing (data sizes, a clamped max length, a resume). */
  onNote?: (message: string) => void;
  onTokenize?: (done: number, total: number) => void;
  onStart?: (plan: TrainingPlan, resumedAt: number) => void;
  onStep?: (info: StepInfo) => void;
  onEval?: (step: number, result: EvalResult, isBest: boolean) => void;
  onEvalProgress?: (done: number, total: number) => void;
}

export async function train(partial: Partial<TrainOptions> & Pick<TrainOptions, "base" | "data" | "output">, hooks: TrainHooks = {}): Promise<TrainSummary> {
  const local = (p: string) => (existsSync(p) ? resolve(p) : p); // hub ids stay ids
  const o = resolveOptions({
    ...partial,
    base: local(partial.base),
    data: resolve(partial.data),
    output: resolve(partial.output),
    validation: partial.validation && resolve(partial.validation),
  });
  const model = await initialModel(o.base, { labels: o.labels, seed: o.seed });
  try {
    if (model.newTensors.length) hooks.onNote?.(`new classification head: ${model.newTensors.join(", ")}`);
    const maxTokens = model.family.maxTokens(model.config);
    const maxLength = Math.min(o.maxLength, maxTokens);
    if (maxLength < o.maxLength) hooks.onNote?.(`max length ${o.maxLength} > the model's ${maxTokens} positions: using ${maxLength}`);
    const tokenizer = await loadTokenizer(model.baseDir, { maxPositions: maxTokens });

    // pairs are read and tokenized in loadData, so only the compact token ids outlive it
    const { train: trainSet, validation: validationSet } = await loadData(o, model, tokenizer, maxLength, hooks);
    return await runTraining({ options: o, model, train: trainSet, validation: validationSet, padId: tokenizer.padTokenId, ...hooks });
  } finally {
    model.source.close();
  }
}

/** Training and validation pairs (held-out queries unless a validation file is given), tokenized. */
async function loadData(
  o: TrainOptions,
  model: InitialModel,
  tokenizer: PairTokenizer,
  maxLength: number,
  hooks: TrainHooks,
): Promise<{ train: EncodedDataset; validation?: EncodedDataset }> {
  const pairs = await readLabeledPairs(o.data);
  let trainPairs = pairs;
  let validationPairs: LabeledPair[] | undefined;
  if (o.evalEvery > 0) {
    if (o.validation) validationPairs = await readLabeledPairs(o.validation);
    else ({ train: trainPairs, validation: validationPairs } = holdOutGroups(pairs, o.validationFraction, o.seed));
  }
  hooks.onNote?.(`${trainPairs.length} training pairs` + (validationPairs ? `, ${validationPairs.length} validation pairs` : ", no validation"));
  return {
    train: EncodedDataset.encode(trainPairs, tokenizer, maxLength, model.labelIds, hooks.onTokenize),
    validation: validationPairs && EncodedDataset.encode(validationPairs, tokenizer, maxLength, model.labelIds),
  };
}
