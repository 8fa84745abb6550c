/**
 * Reverse-mode differentiation of a GraphBuilder graph, emitted into the same graph.
 *
 * 1. Forward pass over the nodes: which float values depend on a parameter ("requires grad").
 * 2. Backward pass: which of those the loss depends on.
 * 3. Walk the nodes in reverse; for each node on a parameter→loss path, sum the gradients that
 *    reached its outputs (several consumers → one Sum) and apply its op's rule from rules/,
 *    which emits the nodes computing its inputs' gradients.
 *
 * The result maps each parameter to the value holding d loss / d parameter. Nothing here knows
 * about models: the same pass differentiates a single op in the tests and a whole encoder.
 */
import type { GraphBuilder } from "../onnx/graph.js";
import { DataType, type NodeProto } from "../onnx/proto.js";
import { GradContext } from "./context.js";
import { GRADIENT_RULES } from "./rules/index.js";
import { isFloatType, ShapeTable } from "./shapes.js";

export interface BackwardOptions {
  /** FLOAT (training) or DOUBLE (gradient checks): the type of the graph's float values. */
  dtype?: DataType;
  /** Gradient flowing into `loss` (default: the constant 1, for a scalar loss). */
  seed?: string;
}

/**
 * Appends the gradient of `loss` with respect to each of `params` to `g`. Returns
 * param → gradient value; a parameter the loss does not depend on gets zeros.
 */
export function appendBackward(g: GraphBuilder, loss: string, params: readonly string[], opts: BackwardOptions = {}): Map<string, string> {
  const dtype = opts.dtype ?? DataType.FLOAT;
  const shapes = new ShapeTable(g);
  const ctx = new GradContext(g, shapes, dtype);
  const forward: NodeProto[] = [...g.nodes];

  // 1. values that depend on a parameter
  const requires = new Set(params);
  for (const n of forward) {
    if (!n.inputs.some((i) => requires.has(i))) continue;
    for (const o of n.outputs) if (isFloatType(shapes.get(o).elemType)) requires.add(o);
  }
  if (!requires.has(loss)) throw new Error(`backward: the loss "${loss}" does not depend on any parameter`);

  // 2. …of those, the ones the loss depends on
  const relevant = new Set([loss]);
  for (let k = forward.length - 1; k >= 0; k--) {
    const n = forward[k];
    if (!n.outputs.some((o) => relevant.has(o))) continue;
    for (const i of n.inputs) if (requires.has(i)) relevant.add(i);
  }

  // 3. reverse sweep
  const pending = new Map<string, string[]>();
  const add = (value: string, grad: string) => {
    const list = pending.get(value);
    if (list) list.push(grad);
    else pending.set(value, [grad]);
  };
  const total = (value: string): string | undefined => {
    const list = pending.get(value);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) pending.set(value, [ctx.op("Sum", list)]);
    return pending.get(value)![0];
  };
  add(loss, opts.seed ?? ctx.scalar(1));

  for (let k = forward.length - 1; k >= 0; k--) {
    const node = forward[k];
    if (!node.outputs.some((o) => relevant.has(o) && requires.has(o))) continue;
    const dy = node.outputs.map((o) => (relevant.has(o) ? total(o) : undefined));
    if (dy.every((d) => d === undefined)) continue;
    const needs = node.inputs.map((i) => i !== "" && requires.has(i) && relevant.has(i));
    if (!needs.some(Boolean)) continue;
    const rule = GRADIENT_RULES[node.opType];
    if (!rule) throw new Error(`backward: no gradient rule for ${node.opType} (node ${node.name}); see src/autodiff/rules/`);
    const dx = rule(ctx, node, dy, needs);
    node.inputs.forEach((input, i) => {
      if (needs[i] && dx[i] !== undefined) add(input, dx[i]!);
    });
  }

  const grads = new Map<string, string>();
  for (const p of params) grads.set(p, total(p) ?? ctx.zerosLike(p));
  return grads;
}
