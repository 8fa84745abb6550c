/**
 * What picks ONNX Runtime's CPU float kernels on this machine: its version and the widest SIMD
 * level the CPU has (MLAS dispatches on it, and another level sums in another order). Golden
 * outputs record it, so that bytes are compared only where they can be equal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

export interface KernelMachine {
  isa: string;
  onnxruntime: string;
}

export function kernelMachine(): KernelMachine {
  let isa = "unknown";
  try {
    const flags = readFileSync("/proc/cpuinfo", "utf8");
    isa = /\bavx512f\b/.test(flags) ? "avx512f" : /\bavx2\b/.test(flags) ? "avx2" : "other";
  } catch {
    // not Linux: "unknown" matches only another machine that cannot tell either
  }
  const ort = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/onnxruntime-node/package.json"), "utf8")) as { version: string };
  return { isa, onnxruntime: ort.version };
}
