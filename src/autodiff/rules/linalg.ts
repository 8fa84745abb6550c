/**
 * MatMul's gradient: dA = dY·Bᵀ and dB = Aᵀ·dY, each summed over broadcast batch axes.
 *
 * The common case is a dense layer, activations (B,T,K) times a weight (K,N): its weight gradient
 * is one GEMM over all B·T rows, (K,B·T)·(B·T,N), not B batched products summed afterwards. The
 * transposes are separate Transpose nodes that ONNX Runtime folds into the GEMM (FusedMatMul).
 */
import type { GradContext, GradRule } from "../context.js";

/** [-1, last] for flattening every axis but the last (a constant when `last` is a number). */
function rowsShape(ctx: GradContext, value: string): string {
  const last = ctx.dims(value).at(-1)!;
  if (typeof last === "number") return ctx.ints([-1, last]);
  return ctx.op("Concat", [ctx.ints([-1]), ctx.op("Shape", [value], { start: -1 })], { axis: 0 });
}

export const linalgRules: Record<string, GradRule> = {
  MatMul(ctx, node, dy, needs) {
    const [a, b] = node.inputs;
    const g = dy[0]!;
    const da = ctx.dims(a);
    const db = ctx.dims(b);
    const batch = ctx.dims(node.outputs[0]).slice(0, -2);
    let gradA: string | undefined;
    let gradB: string | undefined;
    if (needs[0]) {
      const prod = ctx.op("MatMul", [g, ctx.transposeLast2(b)]); // (…,M,K)
      gradA = ctx.reduceTo(prod, [...batch, ...da.slice(-2)], a);
    }
    if (needs[1]) {
      if (db.length === 2 && da.length > 2) {
        const a2 = ctx.op("Reshape", [a, rowsShape(ctx, a)]); // (B·T,K)
        const g2 = ctx.op("Reshape", [g, rowsShape(ctx, node.outputs[0])]); // (B·T,N)
        gradB = ctx.op("MatMul", [ctx.op("Transpose", [a2], { perm: [1, 0] }), g2]); // (K,N)
      } else {
        const prod = ctx.op("MatMul", [ctx.transposeLast2(a), g]); // (…,K,N)
        gradB = ctx.reduceTo(prod, [...batch, ...db.slice(-2)], b);
      }
    }
    return [gradA, gradB];
  },
};
