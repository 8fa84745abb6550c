/**
 * The distillation objective for the training loop: the loss against the teacher's logits (fed
 * per micro-batch as the graph input `teacher_logits`, (N, C) float32), optionally plus
 * cross-entropy on gold labels, and validation by agreement with the teacher.
 *
 * - mse: mean over the N·C entries of (z − t)², as torch.nn.MSELoss() in sentence-transformers'
 *   CrossEncoder MSELoss (the Margin-MSE family of cross-encoder distillation).
 * - kl: τ² · KL(softmax(t/τ) ‖ softmax(z/τ)) summed over classes and averaged over the batch, as
 *   τ² · F.kl_div(log_softmax(z/τ), log_softmax(t/τ), reduction="batchmean", log_target=True)
 *   (Hinton et al.: the τ² keeps the gradient's scale independent of τ).
 * - alpha > 0 adds alpha · mean cross-entropy of z against the gold labels.
 *
 * Gradients come from the existing rules (Sub, Mul, Div, LogSoftmax, ReduceSum, ReduceMean,
 * SoftmaxCrossEntropyLoss); the teacher's side needs none.
 */
import type { LossBuilder } from "../training-graph.js";
import type { Feed } from "../../onnx/graph-session.js";
import { DataType } from "../../onnx/proto.js";
import type { EvalResult } from "../evaluate.js";
import type { Objective } from "../loop.js";
import type { DistillLoss } from "./options.js";

export interface LossSettings {
  distillLoss: DistillLoss;
  temperature: number;
  alpha: number;
}

export const TEACHER_INPUT = "teacher_logits";

export function distillLoss(s: LossSettings, classes: number): LossBuilder {
  return (g, z, labels) => {
    const t = g.input(TEACHER_INPUT, DataType.FLOAT, ["batch", classes]);
    let kd: string;
    if (s.distillLoss === "mse") {
      const d = g.op("Sub", [z, t]); // (N,C)
      kd = g.op("ReduceMean", [g.op("Mul", [d, d])], { keepdims: 0 });
    } else {
      const tau = g.constF32([s.temperature], []);
      const logq = g.op("LogSoftmax", [g.op("Div", [z, tau])], { axis: -1 }); // (N,C) student
      const logp = g.op("LogSoftmax", [g.op("Div", [t, tau])], { axis: -1 }); // (N,C) teacher
      const perRow = g.op("ReduceSum", [g.op("Mul", [g.op("Exp", [logp]), g.op("Sub", [logp, logq])]), g.constI64([1])], { keepdims: 0 }); // (N)
      kd = g.op("Mul", [g.op("ReduceMean", [perRow], { keepdims: 0 }), g.constF32([s.temperature * s.temperature], [])]);
    }
    if (s.alpha === 0) return kd;
    const [ce] = g.node("SoftmaxCrossEntropyLoss", [z, labels], { count: 1, attrs: { reduction: "mean" }, prefix: "ce" });
    return g.op("Add", [kd, g.op("Mul", [ce, g.constF32([s.alpha], [])])]);
  };
}

/** The distillation loss of one row, in float64 (validation's distill_loss). */
function rowLoss(s: LossSettings, z: Float32Array, t: Float32Array): number {
  const C = z.length;
  if (s.distillLoss === "mse") {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += (z[c] - t[c]) ** 2;
    return sum / C;
  }
  const logSoftmax = (x: Float32Array) => {
    const y = Array.from(x, (v) => v / s.temperature);
    const m = Math.max(...y);
    const lse = m + Math.log(y.reduce((a, v) => a + Math.exp(v - m), 0));
    return y.map((v) => v - lse);
  };
  const lq = logSoftmax(z);
  const lp = logSoftmax(t);
  let kl = 0;
  for (let c = 0; c < C; c++) kl += Math.exp(lp[c]) * (lp[c] - lq[c]);
  return kl * s.temperature * s.temperature;
}

/** Index of the largest entry (the first of equals, as evaluation's arg-max). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
}

export interface DistillTargets {
  /** Teacher logits of the training examples, (N, C) in the student's label order. */
  train: Float32Array;
  /** …of the validation examples. */
  validation?: Float32Array;
  /** Whether the validation examples' labels are gold (else they are the teacher's arg-max). */
  validationHasGold: boolean;
}

export function distillObjective(s: LossSettings, classes: number, targets: DistillTargets, fingerprint: Record<string, unknown>): Objective {
  const C = classes;
  return {
    loss: distillLoss(s, C),
    feeds(indices: Uint32Array): Record<string, Feed> {
      const data = new Float32Array(indices.length * C);
      indices.forEach((row, j) => data.set(targets.train.subarray(row * C, (row + 1) * C), j * C));
      return { [TEACHER_INPUT]: { data, dims: [indices.length, C] } };
    },
    metrics(r: EvalResult): Record<string, number> {
      const t = targets.validation!;
      let agree = 0;
      let loss = 0;
      for (let i = 0; i < r.count; i++) {
        const z = r.logits.subarray(i * C, (i + 1) * C);
        const ti = t.subarray(i * C, (i + 1) * C);
        if (argmax(z) === argmax(ti)) agree++;
        loss += rowLoss(s, z, ti);
      }
      const m: Record<string, number> = { agreement: agree / r.count, distill_loss: loss / r.count };
      return targets.validationHasGold ? { ...m, loss: r.loss, accuracy: r.accuracy, micro_f1: r.micro_f1, macro_f1: r.macro_f1 } : m;
    },
    selectBy: "agreement",
    fingerprint,
  };
}
