/**
 * Training checkpoints: everything a killed run needs to continue to the same final weights as
 * an uninterrupted one — the weights (graph layout), AdamW's moments and step, and the trainer
 * state: optimizer steps done (which fixes the data position, see data.ts), training-session runs
 * (which fixes the dropout masks, see training-graph.ts), the best validation result.
 *
 * Layout: `checkpoints/step-000123/{state.safetensors, trainer.json}`, assembled in a
 * `.tmp-…` directory, fsynced and renamed into place, so a checkpoint directory exists complete
 * or not at all; older ones are then removed. A kill at any moment leaves at least one complete
 * checkpoint (or none before the first), and leftovers of a torn write are ignored and cleaned.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { openCheckpoint, writeSafetensors, type TensorToWrite } from "../safetensors/index.js";
import type { AdamWState } from "./adamw.js";
import type { ParamMemory } from "./param-memory.js";

export interface BestResult {
  step: number;
  micro_f1: number;
  accuracy: number;
}

export interface TrainerState {
  /** Optimizer steps done. */
  step: number;
  /** Training-session runs (micro-batches) done: the dropout generators' position. */
  runs: number;
  best: BestResult | null;
  /** The options that determine the run (a resume must match them). */
  options: Record<string, unknown>;
}

export interface Checkpoint {
  dir: string;
  state: TrainerState;
  /** AdamW updates made. */
  adamStep: number;
}

const STEP_DIR = /^step-(\d+)$/;

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // not supported on this platform; the files themselves were fsynced
  }
}

export function saveCheckpoint(
  root: string,
  state: TrainerState,
  names: readonly string[],
  params: readonly Float32Array[],
  adam: AdamWState,
): string {
  mkdirSync(root, { recursive: true });
  const name = `step-${String(state.step).padStart(8, "0")}`;
  const final = join(root, name);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const tensors: TensorToWrite[] = [];
  names.forEach((n, k) => {
    tensors.push({ name: `param/${n}`, dtype: "F32", shape: [params[k].length], data: params[k] });
    tensors.push({ name: `exp_avg/${n}`, dtype: "F32", shape: [params[k].length], data: adam.expAvg[k] });
    tensors.push({ name: `exp_avg_sq/${n}`, dtype: "F32", shape: [params[k].length], data: adam.expAvgSq[k] });
  });
  writeSafetensors(join(tmp, "state.safetensors"), tensors, { format: "esci-train" });
  const json = join(tmp, "trainer.json");
  writeFileSync(json, JSON.stringify({ ...state, adam_step: adam.step }, null, 2) + "\n");
  const fd = openSync(json, "r");
  fsyncSync(fd);
  closeSync(fd);
  fsyncDir(tmp);
  // A complete checkpoint of this step exists only if a replayed run made it: keep it (same content).
  if (existsSync(final)) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, final);
  fsyncDir(root);
  for (const other of readdirSync(root)) if (other !== name) rmSync(join(root, other), { recursive: true, force: true });
  return final;
}

/**
 * Restores the newest complete checkpoint under `root` into `store` (values and AdamW moments,
 * one tensor at a time); undefined when there is none.
 */
export function loadLatestCheckpoint(root: string, names: readonly string[], store: ParamMemory): Checkpoint | undefined {
  if (!existsSync(root)) return undefined;
  const dirs = readdirSync(root)
    .filter((d) => STEP_DIR.test(d))
    .sort()
    .reverse();
  for (const d of dirs) {
    const dir = join(root, d);
    const json = join(dir, "trainer.json");
    const st = join(dir, "state.safetensors");
    if (!existsSync(json) || !existsSync(st)) continue;
    const raw = JSON.parse(readFileSync(json, "utf8")) as TrainerState & { adam_step: number };
    const ckpt = openCheckpoint(st);
    try {
      names.forEach((n, k) => {
        if (!ckpt.has(`param/${n}`)) throw new EsciError("CORRUPT_FILE", `${st} has no parameter ${n}: was it written for another model?`, { file: st, tensor: n });
        store.values[k].set(ckpt.readFloat32(`param/${n}`));
        store.expAvg[k].set(ckpt.readFloat32(`exp_avg/${n}`));
        store.expAvgSq[k].set(ckpt.readFloat32(`exp_avg_sq/${n}`));
      });
      const { adam_step, ...state } = raw;
      return { dir, state, adamStep: adam_step };
    } finally {
      ckpt.close();
    }
  }
  return undefined;
}
