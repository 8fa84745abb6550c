/**
 * A student made from the teacher, written as a Hugging Face checkpoint directory that the trainer
 * then starts from like any base model.
 *
 * - `layers` N of the teacher's L layers, evenly spaced: layer i ← teacher layer round(i·(L−1)/(N−1)),
 *   so the first and the last are kept (for 12 → 6 this is DistilBERT's [0, 2, 4, 7, 9, 11]).
 *   With the teacher's width, every kept tensor (embeddings, those layers, pooler, head) is copied:
 *   DistilBERT's initialisation.
 * - `hidden` H (narrower or not) cannot reuse the teacher's matrices: every tensor is drawn fresh
 *   as Hugging Face's _init_weights does (Linear and Embedding weights from normal(0,
 *   initializer_range), biases 0, LayerNorm 1/0), the feed-forward width scaled by H / H_teacher,
 *   the head count kept (H must divide by it).
 *
 * config.json is the teacher's with the new sizes (labels, vocabulary and positions kept) and the
 * tokenizer files are copied, so the student tokenizes exactly as the teacher does.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../../errors/index.js";
import { resolveModel } from "../../hub/resolve.js";
import { readConfig } from "../../models/config.js";
import { mulberry32, normalArray } from "../../models/random-checkpoint.js";
import { openCheckpoint, writeSafetensors, type TensorToWrite } from "../../safetensors/index.js";
import { tokenizerFiles } from "../model.js";

export interface StudentShape {
  layers: number;
  hidden?: number;
  seed: number;
}

/** The teacher layers a student of `n` layers keeps (evenly spaced, first and last included). */
export function keptLayers(teacherLayers: number, n: number): number[] {
  if (n > teacherLayers) throw new EsciError("INVALID_ARGUMENT", `\`layers: ${n}\`: the teacher has only ${teacherLayers} layers`, { option: "layers", value: n, limit: teacherLayers });
  if (n === 1) return [teacherLayers - 1];
  return Array.from({ length: n }, (_, i) => Math.round((i * (teacherLayers - 1)) / (n - 1)));
}

const FLOAT_DTYPES = new Set(["F64", "F32", "F16", "BF16"]);
const LAYER = /^(.*encoder\.layer\.)(\d+)(\..*)$/;

/** Writes the student checkpoint to `dir` (replacing what is there); returns a one-line description. */
export async function writeStudentFromTeacher(teacher: string, dir: string, shape: StudentShape): Promise<string> {
  const teacherDir = (await resolveModel(teacher)).dir;
  const cfg = readConfig(teacherDir);
  const keep = keptLayers(cfg.numLayers, shape.layers);
  const H = shape.hidden ?? cfg.hiddenSize;
  const fresh = shape.hidden !== undefined;
  if (H % cfg.numHeads !== 0) {
    throw new EsciError("INVALID_ARGUMENT", `\`hidden: ${H}\` is not divisible by the teacher's ${cfg.numHeads} attention heads; choose a multiple of ${cfg.numHeads}`, {
      option: "hidden",
      value: H,
    });
  }
  const I = fresh ? Math.round((cfg.intermediateSize * H) / cfg.hiddenSize) : cfg.intermediateSize;
  // teacher dimension → student dimension (hidden and feed-forward widths; rows, labels and positions kept)
  const width = (d: number) => (d === cfg.hiddenSize ? H : d === cfg.intermediateSize ? I : d);

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ckpt = openCheckpoint(teacherDir);
  try {
    const rand = mulberry32(shape.seed);
    const tensors: TensorToWrite[] = [];
    for (const name of ckpt.tensorNames().sort()) {
      if (!FLOAT_DTYPES.has(ckpt.info(name).dtype)) continue; // buffers such as position_ids are no weights
      const m = LAYER.exec(name);
      let target = name;
      if (m) {
        const slot = keep.indexOf(Number(m[2]));
        if (slot < 0) continue;
        target = `${m[1]}${slot}${m[3]}`;
      }
      const tshape = [...ckpt.info(name).shape];
      if (!fresh) {
        tensors.push({ name: target, dtype: "F32", shape: tshape, data: () => ckpt.readFloat32(name) });
        continue;
      }
      const isEmbedding = /embeddings\.\w+_embeddings\.weight$/.test(name);
      const sshape = isEmbedding ? [tshape[0], H] : tshape.map(width);
      const n = sshape.reduce((a, b) => a * b, 1);
      const isNorm = /LayerNorm\.(weight|bias)$/.test(name);
      const init = isNorm && name.endsWith(".weight") ? "ones" : name.endsWith(".bias") || isNorm ? "zeros" : "normal";
      // drawn now, in name order, so the student is a pure function of (teacher config, seed)
      const data = init === "normal" ? normalArray(n, cfg.initializerRange, rand) : new Float32Array(n).fill(init === "ones" ? 1 : 0);
      tensors.push({ name: target, dtype: "F32", shape: sshape, data });
    }
    writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  } finally {
    ckpt.close();
  }
  const raw: Record<string, unknown> = { ...cfg.raw, num_hidden_layers: shape.layers, hidden_size: H, intermediate_size: I, torch_dtype: "float32" };
  writeFileSync(join(dir, "config.json"), JSON.stringify(raw, null, 2) + "\n");
  for (const f of tokenizerFiles(teacherDir)) copyFileSync(join(teacherDir, f), join(dir, f));
  return fresh
    ? `student: ${shape.layers} layers × ${H} wide (feed-forward ${I}), fresh weights, the teacher's tokenizer`
    : `student: the teacher's layers ${keep.join(", ")} of ${cfg.numLayers} (${shape.layers} layers × ${H}), weights copied`;
}
