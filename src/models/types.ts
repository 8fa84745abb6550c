/**
 * The contracts between the model runtime and everything that uses it (ESCI toolkit, search,
 * server). Features depend on these interfaces, not on ONNX Runtime, so they can be tested with a
 * fake scorer whose outputs follow obviously from its inputs.
 */
import type { ScoreCalibration } from "./calibration.js";

/** A (query, product text) pair, in that order, as Hugging Face's `tokenizer(query, product)`. */
export type Pair = readonly [query: string, product: string];

export interface PairPrediction {
  /** Raw logits in label-id order (length = number of labels; 1 for a one-logit head). */
  logits: number[];
  /** Softmax over the logits keyed by id2label; for a one-logit head, `{[label]: sigmoid(logit)}`. */
  probs: Record<string, number>;
  /** The arg-max label name. */
  label: string;
  /** Present (true) when `probs` and `label` come from the checkpoint's calibration, softmax((logits + bias) / T). */
  calibrated?: true;
}

export interface PredictOptions {
  /** Upper bound on pairs per ONNX run. */
  batchSize?: number;
  /** Truncation length in tokens (defaults to the tokenizer's model_max_length, capped by the position table). */
  maxLength?: number;
  /** Called after each batch with (pairs done, pairs total). */
  onProgress?: (done: number, total: number) => void;
  /** false: raw softmax even when the model has a stored calibration (default: apply it). */
  calibration?: boolean;
  /** false: a pair longer than maxLength tokens is TOO_LARGE instead of being cut (default true). */
  truncate?: boolean;
  /** Fires when the caller went away: its pairs not yet run are dropped, and the call is CANCELLED. */
  signal?: AbortSignal;
}

/** Anything that scores query–product pairs: the ONNX CrossEncoder, or a fake in tests. */
export interface PairScorer {
  /** Label names in id order (from config.json id2label, or --labels). */
  readonly labels: readonly string[];
  /**
   * What determines the predictions (the built graph: weights, config, quantization; the label
   * names; and the stored calibration): equal keys, equal outputs for equal pairs. Absent:
   * predictions are not cached.
   */
  readonly cacheKey?: string;
  /** The stored calibration predict applies (models/calibration.ts), if any. */
  readonly calibration?: ScoreCalibration;
  predict(pairs: readonly Pair[], options?: PredictOptions): Promise<PairPrediction[]>;
}

export interface EmbedOptions {
  batchSize?: number;
  maxLength?: number;
  onProgress?: (done: number, total: number) => void;
  /** false: a text longer than maxLength tokens is TOO_LARGE instead of being cut (default true). */
  truncate?: boolean;
  /** Fires when the caller went away: its texts not yet run are dropped, and the call is CANCELLED. */
  signal?: AbortSignal;
}

/** Anything that embeds texts: the ONNX BiEncoder, or a fake in tests. */
export interface TextEmbedder {
  /** Embedding width. */
  readonly dimension: number;
  /** A stable identifier of the model that made the vectors (stores refuse to mix models). */
  readonly modelId: string;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}
