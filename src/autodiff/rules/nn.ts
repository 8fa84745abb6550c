/**
 * Gradient rules of the neural-network ops: Softmax, LogSoftmax, LayerNormalization and Dropout.
 *
 * LayerNormalization's rule asks the forward node for its optional Mean and InvStdDev outputs
 * (ONNX Runtime computes them anyway) instead of recomputing the statistics, and uses the
 * standard closed form (as torch's native_layer_norm_backward):
 *   x̂ = (x − μ)·σ⁻¹,  dγ = Σ dy·x̂,  dβ = Σ dy,  g = dy·γ,
 *   dx = σ⁻¹ · (g − mean(g) − x̂ · mean(g·x̂))   (means over the normalized axes).
 * Dropout's rule reuses the forward mask: dx = dy · mask / (1 − ratio), as torch's dropout
 * backward; a Dropout without training_mode is the identity, and so is its gradient.
 */
import { DataType } from "../../onnx/proto.js";
import type { GradRule } from "../context.js";
import { attr } from "../shapes.js";

export const nnRules: Record<string, GradRule> = {
  // dx = y · (dy − Σ dy·y); attention probabilities (B,nh,T,T), the sum over keys (B,nh,T,1)
  Softmax(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const y = node.outputs[0];
    const axis = attr<number>(node, "axis", -1);
    const s = ctx.op("ReduceSum", [ctx.op("Mul", [dy[0]!, y]), ctx.ints([axis])], { keepdims: 1 });
    return [ctx.op("Mul", [y, ctx.op("Sub", [dy[0]!, s])])];
  },

  // dx = dy − exp(y) · Σ dy
  LogSoftmax(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const axis = attr<number>(node, "axis", -1);
    const s = ctx.op("ReduceSum", [dy[0]!, ctx.ints([axis])], { keepdims: 1 });
    return [ctx.op("Sub", [dy[0]!, ctx.op("Mul", [ctx.op("Exp", [node.outputs[0]]), s])])];
  },

  LayerNormalization(ctx, node, dy, needs) {
    const [x, gamma, beta] = node.inputs;
    const r = ctx.rank(x);
    let axis = attr<number>(node, "axis", -1);
    if (axis < 0) axis += r;
    const normAxes = Array.from({ length: r - axis }, (_, i) => axis + i);
    const y = node.outputs[0];
    let mean: string;
    let invStd: string;
    if (ctx.dtype === DataType.FLOAT) {
      [, mean, invStd] = ctx.outputsOf(node, 3);
    } else {
      // ONNX Runtime saves the statistics in float32 only (stash_type); recompute them in double
      mean = ctx.op("ReduceMean", [x], { axes: normAxes, keepdims: 1 });
      const centered = ctx.op("Sub", [x, mean]);
      const variance = ctx.op("ReduceMean", [ctx.op("Mul", [centered, centered])], { axes: normAxes, keepdims: 1 });
      const eps = attr<{ float: number }>(node, "epsilon", { float: 1e-5 }).float;
      invStd = ctx.op("Div", [ctx.scalar(1), ctx.op("Sqrt", [ctx.op("Add", [variance, ctx.scalar(eps)])])]);
    }
    // e.g. x, y, dy (B,T,H); mean, invStd (B,T,1); gamma, beta (H)
    const g = dy[0]!;
    const out = ctx.dims(y);
    const xhat = ctx.op("Mul", [ctx.op("Sub", [x, mean]), invStd]); // (B,T,H)
    const grads: Array<string | undefined> = [undefined, undefined, undefined];
    if (needs[1]) grads[1] = ctx.reduceTo(ctx.op("Mul", [g, xhat]), out, gamma);
    if (needs[2] && beta) grads[2] = ctx.reduceTo(g, out, beta);
    if (needs[0]) {
      const gx = ctx.op("Mul", [g, gamma]);
      const m1 = ctx.op("ReduceMean", [gx], { axes: normAxes, keepdims: 1 }); // (B,T,1)
      const m2 = ctx.op("ReduceMean", [ctx.op("Mul", [gx, xhat])], { axes: normAxes, keepdims: 1 }); // (B,T,1)
      const inner = ctx.op("Sub", [ctx.op("Sub", [gx, m1]), ctx.op("Mul", [xhat, m2])]);
      grads[0] = ctx.op("Mul", [inner, invStd]);
    }
    return grads;
  },

  Dropout(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const [, ratio, trainingMode] = node.inputs;
    const training = trainingMode ? ctx.shapes.value(trainingMode) : [0];
    if (training && training[0] === 0) return [dy[0]]; // inference mode: identity
    const [, mask] = ctx.outputsOf(node, 2);
    const p = ratio ? ctx.shapes.value(ratio)?.[0] : 0.5;
    if (typeof p !== "number") throw new Error(`gradient: Dropout ${node.name}: ratio must be a constant`);
    const scaled = p === 0 ? dy[0]! : ctx.op("Mul", [dy[0]!, ctx.scalar(1 / (1 - p))]);
    return [ctx.op("Where", [mask, scaled, ctx.scalar(0)])];
  },
};
