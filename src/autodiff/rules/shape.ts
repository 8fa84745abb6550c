/**
 * Gradient rules of the ops that move or select elements: Transpose, Reshape-like ops, Gather,
 * GatherElements, Slice, Expand and the reductions. Their gradients put each output gradient back where the
 * element came from: an inverse permutation, a reshape to the input's shape, zero padding
 * around a slice, a scatter-add into a zero table (an embedding lookup: rows used twice get both
 * gradients, as torch.nn.Embedding's dense gradient).
 */
import { DataType } from "../../onnx/proto.js";
import type { GradContext, GradRule } from "../context.js";
import { attr } from "../shapes.js";

const reshapeBack: GradRule = (ctx, node, dy, needs) => (needs[0] ? [ctx.op("Reshape", [dy[0]!, ctx.shapeOf(node.inputs[0])])] : []);

function constInts(ctx: GradContext, value: string, what: string): number[] {
  const v = ctx.shapes.value(value);
  if (!v || v.some((d) => typeof d !== "number")) throw new Error(`gradient: ${what} must be a constant`);
  return v as number[];
}

/** ReduceSum/ReduceMean's gradient before scaling: dy broadcast back to the input's shape. */
function expandBack(ctx: GradContext, x: string, dy: string, axes: number[] | undefined, keepdims: boolean): string {
  const r = ctx.rank(x);
  const all = (axes ?? Array.from({ length: r }, (_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const kept = keepdims ? dy : ctx.op("Unsqueeze", [dy, ctx.ints(all)]);
  return ctx.op("Expand", [kept, ctx.shapeOf(x)]);
}

export const shapeRules: Record<string, GradRule> = {
  Transpose(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const r = ctx.rank(node.inputs[0]);
    const perm = attr<number[]>(node, "perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    const inverse = new Array<number>(r);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.op("Transpose", [dy[0]!], { perm: inverse })];
  },

  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Squeeze: reshapeBack,

  Expand(ctx, node, dy, needs) {
    return needs[0] ? [ctx.reduceTo(dy[0]!, ctx.dims(node.outputs[0]), node.inputs[0])] : [];
  },

  Gather(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const [x, indices] = node.inputs;
    const r = ctx.rank(x);
    let axis = attr<number>(node, "axis", 0);
    if (axis < 0) axis += r;
    const idxDims = ctx.dims(indices);
    if (idxDims.length === 0) {
      // x.select(axis, i): zero-pad the (…,1,…) gradient back to the full axis
      const [i] = constInts(ctx, indices, `Gather ${node.name} index`);
      if (i < 0) throw new Error(`gradient: Gather ${node.name}: negative index ${i} is not supported`);
      const size = ctx.dims(x)[axis];
      const begin = Array.from({ length: r }, (_, k) => (k === axis ? i : 0));
      let pads: string;
      if (typeof size === "number") {
        pads = ctx.ints([...begin, ...Array.from({ length: r }, (_, k) => (k === axis ? size - i - 1 : 0))]);
      } else {
        const end = ctx.op("Sub", [ctx.op("Shape", [x], { start: axis, end: axis + 1 }), ctx.ints([i + 1])]);
        const parts = [ctx.ints(begin)];
        if (axis > 0) parts.push(ctx.ints(new Array(axis).fill(0)));
        parts.push(end);
        if (axis < r - 1) parts.push(ctx.ints(new Array(r - axis - 1).fill(0)));
        pads = ctx.op("Concat", parts, { axis: 0 });
      }
      return [ctx.op("Pad", [ctx.op("Unsqueeze", [dy[0]!, ctx.ints([axis])]), pads])];
    }
    if (axis !== 0) throw new Error(`gradient: Gather ${node.name}: index tensors are supported on axis 0 only`);
    // embedding lookup: scatter-add the rows' gradients into a zero table
    const where = ctx.op("Unsqueeze", [indices, ctx.ints([-1])]); // (…,1)
    return [ctx.op("ScatterND", [ctx.zerosLike(x), where, dy[0]!], { reduction: "add" })];
  },

  // torch.gather's backward: scatter-add each output gradient to the element it was read from
  // (DeBERTa's c2p/p2c read a relative-position score several times along the last axis).
  GatherElements(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const [x, indices] = node.inputs;
    return [ctx.op("ScatterElements", [ctx.zerosLike(x), indices, dy[0]!], { axis: attr<number>(node, "axis", 0), reduction: "add" })];
  },

  // x[starts:ends] with step 1: zero-pad the gradient by what was cut off on each side
  Slice(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const [x, startsName, , axesName, stepsName] = node.inputs;
    const r = ctx.rank(x);
    const starts = constInts(ctx, startsName, `Slice ${node.name} starts`);
    const axes = axesName ? constInts(ctx, axesName, `Slice ${node.name} axes`) : starts.map((_, i) => i);
    if (stepsName && constInts(ctx, stepsName, `Slice ${node.name} steps`).some((s) => s !== 1)) {
      throw new Error(`gradient: Slice ${node.name}: only step 1 is supported`);
    }
    const begin = new Array<number>(r).fill(0);
    axes.forEach((a, k) => {
      if (starts[k] < 0) throw new Error(`gradient: Slice ${node.name}: negative starts are not supported`);
      begin[a < 0 ? a + r : a] = starts[k];
    });
    const beginC = ctx.ints(begin);
    const end = ctx.op("Sub", [ctx.op("Sub", [ctx.shapeOf(x), ctx.op("Shape", [node.outputs[0]])]), beginC]);
    return [ctx.op("Pad", [dy[0]!, ctx.op("Concat", [beginC, end], { axis: 0 })])];
  },

  ReduceSum(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const axes = node.inputs[1] ? constInts(ctx, node.inputs[1], `ReduceSum ${node.name} axes`) : undefined;
    return [expandBack(ctx, node.inputs[0], dy[0]!, axes, attr<number>(node, "keepdims", 1) === 1)];
  },

  ReduceMean(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const x = node.inputs[0];
    const grad = expandBack(ctx, x, dy[0]!, attr<number[]>(node, "axes"), attr<number>(node, "keepdims", 1) === 1);
    // scale by |y| / |x| = 1 / (elements averaged)
    const count = (v: string) => ctx.op("Cast", [ctx.op("Size", [v])], { to: ctx.dtype as DataType });
    return [ctx.op("Mul", [grad, ctx.op("Div", [count(node.outputs[0]), count(x)])])];
  },
};
