/**
 * The teacher's logits for every pair, computed once and cached on disk.
 *
 * The cache entry is keyed by everything that determines the numbers: the teacher's weights
 * (sha256 of each safetensors file), its config and tokenizer files, the int8 switch, the
 * truncation length and the pairs themselves (sha256 of their texts in order). The same distillation
 * data under another student, loss or learning rate therefore reuses the entry.
 *
 * Layout: `<cache>/<key>/part-000042.f32` holds pairs [42·PART, 43·PART) as float32 (n, C), each
 * written to a temp file, fsynced and renamed, so a killed teacher pass keeps every finished part
 * and a rerun scores only the rest. When all parts are there they are joined into `logits.f32`
 * (same atomic write) and removed; `meta.json` says what the entry holds.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { writeFileAtomicSync } from "../../io/atomic.js";
import { join } from "node:path";
import { resolveModel } from "../../hub/resolve.js";
import { CrossEncoder } from "../../models/cross-encoder.js";
import { readConfig } from "../../models/config.js";
import type { Pair } from "../../models/types.js";
import { fileDigest } from "../../onnx/cache.js";
import { openCheckpoint } from "../../safetensors/index.js";
import { tokenizerFiles } from "../model.js";

/** Pairs per part file: small enough that a kill loses little, large enough to batch well. */
export const PART = 2048;
const FORMAT = 1;

export interface TeacherPass {
  teacher: string;
  quantize?: "int8";
  maxLength: number;
  threads?: number;
  cacheDir: string;
}

export interface TeacherHooks {
  /** Pairs scored so far (parts found in the cache count as scored). */
  onProgress?: (done: number, total: number) => void;
  /** After part `index` is durable on disk (the kill/resume test stops here). */
  onPart?: (index: number) => void;
}

export interface TeacherLogits {
  /** (pairs, labels) float32 row-major, the teacher's label order. */
  logits: Float32Array;
  /** The teacher's id2label. */
  labels: string[];
  /** The cache entry. */
  dir: string;
  /** Pairs that were already in the cache. */
  cached: number;
}

/** Each chunk in turn into `path`, atomically (io/atomic: unique temp sibling, fsync, rename). */
function writeDurable(path: string, chunks: readonly Uint8Array[]): void {
  writeFileAtomicSync(path, (fd) => {
    for (const c of chunks) for (let at = 0; at < c.length; ) at += writeSync(fd, c, at);
  });
}

const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The cache key: sha256 over the teacher's files, the settings and the pairs. */
function cacheKey(dir: string, pass: TeacherPass, pairs: readonly Pair[]): string {
  const h = createHash("sha256");
  const ckpt = openCheckpoint(dir);
  const weights = ckpt.files.map((f) => fileDigest(f));
  ckpt.close();
  const files = ["config.json", ...tokenizerFiles(dir)].map((f) => [f, createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")]);
  h.update(JSON.stringify({ format: FORMAT, weights, files, quantize: pass.quantize ?? null, maxLength: pass.maxLength }));
  for (const [q, p] of pairs) h.update(`${q}\u0000${p}\u0001`);
  return h.digest("hex");
}

export async function teacherLogits(pairs: readonly Pair[], pass: TeacherPass, hooks: TeacherHooks = {}): Promise<TeacherLogits> {
  const teacherDir = (await resolveModel(pass.teacher)).dir;
  const labels = readConfig(teacherDir).id2label;
  const C = labels.length;
  const dir = join(pass.cacheDir, cacheKey(teacherDir, pass, pairs));
  const final = join(dir, "logits.f32");
  const total = pairs.length;
  if (existsSync(final) && statSync(final).size === total * C * 4) {
    hooks.onProgress?.(total, total);
    return { logits: readF32(final), labels, dir, cached: total };
  }

  mkdirSync(dir, { recursive: true });
  writeDurable(join(dir, "meta.json"), [Buffer.from(JSON.stringify({ format: FORMAT, teacher: pass.teacher, quantize: pass.quantize ?? null, maxLength: pass.maxLength, pairs: total, labels, part: PART }, null, 2) + "\n")]);
  const parts = Math.ceil(total / PART);
  const partFile = (k: number) => join(dir, `part-${String(k).padStart(6, "0")}.f32`);
  const partSize = (k: number) => (Math.min((k + 1) * PART, total) - k * PART) * C * 4;
  const done = (k: number) => existsSync(partFile(k)) && statSync(partFile(k)).size === partSize(k);
  let cached = 0;
  for (let k = 0; k < parts; k++) if (done(k)) cached += partSize(k) / (C * 4);
  hooks.onProgress?.(cached, total);

  if (cached < total) {
    const model = await CrossEncoder.load(teacherDir, { quantize: pass.quantize, threads: pass.threads });
    try {
      let scored = cached;
      for (let k = 0; k < parts; k++) {
        if (done(k)) continue;
        const slice = pairs.slice(k * PART, Math.min((k + 1) * PART, total));
        const rows = await model.logits(slice, { maxLength: pass.maxLength, onProgress: (d) => hooks.onProgress?.(scored + d, total) });
        const out = new Float32Array(slice.length * C);
        rows.forEach((r, i) => out.set(r, i * C));
        writeDurable(partFile(k), [bytes(out)]);
        scored += slice.length;
        hooks.onPart?.(k);
      }
    } finally {
      await model.dispose();
    }
  }

  const logits = new Float32Array(total * C);
  for (let k = 0; k < parts; k++) logits.set(readF32(partFile(k)), k * PART * C);
  writeDurable(final, [bytes(logits)]);
  for (const f of readdirSync(dir)) if (f.startsWith("part-")) rmSync(join(dir, f), { force: true });
  return { logits, labels, dir, cached };
}
