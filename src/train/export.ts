/**
 * Writes trained weights as a Hugging Face checkpoint directory: config.json (the classifier's
 * architecture and id2label), model.safetensors (HF tensor names, nn.Linear weights back in their
 * [out, in] layout) and the base model's tokenizer files — what `esci predict` (CrossEncoder.load)
 * and Python's `AutoModelForSequenceClassification.from_pretrained` load.
 *
 * Parameters map back through their InitializerOrigin: "none" as is, "transpose" transposed back,
 * "row" written into its row of the source table. Each file is replaced atomically, config and
 * tokenizer (identical on every export) before the weights.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../esci/io/atomic.js";
import type { Parameter } from "./training-graph.js";
import { transpose2d } from "../models/weights.js";
import { writeSafetensors, type TensorToWrite } from "../safetensors/index.js";
import { tokenizerFiles, type InitialModel } from "./model.js";

/** HF name → (shape, float32 data) of every tensor the parameters came from. */
export function hfTensors(model: InitialModel, params: readonly Parameter[], values: readonly Float32Array[]): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  params.forEach((p, k) => {
    const { transform, sources, row } = p.origin;
    const name = sources[0];
    const v = values[k];
    if (transform === "none") out.set(name, { shape: [...p.dims], data: v });
    else if (transform === "transpose") out.set(name, { shape: [p.dims[1], p.dims[0]], data: transpose2d(v, p.dims[0], p.dims[1]) });
    else if (transform === "row") {
      const entry = out.get(name) ?? { shape: model.source.shape(name), data: model.source.readFloat32(name) };
      entry.data.set(v, row! * entry.shape[1]);
      out.set(name, entry);
    } else throw new Error(`cannot export ${p.name}: initializer made by "${transform}" (training graphs use no fused weights)`);
  });
  return out;
}

/**
 * `json` with the integer-valued numbers that `original` wrote as floats (2.0, 1e4) written as
 * floats again. JSON.parse keeps no such difference, but transformers 5's strict config classes
 * reject an int where a field is typed float (ModernBertConfig's initializer_cutoff_factor 2.0).
 * Keys are matched by name, at any depth.
 */
export function keepFloatLiterals(json: string, original: string): string {
  const floats = new Set([...original.matchAll(/"([^"\\]+)"\s*:\s*-?\d+(?:\.\d*|(?=[eE]))(?:[eE][-+]?\d+)?/g)].map((m) => m[1]));
  return json.replace(/("([^"\\]+)": )(-?\d+)(?=[,\n}\]])/g, (whole, head: string, key: string, int: string) => (floats.has(key) ? `${head}${int}.0` : whole));
}

export async function exportCheckpoint(dir: string, model: InitialModel, params: readonly Parameter[], values: readonly Float32Array[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // The weights are float32 whatever the base stored: say so under transformers 5's "dtype" (which
  // it reads first) and, where the base had it, transformers 4's "torch_dtype".
  const config = { ...model.config.raw, ...("torch_dtype" in model.config.raw ? { torch_dtype: "float32" } : {}), dtype: "float32" };
  await writeFileAtomic(join(dir, "config.json"), keepFloatLiterals(JSON.stringify(config, null, 2), readFileSync(join(model.baseDir, "config.json"), "utf8")) + "\n");
  for (const f of tokenizerFiles(model.baseDir)) {
    const tmp = join(dir, `.${f}.${process.pid}.tmp`);
    copyFileSync(join(model.baseDir, f), tmp);
    renameSync(tmp, join(dir, f));
  }
  const tensors: TensorToWrite[] = [...hfTensors(model, params, values)].map(([name, t]) => ({ name, dtype: "F32", shape: t.shape, data: t.data }));
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
}
