/**
 * CrossEncoder: (query, product) pairs → logits, probabilities keyed by id2label, and the arg-max
 * label. Probabilities are a softmax over the logits; a one-logit head (e.g. ms-marco MiniLM
 * rerankers) gets the sigmoid of its logit instead, as sentence-transformers and TEI do — a
 * softmax over one logit would always say 1.
 *
 * A checkpoint with an `esci_calibration.json` (models/calibration.ts) is calibrated by default:
 * probs = softmax((logits + bias) / T), the label their arg-max, `calibrated: true` on each
 * prediction; `logits` stay the model's. `calibration: false` at load (or per call) turns it off.
 *
 * Pairs reach ONNX Runtime through the model's batching engine (engine/engine.ts): each call packed
 * on its own, or — once `engine.startQueue()` has run, as in the server — packed with the pairs of
 * concurrent calls.
 */
import { basename, dirname } from "node:path";
import { EsciError } from "../errors/index.js";
import { calibratedLogits, readCalibration, type ScoreCalibration } from "./calibration.js";
import { BatchEngine, encodeInputs, sessionRunner, type BatchPlanOptions } from "./engine/index.js";
import { loadModel, releaseModel, type LoadedModel, type LoadOptions } from "./loader.js";
import type { Pair, PairPrediction, PairScorer, PredictOptions } from "./types.js";

export interface CrossEncoderOptions extends LoadOptions {
  /** Rename label ids for checkpoints whose config only says LABEL_0…LABEL_n. */
  labels?: string[];
  /** false: ignore the checkpoint's esci_calibration.json (default: apply it). */
  calibration?: boolean;
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Logits → the prediction record every esci output uses (probabilities calibrated when `calibration` is given). */
export function toPrediction(logits: ArrayLike<number>, labels: readonly string[], calibration?: ScoreCalibration): PairPrediction {
  const l = Array.from(logits);
  const z = calibration ? calibratedLogits(l, calibration) : l;
  const probs: Record<string, number> = {};
  const calibrated = calibration ? { calibrated: true as const } : {};
  if (l.length === 1) {
    probs[labels[0]] = sigmoid(z[0]);
    return { logits: l, probs, label: labels[0], ...calibrated };
  }
  const p = softmax(z);
  let best = 0;
  p.forEach((v, i) => {
    probs[labels[i]] = v;
    if (v > p[best]) best = i;
  });
  return { logits: l, probs, label: labels[best], ...calibrated };
}

/** predict's options; `batch` sets the offline packing (bench/batching.mjs tunes it). */
export type CrossEncoderPredictOptions = PredictOptions & { batch?: Partial<BatchPlanOptions> };

export class CrossEncoder implements PairScorer {
  readonly labels: readonly string[];
  /** The checkpoint's calibration, applied by predict (undefined: none, or turned off). */
  readonly calibration?: ScoreCalibration;
  /** The batching engine between predict and the model's session. */
  readonly engine: BatchEngine;

  private constructor(readonly model: LoadedModel, labels?: string[], calibrate = true) {
    const n = model.config.id2label.length;
    if (labels && labels.length !== n) {
      throw new EsciError("INVALID_ARGUMENT", `\`labels\` names ${labels.length} labels but ${model.id} has ${n} outputs (${model.config.id2label.join(", ")})`, {
        option: "labels",
        value: labels,
      });
    }
    this.labels = labels ?? model.config.id2label;
    if (calibrate) this.calibration = readCalibration(model.dir, n);
    this.engine = new BatchEngine(sessionRunner(model));
  }

  static async load(id: string, options: CrossEncoderOptions = {}): Promise<CrossEncoder> {
    const model = await loadModel(id, "classify", options);
    try {
      return new CrossEncoder(model, options.labels, options.calibration);
    } catch (e) {
      await releaseModel(model);
      throw e;
    }
  }

  /** The built graph's cache directory name (a digest of weights, config and build options), the label names and the stored calibration. */
  get cacheKey(): string {
    return `${basename(dirname(this.model.onnxPath))}:${this.labels.join(",")}:${this.calibration ? JSON.stringify(this.calibration) : ""}`;
  }

  /** The default truncation length (tokenizer model_max_length capped by the position table). */
  get maxLength(): number {
    return this.model.tokenizer.defaultMaxLength;
  }

  /** Raw logits, one Float32Array per pair, input order. */
  async logits(pairs: readonly Pair[], options: CrossEncoderPredictOptions = {}): Promise<Float32Array[]> {
    const maxLength = this.checkMaxLength(options.maxLength) ?? this.maxLength;
    const rows = await encodeInputs(this.model, { pairs }, maxLength, options.truncate);
    const batch = { ...options.batch, ...(options.batchSize ? { maxBatch: options.batchSize } : {}) };
    return this.engine.run(rows, { batch, onProgress: options.onProgress, signal: options.signal });
  }

  async predict(pairs: readonly Pair[], options: CrossEncoderPredictOptions = {}): Promise<PairPrediction[]> {
    const rows = await this.logits(pairs, options);
    const calibration = options.calibration === false ? undefined : this.calibration;
    return rows.map((l) => toPrediction(l, this.labels, calibration));
  }

  /** predict + sort: products for one query, best first by `score(prediction)`. */
  async rank(query: string, products: readonly string[], score: (p: PairPrediction) => number, options: PredictOptions = {}) {
    const preds = await this.predict(products.map((p) => [query, p] as const), options);
    return preds.map((p, index) => ({ index, score: score(p), prediction: p })).sort((a, b) => b.score - a.score || a.index - b.index);
  }

  private checkMaxLength(maxLength: number | undefined): number | undefined {
    if (maxLength === undefined) return undefined;
    const cap = this.model.family.maxTokens(this.model.config);
    if (!Number.isInteger(maxLength) || maxLength < 3 || maxLength > cap) {
      throw new EsciError("INVALID_ARGUMENT", `max length must be an integer from 3 to ${cap} (the position table of ${this.model.id}), got ${maxLength}`);
    }
    return maxLength;
  }

  /** Drains the batching engine (queued work finishes), then releases the session and tokenizer worker. */
  async dispose(): Promise<void> {
    await this.engine.close();
    await releaseModel(this.model);
  }
}
