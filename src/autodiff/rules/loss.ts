/**
 * SoftmaxCrossEntropyLoss's gradient, as torch.nn.functional.cross_entropy's:
 * d loss / d scores = (softmax(scores) − onehot(labels)) · dloss, divided by N for the mean.
 * The softmax comes from the forward node's log_prob output (exp), so nothing is recomputed.
 * Class weights and ignore_index are refused: esci's training losses (train/losses.ts: weighted,
 * smoothed and focal) are built from LogSoftmax and plain ops instead, which differentiate as
 * they stand; this rule serves graphs that use the fused op.
 */
import { DataType } from "../../onnx/proto.js";
import type { GradRule } from "../context.js";
import { attr } from "../shapes.js";

export const lossRules: Record<string, GradRule> = {
  SoftmaxCrossEntropyLoss(ctx, node, dy, needs) {
    if (!needs[0]) return [];
    const [scores, labels, weights] = node.inputs;
    if (weights || attr(node, "ignore_index") !== undefined) {
      throw new Error(`gradient: SoftmaxCrossEntropyLoss ${node.name}: class weights and ignore_index are not supported`);
    }
    if (dy[1]) throw new Error(`gradient: SoftmaxCrossEntropyLoss ${node.name}: no gradient through log_prob`);
    const dims = ctx.dims(scores);
    const classes = dims[1];
    if (dims.length !== 2 || typeof classes !== "number") throw new Error(`gradient: SoftmaxCrossEntropyLoss ${node.name}: scores must be (N, C) with C known`);
    const [, logProb] = ctx.outputsOf(node, 2);
    const probs = ctx.op("Exp", [logProb]); // (N,C)
    const hit = ctx.op("Equal", [ctx.op("Unsqueeze", [labels, ctx.ints([1])]), ctx.ints(Array.from({ length: classes }, (_, c) => c))]);
    const diff = ctx.op("Sub", [probs, ctx.op("Cast", [hit], { to: ctx.dtype })]); // (N,C)
    const reduction = attr<string>(node, "reduction", "mean");
    const dloss = dy[0]!;
    if (reduction === "none") return [ctx.op("Mul", [diff, ctx.op("Unsqueeze", [dloss, ctx.ints([1])])])];
    if (reduction === "sum") return [ctx.op("Mul", [diff, dloss])];
    const n = ctx.op("Cast", [ctx.op("Shape", [labels])], { to: ctx.dtype as DataType }); // [N]
    return [ctx.op("Mul", [diff, ctx.op("Div", [dloss, n])])];
  },
};
