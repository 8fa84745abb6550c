/**
 * Reverse-mode differentiation of esci's ONNX graphs, run by ONNX Runtime: gradient rules per op
 * (rules/) and the backward pass that emits them into a GraphBuilder graph (backward.ts). The
 * training graph of a sequence classifier, which uses it, lives in train/training-graph.ts. ONNX
 * Runtime runs such graphs through onnx/graph-session.ts (re-exported here).
 *
 * Files: shapes.ts (symbolic shapes) → context.ts (what a rule may do) → rules/ → backward.ts.
 */
export { appendBackward, type BackwardOptions } from "./backward.js";
export { GradContext, type GradRule } from "./context.js";
export { GRADIENT_RULES } from "./rules/index.js";
export { ShapeTable, type Dim, type ValueType } from "./shapes.js";
export { GraphSession, serializeGraph, type Feed, type GraphSessionOptions, type Output } from "../onnx/graph-session.js";
