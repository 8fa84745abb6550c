/**
 * Every gradient rule against central finite differences (see gradcheck.ts), on small random
 * inputs, including the shapes the encoders use: broadcast biases, batched attention products,
 * symbolic batch/sequence dims, embedding lookups with repeated ids, LayerNorm, masked softmax,
 * dropout, the cross-entropy loss and the training losses of train/losses.ts. A rule without a case here fails the last test.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GRADIENT_RULES } from "../../src/autodiff/rules/index.js";
import { DataType } from "../../src/onnx/proto.js";
import { appendLoss, type LossSpec } from "../../src/train/losses.js";
import { gradCheck, type GradCase } from "./gradcheck.js";

const unaryCase = (op: string, range: [number, number] = [-2, 2], dtype: "float64" | "float32" = "float64"): GradCase => ({
  op,
  name: op,
  dtype,
  inputs: { x: { dims: [2, 3], range } },
  build: (g, x) => g.op(op, [x.x]),
});

const CASES: GradCase[] = [
  { op: "Identity", name: "Identity", inputs: { x: { dims: [3] } }, build: (g, x) => g.op("Identity", [x.x]) },
  { op: "Add", name: "Add same shape", inputs: { a: { dims: [2, 3] }, b: { dims: [2, 3] } }, build: (g, x) => g.add(x.a, x.b) },
  {
    op: "Add",
    name: "Add bias broadcast over symbolic (B,T)",
    inputs: { a: { dims: [2, 3, 4], shape: ["batch", "seq", 4] }, b: { dims: [4] } },
    build: (g, x) => g.add(x.a, x.b),
  },
  { op: "Add", name: "Add size-1 axis broadcast", inputs: { a: { dims: [2, 1, 4] }, b: { dims: [2, 3, 4] } }, build: (g, x) => g.add(x.a, x.b) },
  { op: "Sub", name: "Sub broadcast", inputs: { a: { dims: [3] }, b: { dims: [2, 3] } }, build: (g, x) => g.op("Sub", [x.a, x.b]) },
  { op: "Mul", name: "Mul broadcast", inputs: { a: { dims: [2, 3] }, b: { dims: [2, 1] } }, build: (g, x) => g.mul(x.a, x.b) },
  { op: "Mul", name: "Mul x·x", inputs: { a: { dims: [4] } }, build: (g, x) => g.mul(x.a, x.a) },
  {
    op: "Div",
    name: "Div by broadcast denominator",
    inputs: { a: { dims: [2, 3] }, b: { dims: [3], range: [0.5, 2] } },
    build: (g, x) => g.op("Div", [x.a, x.b]),
  },
  { op: "Div", name: "Div by constant", inputs: { a: { dims: [2, 3] } }, build: (g, x, c) => g.op("Div", [x.a, c.f([1.7], [])]) },
  { op: "Sum", name: "Sum of three", inputs: { a: { dims: [2, 3] }, b: { dims: [3] }, c: { dims: [2, 3] } }, build: (g, x) => g.op("Sum", [x.a, x.b, x.c]) },
  unaryCase("Neg"),
  unaryCase("Exp"),
  unaryCase("Sqrt", [0.5, 2]),
  unaryCase("Tanh"),
  unaryCase("Sigmoid"),
  {
    op: "Relu",
    name: "Relu (away from the kink)",
    inputs: { x: { dims: [6], values: [-1.5, -0.4, 0.3, 0.8, -0.2, 1.1] } },
    build: (g, x) => g.op("Relu", [x.x]),
  },
  { op: "Pow", name: "Pow by a constant exponent", inputs: { x: { dims: [2, 3], range: [0.2, 1.5] } }, build: (g, x, c) => g.op("Pow", [x.x, c.f([2.5], [])]) },
  ...[
    { name: "cross-entropy, class weights and label smoothing", spec: { kind: "ce", weights: [0.5, 1, 4, 2], labelSmoothing: 0.2, focalGamma: 0 } },
    { name: "focal loss γ=2, class weights", spec: { kind: "focal", weights: [0.5, 1, 4, 2], labelSmoothing: 0, focalGamma: 2 } },
    { name: "focal loss γ=0 (cross-entropy)", spec: { kind: "focal", weights: [1, 1, 1, 1], labelSmoothing: 0, focalGamma: 0 } },
  ].map(
    ({ name, spec }): GradCase => ({
      op: "LogSoftmax",
      name: `train/losses.ts: ${name}`,
      inputs: { logits: { dims: [3, 4], shape: ["batch", 4], range: [-3, 3] }, labels: { dims: [3], shape: ["batch"], kind: "int64", values: [2, 0, 3] } },
      build: (g, x, c) => appendLoss(g, x.logits, x.labels, spec as LossSpec, c),
    }),
  ),
  unaryCase("Erf", [-2, 2], "float32"),
  {
    op: "Erf",
    name: "GELU as the encoder builds it (float32)",
    dtype: "float32",
    inputs: { x: { dims: [2, 4], range: [-3, 3] } },
    build: (g, x, c) => g.mul(g.mul(x.x, c.f([0.5], [])), g.add(g.op("Erf", [g.op("Div", [x.x, c.f([Math.SQRT2], [])])]), c.f([1], []))),
  },
  {
    op: "Cast",
    name: "Cast float→double→float",
    dtype: "float32",
    inputs: { x: { dims: [4] } },
    build: (g, x) => {
      const d = g.op("Cast", [x.x], { to: DataType.DOUBLE });
      const three = g.op("Cast", [g.constF32([3], [])], { to: DataType.DOUBLE });
      return g.op("Cast", [g.mul(d, three)], { to: DataType.FLOAT });
    },
  },
  {
    op: "Where",
    name: "Where",
    inputs: { cond: { dims: [2, 3], kind: "bool", values: [1, 0, 1, 0, 0, 1] }, a: { dims: [2, 3] }, b: { dims: [3] } },
    build: (g, x) => g.op("Where", [x.cond, x.a, x.b]),
  },
  {
    op: "MatMul",
    name: "MatMul dense layer (B,T,K)·(K,N), symbolic B,T",
    inputs: { a: { dims: [2, 3, 4], shape: ["batch", "seq", 4] }, w: { dims: [4, 5] } },
    build: (g, x) => g.matmul(x.a, x.w),
  },
  {
    op: "MatMul",
    name: "MatMul batched attention (B,h,T,d)·(B,h,d,T)",
    inputs: { q: { dims: [2, 2, 3, 4] }, k: { dims: [2, 2, 4, 3] } },
    build: (g, x) => g.matmul(x.q, x.k),
  },
  { op: "MatMul", name: "MatMul 2-D head (B,H)·(H,L)", inputs: { a: { dims: [3, 4] }, w: { dims: [4, 2] } }, build: (g, x) => g.matmul(x.a, x.w) },
  {
    op: "MatMul",
    name: "MatMul broadcast batch (1,T,K)·(B,K,N)",
    inputs: { a: { dims: [1, 3, 4] }, b: { dims: [2, 4, 2] } },
    build: (g, x) => g.matmul(x.a, x.b),
  },
  { op: "Transpose", name: "Transpose perm", inputs: { x: { dims: [2, 3, 4] } }, build: (g, x) => g.transpose(x.x, [1, 2, 0]) },
  { op: "Transpose", name: "Transpose default", inputs: { x: { dims: [2, 3] } }, build: (g, x) => g.op("Transpose", [x.x]) },
  {
    op: "Reshape",
    name: "Reshape heads [0,0,h,d]",
    inputs: { x: { dims: [2, 3, 4], shape: ["batch", "seq", 4] } },
    build: (g, x) => g.reshape(x.x, [0, 0, 2, 2]),
  },
  { op: "Unsqueeze", name: "Unsqueeze", inputs: { x: { dims: [2, 3] } }, build: (g, x, c) => g.op("Unsqueeze", [x.x, c.i([1])]) },
  { op: "Squeeze", name: "Squeeze", inputs: { x: { dims: [2, 1, 3] } }, build: (g, x, c) => g.op("Squeeze", [x.x, c.i([1])]) },
  { op: "Expand", name: "Expand", inputs: { x: { dims: [3, 1] } }, build: (g, x, c) => g.op("Expand", [x.x, c.i([2, 3, 4])]) },
  {
    op: "Gather",
    name: "Gather embedding rows with repeated ids",
    inputs: { table: { dims: [5, 3] }, ids: { dims: [2, 3], shape: ["batch", "seq"], kind: "int64", values: [1, 4, 1, 0, 1, 3] } },
    build: (g, x) => g.op("Gather", [x.table, x.ids], { axis: 0 }),
  },
  {
    op: "Gather",
    name: "Gather first token hidden[:, 0] (symbolic seq)",
    inputs: { h: { dims: [2, 3, 4], shape: ["batch", "seq", 4] } },
    build: (g, x) => g.gatherIndex(x.h, 0, 1),
  },
  {
    op: "Gather",
    name: "Gather scalar index, static dims",
    inputs: { h: { dims: [2, 4, 3] } },
    build: (g, x) => g.gatherIndex(x.h, 2, 1),
  },
  {
    op: "Conv",
    name: "Conv 1-D, kernel 3, pads 1 (DeBERTa-v2 ConvLayer), symbolic T (float32: ONNX Runtime has no double Conv)",
    dtype: "float32",
    inputs: { x: { dims: [2, 3, 5], shape: ["batch", 3, "seq"] }, w: { dims: [4, 3, 3] }, b: { dims: [4] } },
    build: (g, x) => g.op("Conv", [x.x, x.w, x.b], { kernel_shape: [3], pads: [1, 1] }),
  },
  {
    op: "GatherElements",
    name: "GatherElements DeBERTa c2p: (B,h,T,2S) scores read by an expanded (T,T) index, repeats included",
    inputs: { s: { dims: [2, 2, 3, 4], shape: ["batch", 2, "seq", 4] } },
    build: (g, x, c) => {
      const idx = c.i([0, 1, 1, 3, 2, 2, 1, 0, 3], [3, 3]); // row 1 and 2 read some elements twice
      return g.op("GatherElements", [x.s, g.op("Expand", [idx, g.op("Concat", [g.op("Shape", [x.s], { start: 0, end: 3 }), c.i([3])], { axis: 0 })])], { axis: 3 });
    },
  },
  {
    op: "Slice",
    name: "Slice position rows 0…T-1 (BERT)",
    inputs: { table: { dims: [6, 3] }, ids: { dims: [2, 4], shape: ["batch", "seq"], kind: "int64", values: [0, 0, 0, 0, 0, 0, 0, 0] } },
    build: (g, x, c) => g.op("Slice", [x.table, c.i([0]), g.op("Shape", [x.ids], { start: 1, end: 2 }), c.i([0])]),
  },
  {
    op: "Slice",
    name: "Slice constant window",
    inputs: { x: { dims: [3, 5] } },
    build: (g, x, c) => g.op("Slice", [x.x, c.i([1, 1]), c.i([3, 4]), c.i([0, 1])]),
  },
  { op: "ReduceSum", name: "ReduceSum keepdims", inputs: { x: { dims: [2, 3, 4] } }, build: (g, x, c) => g.op("ReduceSum", [x.x, c.i([1])], { keepdims: 1 }) },
  { op: "ReduceSum", name: "ReduceSum no keepdims", inputs: { x: { dims: [2, 3, 4] } }, build: (g, x, c) => g.op("ReduceSum", [x.x, c.i([0, 2])], { keepdims: 0 }) },
  { op: "ReduceMean", name: "ReduceMean", inputs: { x: { dims: [2, 3, 4] } }, build: (g, x) => g.op("ReduceMean", [x.x], { axes: [-1], keepdims: 0 }) },
  { op: "Softmax", name: "Softmax last axis", inputs: { x: { dims: [2, 3, 4], range: [-3, 3] } }, build: (g, x) => g.op("Softmax", [x.x], { axis: -1 }) },
  {
    op: "Softmax",
    name: "Softmax with a -3.4e38 attention mask bias",
    inputs: { x: { dims: [2, 1, 3, 4], range: [-3, 3] }, bias: { dims: [2, 1, 1, 4], param: false, values: [0, 0, 0, -3.4e38, 0, 0, -3.4e38, -3.4e38] } },
    build: (g, x) => g.op("Softmax", [g.add(x.x, x.bias)], { axis: -1 }),
  },
  { op: "LogSoftmax", name: "LogSoftmax", inputs: { x: { dims: [3, 4], range: [-3, 3] } }, build: (g, x) => g.op("LogSoftmax", [x.x], { axis: -1 }) },
  {
    op: "LayerNormalization",
    name: "LayerNormalization (B,T,H) with γ, β",
    inputs: { x: { dims: [2, 3, 5], shape: ["batch", "seq", 5], range: [-2, 2] }, gamma: { dims: [5], range: [0.5, 1.5] }, beta: { dims: [5] } },
    build: (g, x) => g.layerNorm(x.x, x.gamma, x.beta, 1e-5),
  },
  {
    op: "LayerNormalization",
    name: "LayerNormalization in float32 as the encoder runs it",
    dtype: "float32",
    inputs: { x: { dims: [2, 4], range: [-2, 2] }, gamma: { dims: [4], range: [0.5, 1.5] }, beta: { dims: [4] } },
    build: (g, x) => g.layerNorm(x.x, x.gamma, x.beta, 1e-12),
  },
  {
    op: "Dropout",
    name: "Dropout in training mode (mask reused by the gradient)",
    freshSessions: true,
    inputs: { x: { dims: [4, 5] } },
    build: (g, x, c) => {
      const on = g.op("Cast", [g.constI64([1], [])], { to: DataType.BOOL });
      return g.node("Dropout", [x.x, c.f([0.3], []), on], { count: 2, attrs: { seed: 7 } })[0];
    },
  },
  {
    op: "Dropout",
    name: "Dropout in inference mode is the identity",
    inputs: { x: { dims: [3] } },
    build: (g, x) => g.node("Dropout", [x.x], { count: 1 })[0],
  },
  ...(["mean", "sum", "none"] as const).map(
    (reduction): GradCase => ({
      op: "SoftmaxCrossEntropyLoss",
      name: `SoftmaxCrossEntropyLoss reduction=${reduction}`,
      inputs: { logits: { dims: [3, 4], shape: ["batch", 4], range: [-3, 3] }, labels: { dims: [3], shape: ["batch"], kind: "int64", values: [2, 0, 3] } },
      build: (g, x) => g.node("SoftmaxCrossEntropyLoss", [x.logits, x.labels], { count: 1, attrs: { reduction } })[0],
    }),
  ),
];

describe("gradient rules vs central finite differences", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const r = await gradCheck(c);
      const tol = (c.dtype ?? "float64") === "float64" ? 1e-6 : 2e-3;
      assert.ok(r.checked > 0, "nothing was checked");
      assert.ok(r.maxError < tol, `${c.name}: max error ${r.maxError.toExponential(2)} (abs ${r.maxAbsError.toExponential(2)}) over ${r.checked} elements`);
    });
  }

  it("every rule in the registry has a case", () => {
    const covered = new Set(CASES.map((c) => c.op));
    const missing = Object.keys(GRADIENT_RULES).filter((op) => !covered.has(op));
    assert.deepEqual(missing, []);
  });
});
