/**
 * Which model a job names, pinned by the sha256 of its weights.
 *
 * The coordinator resolves the model once (a local path, or the Hugging Face cache / hub) and
 * puts its id, revision and weights digest in every shard; each worker resolves the same id on
 * its own machine and refuses the shard if its weights hash differently — a stale snapshot or
 * another checkpoint at the same path would otherwise mix two models' scores into one file. The
 * digest is the one esci's ONNX cache keys builds by (onnx/cache.ts `fileDigest`: LFS blobs are
 * named by it, other files hashed once and remembered); a sharded checkpoint hashes the list of
 * "file digest" lines.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { resolveModel, type ResolveModelOptions } from "../hub/resolve.js";
import { readConfig } from "../models/config.js";
import { checkpointSource } from "../models/loader.js";
import { fileDigest } from "../onnx/cache.js";
import type { ModelSpec } from "./protocol.js";

export function weightsSha256(dir: string): string {
  const src = checkpointSource(dir);
  try {
    const digests = src.files.map((f) => ({ name: basename(f), sha: fileDigest(f) }));
    if (digests.length === 1) return digests[0].sha;
    return createHash("sha256")
      .update(digests.map((d) => `${d.name} ${d.sha}\n`).join(""))
      .digest("hex");
  } finally {
    src.close();
  }
}

export interface DescribeModelOptions {
  revision?: string;
  quantize?: "int8";
  labels?: string[];
  hub?: Omit<ResolveModelOptions, "revision">;
}

/** Resolve `id` here (downloading if needed) and describe it for workers: spec, label names. */
export async function describeModel(id: string, options: DescribeModelOptions = {}): Promise<{ spec: ModelSpec; labels: string[] }> {
  const resolved = await resolveModel(id, { ...options.hub, revision: options.revision });
  const labels = options.labels ?? readConfig(resolved.dir).id2label;
  return {
    spec: { id, revision: options.revision, quantize: options.quantize, labels: options.labels, sha256: weightsSha256(resolved.dir) },
    labels,
  };
}
