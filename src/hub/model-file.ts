/**
 * `modelFile`: the path of one file of a resolved model, or an error that says which file is
 * missing, where it was looked for, and the concrete ways to provide it — so a missing
 * `tokenizer.json` is fixed in one step instead of a stack trace from a JSON parser.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { hfDownloadCommand } from "./cache.js";
import type { ResolvedModel } from "./resolve.js";

export interface ModelFileOptions {
  /** Throw when the file is absent (default); with `false`, return undefined instead. */
  required?: boolean;
}

/** `…/models--org--name/snapshots/<commit>` → { repoId: "org/name", commit }, for a bare directory. */
function fromCachePath(dir: string): { repoId: string; commit: string } | undefined {
  const m = /(?:^|[\\/])models--([^\\/]+)[\\/]snapshots[\\/]([^\\/]+)[\\/]?$/.exec(dir);
  return m ? { repoId: m[1]!.split("--").join("/"), commit: m[2]! } : undefined;
}

export function modelFile(model: ResolvedModel | string, relativePath: string): string;
export function modelFile(model: ResolvedModel | string, relativePath: string, options: ModelFileOptions): string | undefined;
/** The absolute path of `relativePath` inside the model directory (symlinks must resolve). */
export function modelFile(model: ResolvedModel | string, relativePath: string, options: ModelFileOptions = {}): string | undefined {
  const m: ResolvedModel = typeof model === "string" ? { dir: model, source: "local", downloaded: [] } : model;
  const path = join(m.dir, ...relativePath.split("/"));
  if (existsSync(path)) return path;
  if (options.required === false) return undefined;

  const cached = typeof model === "string" ? fromCachePath(model) : undefined;
  const repoId = m.repoId ?? cached?.repoId;
  const revision = m.revision ?? cached?.commit;
  const details = { file: relativePath, dir: m.dir, repoId, revision };
  if (!repoId) {
    throw new EsciError(
      "NOT_FOUND",
      `Missing ${relativePath} in the model directory ${m.dir}. Copy it into ${m.dir}, ` +
        `or load the model by its Hugging Face repo id (org/name) to download a complete model.`,
      details,
    );
  }
  if (m.repoFiles && !m.repoFiles.includes(relativePath)) {
    throw new EsciError(
      "NOT_FOUND",
      `${repoId} (revision ${revision}) has no ${relativePath}, so ${m.dir} lacks it too. ` +
        `Use a repo that includes it, or copy one into ${m.dir}.`,
      details,
    );
  }
  if (m.repoFiles && !m.offline) {
    throw new EsciError(
      "NOT_FOUND",
      `${relativePath} is in ${repoId} (revision ${revision}) but was not fetched into ${m.dir}: ` +
        `add it to the allow patterns, or run \`${hfDownloadCommand(repoId, revision, relativePath)}\`.`,
      details,
    );
  }
  throw new EsciError(
    m.offline ? "OFFLINE" : "NOT_FOUND",
    `Missing ${relativePath} in ${m.dir}, the cached snapshot of ${repoId}` +
      `${revision ? ` (revision ${revision})` : ""}. To provide it: run once without HF_HUB_OFFLINE=1 so esci downloads it, ` +
      `or \`${hfDownloadCommand(repoId, revision, relativePath)}\`, or copy it into ${m.dir}.`,
    details,
  );
}
