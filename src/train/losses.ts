/**
 * The training losses, as ONNX subgraphs appended to the forward graph (autodiff/ differentiates
 * them like every other node): cross-entropy with optional class weights and label smoothing, as
 * torch.nn.CrossEntropyLoss(weight=w, label_smoothing=ε) computes it, and the focal loss of Lin et
 * al. 2017 ("Focal Loss for Dense Object Detection"), −w_y·(1 − p_y)^γ·log p_y.
 *
 * Both reduce to a weighted mean over the batch, Σ_i ℓ_i / Σ_i w_{y_i}, which is torch's "mean"
 * reduction under class weights (a plain mean without them), so focal with γ = 0 is exactly the
 * weighted cross-entropy. With label smoothing torch adds (ε/C)·Σ_c w_c·(−log p_ic) per row to
 * (1 − ε)·w_y·(−log p_iy) and divides both by the same Σ w_y (aten's
 * cross_entropy_loss_label_smoothing); here that is one target matrix q, loss = −Σ q ⊙ log p / Σ w_y.
 *
 * Class weights are given per head label in id order, or "balanced": sklearn's
 * compute_class_weight("balanced"), n / (C · count_c) — the inverse label shares of the training
 * data, scaled so the mean weight over the training rows is 1.
 */
import { EsciError } from "../errors/index.js";
import type { GraphBuilder } from "../onnx/graph.js";
import { DataType } from "../onnx/proto.js";

export type LossKind = "ce" | "focal";
export const LOSS_KINDS: readonly LossKind[] = ["ce", "focal"];

/** What the options say about the loss (class weights unresolved). */
export interface LossOptions {
  loss: LossKind;
  /** Per head label in id order, or "balanced" (from the training labels); default: all 1. */
  classWeights?: "balanced" | number[];
  /** ε in [0, 1): cross-entropy only. */
  labelSmoothing: number;
  /** γ ≥ 0: focal only. */
  focalGamma: number;
}

/** The loss as the graph builds it: weights resolved to numbers. */
export interface LossSpec {
  kind: LossKind;
  /** One per class, id order. */
  weights: number[];
  labelSmoothing: number;
  focalGamma: number;
}

/** Float constants of the graph's float type (float32 in training, float64 in gradient checks). */
export interface FloatConstants {
  dtype: DataType;
  f(values: number[], dims: number[]): string;
}

/** `check(ok, message, option, options)` throws when not ok; messages name options in backticks (errors/index.ts). */
export function checkLossOptions(o: LossOptions, check: (ok: boolean, message: string, option: string, options?: string[]) => void): void {
  check(LOSS_KINDS.includes(o.loss), `\`loss\` must be one of ${LOSS_KINDS.join(", ")}, got ${JSON.stringify(o.loss)}`, "loss");
  check(Number.isFinite(o.labelSmoothing) && o.labelSmoothing >= 0 && o.labelSmoothing < 1, `\`labelSmoothing\` must be in [0, 1), got ${o.labelSmoothing}`, "labelSmoothing");
  check(Number.isFinite(o.focalGamma) && o.focalGamma >= 0, `\`focalGamma\` must be ≥ 0, got ${o.focalGamma}`, "focalGamma");
  check(
    !(o.loss === "focal" && o.labelSmoothing > 0),
    'label smoothing applies to the cross-entropy loss; the focal loss has none (drop `labelSmoothing` or use `loss: "ce"`)',
    "labelSmoothing",
    ["loss"],
  );
  if (Array.isArray(o.classWeights)) {
    check(o.classWeights.every((w) => Number.isFinite(w) && w >= 0) && o.classWeights.some((w) => w > 0), `\`classWeights\` must be ≥ 0 and not all 0, got ${o.classWeights.join(",")}`, "classWeights");
  }
}

/**
 * Resolves the class weights against the head (`labelNames`, id order) and the training labels
 * (head ids). "balanced" needs every class present: a class without rows has no share to invert.
 */
export function resolveLoss(o: LossOptions, trainLabels: ArrayLike<number>, labelNames: readonly string[]): LossSpec {
  const C = labelNames.length;
  let weights: number[];
  if (o.classWeights === undefined) weights = new Array<number>(C).fill(1);
  else if (o.classWeights === "balanced") {
    const counts = new Array<number>(C).fill(0);
    for (let i = 0; i < trainLabels.length; i++) counts[trainLabels[i]]++;
    const missing = labelNames.filter((_, c) => counts[c] === 0);
    if (missing.length) {
      throw new EsciError(
        "INVALID_INPUT",
        `\`classWeights: "balanced"\`: no training pairs labelled ${missing.join(", ")}, so their inverse share is undefined; give the weights explicitly (one per label: ${labelNames.join(",")})`,
        { option: "classWeights", value: "balanced" },
      );
    }
    weights = counts.map((n) => trainLabels.length / (C * n));
  } else {
    if (o.classWeights.length !== C) {
      throw new EsciError("INVALID_ARGUMENT", `\`classWeights\` gives ${o.classWeights.length} weights but the head has ${C} labels (${labelNames.join(", ")}, in id order)`, {
        option: "classWeights",
        value: o.classWeights,
      });
    }
    weights = [...o.classWeights];
  }
  return { kind: o.loss, weights, labelSmoothing: o.labelSmoothing, focalGamma: o.focalGamma };
}

/**
 * Appends the loss of `logits` (N,C) against `labels` (N, int64 class ids) and returns the scalar
 * loss value.
 */
export function appendLoss(g: GraphBuilder, logits: string, labels: string, spec: LossSpec, k: FloatConstants = { dtype: DataType.FLOAT, f: (v, d) => g.constF32(v, d) }): string {
  const C = spec.weights.length;
  const logp = g.op("LogSoftmax", [logits], { axis: 1 }); // (N,C)
  const hit = g.op("Equal", [g.op("Unsqueeze", [labels, g.constI64([1])]), g.constI64(Array.from({ length: C }, (_, c) => c), [C])]);
  const onehot = g.op("Cast", [hit], { to: k.dtype }); // (N,C), 1 at the label
  const rowWeight = g.op("Gather", [k.f(spec.weights, [C]), labels], { axis: 0 }); // (N): w_{y_i}
  const total = g.op("ReduceSum", [rowWeight], { keepdims: 0 }); // Σ w_y: torch's mean denominator
  let numerator: string; // Σ_i ℓ_i, before the sign
  if (spec.kind === "focal") {
    const logpt = g.op("ReduceSum", [g.mul(onehot, logp), g.constI64([1])], { keepdims: 0 }); // (N): log p_y
    let perRow = g.mul(logpt, rowWeight);
    if (spec.focalGamma > 0) {
      const modulating = g.op("Pow", [g.op("Sub", [k.f([1], []), g.op("Exp", [logpt])]), k.f([spec.focalGamma], [])]); // (1 − p_y)^γ
      perRow = g.mul(perRow, modulating);
    }
    numerator = g.op("ReduceSum", [perRow], { keepdims: 0 });
  } else {
    // q = (1 − ε)·w_y·onehot + (ε/C)·w (row-broadcast): torch's nll part plus its smoothing part
    let q = g.mul(onehot, g.op("Unsqueeze", [rowWeight, g.constI64([1])]));
    if (spec.labelSmoothing > 0) {
      const eps = spec.labelSmoothing;
      q = g.add(g.mul(q, k.f([1 - eps], [])), k.f(spec.weights.map((w) => (w * eps) / C), [1, C]));
    }
    numerator = g.op("ReduceSum", [g.mul(q, logp)], { keepdims: 0 });
  }
  return g.op("Neg", [g.op("Div", [numerator, total])]);
}
