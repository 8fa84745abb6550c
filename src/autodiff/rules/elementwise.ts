/**
 * Gradient rules of the elementwise ops: arithmetic with numpy broadcasting (a broadcast operand's
 * gradient is summed back to its shape), and the activations the encoders use (GELU is built from
 * Erf, tanh-GELU from Tanh, SiLU from Sigmoid). Each rule reuses the forward output where that is
 * cheaper than recomputing (tanh' = 1 − y², σ' = y(1 − y), exp' = y), as PyTorch's autograd does.
 */
import { DataType } from "../../onnx/proto.js";
import type { GradContext, GradRule } from "../context.js";

const unary =
  (f: (ctx: GradContext, x: string, y: string, dy: string) => string): GradRule =>
  (ctx, node, dy, needs) =>
    needs[0] ? [f(ctx, node.inputs[0], node.outputs[0], dy[0]!)] : [];

export const elementwiseRules: Record<string, GradRule> = {
  Identity: (_ctx, _node, dy) => [dy[0]],

  Add(ctx, node, dy, needs) {
    const [a, b] = node.inputs;
    const out = ctx.dims(node.outputs[0]);
    return [needs[0] ? ctx.reduceTo(dy[0]!, out, a) : undefined, needs[1] ? ctx.reduceTo(dy[0]!, out, b) : undefined];
  },

  Sub(ctx, node, dy, needs) {
    const [a, b] = node.inputs;
    const out = ctx.dims(node.outputs[0]);
    return [needs[0] ? ctx.reduceTo(dy[0]!, out, a) : undefined, needs[1] ? ctx.reduceTo(ctx.op("Neg", [dy[0]!]), out, b) : undefined];
  },

  // d(a·b) = b·dy, a·dy (for x·x both terms arrive and are summed by the backward pass)
  Mul(ctx, node, dy, needs) {
    const [a, b] = node.inputs;
    const out = ctx.dims(node.outputs[0]);
    return [
      needs[0] ? ctx.reduceTo(ctx.op("Mul", [dy[0]!, b]), out, a) : undefined,
      needs[1] ? ctx.reduceTo(ctx.op("Mul", [dy[0]!, a]), out, b) : undefined,
    ];
  },

  // d(a/b) = dy/b, −dy·y/b
  Div(ctx, node, dy, needs) {
    const [a, b] = node.inputs;
    const out = ctx.dims(node.outputs[0]);
    const y = node.outputs[0];
    return [
      needs[0] ? ctx.reduceTo(ctx.op("Div", [dy[0]!, b]), out, a) : undefined,
      needs[1] ? ctx.reduceTo(ctx.op("Neg", [ctx.op("Div", [ctx.op("Mul", [dy[0]!, y]), b])]), out, b) : undefined,
    ];
  },

  // Sum(x₀, x₁, …): each operand gets dy, summed back to its own shape
  Sum(ctx, node, dy, needs) {
    const out = ctx.dims(node.outputs[0]);
    return node.inputs.map((x, i) => (needs[i] ? ctx.reduceTo(dy[0]!, out, x) : undefined));
  },

  // x^e for an exponent that needs no gradient (the focal loss's γ): dx = dy·e·x^(e−1), as torch's pow_backward
  Pow(ctx, node, dy, needs) {
    const [x, e] = node.inputs;
    if (needs[1]) throw new Error(`gradient: Pow ${node.name}: only a constant exponent is supported`);
    if (!needs[0]) return [];
    const out = ctx.dims(node.outputs[0]);
    const slope = ctx.op("Mul", [e, ctx.op("Pow", [x, ctx.op("Sub", [e, ctx.scalar(1)])])]);
    return [ctx.reduceTo(ctx.op("Mul", [dy[0]!, slope]), out, x)];
  },

  Neg: unary((ctx, _x, _y, dy) => ctx.op("Neg", [dy])),
  Exp: unary((ctx, _x, y, dy) => ctx.op("Mul", [dy, y])),
  // √x' = 1/(2√x) = 0.5/y
  Sqrt: unary((ctx, _x, y, dy) => ctx.op("Div", [ctx.op("Mul", [dy, ctx.scalar(0.5)]), y])),
  Tanh: unary((ctx, _x, y, dy) => ctx.op("Mul", [dy, ctx.op("Sub", [ctx.scalar(1), ctx.op("Mul", [y, y])])])),
  Sigmoid: unary((ctx, _x, y, dy) => ctx.op("Mul", [ctx.op("Mul", [dy, y]), ctx.op("Sub", [ctx.scalar(1), y])])),
  // torch: grad · (result > 0)
  Relu: unary((ctx, _x, y, dy) => ctx.op("Where", [ctx.op("Greater", [y, ctx.scalar(0)]), dy, ctx.scalar(0)])),
  // erf'(x) = 2/√π · exp(−x²)
  Erf: unary((ctx, x, _y, dy) =>
    ctx.op("Mul", [dy, ctx.op("Mul", [ctx.op("Exp", [ctx.op("Neg", [ctx.op("Mul", [x, x])])]), ctx.scalar(2 / Math.sqrt(Math.PI))])]),
  ),

  // A float→float cast: the gradient is cast back (float→int casts never require a gradient).
  Cast(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const from = ctx.type(node.inputs[0]).elemType;
    return [from === ctx.type(node.outputs[0]).elemType ? dy[0] : ctx.op("Cast", [dy[0]!], { to: from as DataType })];
  },

  // Where(cond, a, b): dy goes to a where cond holds, to b elsewhere
  Where(ctx, node, dy, needs) {
    const [cond, a, b] = node.inputs;
    const out = ctx.dims(node.outputs[0]);
    const zero = ctx.scalar(0);
    return [
      undefined,
      needs[1] ? ctx.reduceTo(ctx.op("Where", [cond, dy[0]!, zero]), out, a) : undefined,
      needs[2] ? ctx.reduceTo(ctx.op("Where", [cond, zero, dy[0]!]), out, b) : undefined,
    ];
  },
};
