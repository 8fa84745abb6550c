/**
 * The gradient rules, one registry row per ONNX op type. Adding an op to what esci can
 * differentiate = a rule in one of these files plus its finite-difference case in
 * test/autodiff/rules.test.ts (the test fails for a rule without one).
 */
import type { GradRule } from "../context.js";
import { elementwiseRules } from "./elementwise.js";
import { linalgRules } from "./linalg.js";
import { lossRules } from "./loss.js";
import { nnRules } from "./nn.js";
import { shapeRules } from "./shape.js";

export const GRADIENT_RULES: Readonly<Record<string, GradRule>> = {
  ...elementwiseRules,
  ...linalgRules,
  ...shapeRules,
  ...nnRules,
  ...lossRules,
};
