/**
 * Gradient rules of the neural-network ops: Softmax, LogSoftmax, LayerNormalization, Dropout and
 * 1-D Conv (DeBERTa-v2's ConvLayer).
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
  /*
   * 1-D Conv, x (B,C,T) * W (O,C,K) + b, stride 1, dilation 1, symmetric pads p, one group, as
   * torch's conv1d backward:
   *   dx = ConvTranspose(dy, W) with the same pads,
   *   dW[:,:,k] = Σ_b dy_b · xpad_b[:, k : k + T']ᵀ,   db = Σ_{b,t} dy.
   */
  Conv(ctx, node, dy, needs) {
    const [x, w, b] = node.inputs;
    const kernel = attr<number[]>(node, "kernel_shape");
    const pads = attr<number[]>(node, "pads") ?? [0, 0];
    const plain = ["strides", "dilations"].every((a) => (attr<number[]>(node, a) ?? [1]).every((v) => v === 1));
    if (ctx.rank(x) !== 3 || !kernel || kernel.length !== 1 || pads[0] !== pads[1] || !plain || attr<number>(node, "group", 1) !== 1) {
      throw new Error(`gradient: Conv ${node.name}: only 1-D, one group, stride 1, dilation 1, symmetric pads is supported`);
    }
    const [K] = kernel;
    const p = pads[0];
    const g = dy[0]!; // (B,O,T')
    const out: Array<string | undefined> = [];
    out.push(needs[0] ? ctx.op("ConvTranspose", [g, w], { kernel_shape: [K], pads: [p, p] }) : undefined);
    if (needs[1]) {
      const xpad = p > 0 ? ctx.op("Pad", [x, ctx.ints([0, 0, p, 0, 0, p])]) : x; // (B,C,T+2p)
      const len = ctx.op("Shape", [g], { start: 2, end: 3 });
      const taps = Array.from({ length: K }, (_, k) => {
        const window = ctx.op("Slice", [xpad, ctx.ints([k]), ctx.op("Add", [len, ctx.ints([k])]), ctx.ints([2])]); // (B,C,T')
        const perBatch = ctx.op("MatMul", [g, ctx.op("Transpose", [window], { perm: [0, 2, 1] })]); // (B,O,C)
        return ctx.op("Unsqueeze", [ctx.op("ReduceSum", [perBatch, ctx.ints([0])], { keepdims: 0 }), ctx.ints([2])]); // (O,C,1)
      });
      out.push(K === 1 ? taps[0] : ctx.op("Concat", taps, { axis: 2 }));
    } else out.push(undefined);
    if (b) out.push(needs[2] ? ctx.op("ReduceSum", [g, ctx.ints([0, 2])], { keepdims: 0 }) : undefined);
    return out;
  },

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
