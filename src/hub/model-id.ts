/**
 * Telling a `--model` value apart: an existing local directory, a path that does not exist, or a
 * Hugging Face repo id (`name` or `org/name`).
 *
 * An existing directory always wins, as in transformers' `from_pretrained`, so `./org/name` or a
 * folder literally called `org/name` in the working directory is used as is. Otherwise anything
 * shaped like a path (leading `/`, `./`, `../`, `~`, more than one `/`, a backslash) is a path
 * that does not exist, and the rest must pass huggingface_hub's `validate_repo_id` rules.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { EsciError } from "../errors/index.js";
import { expandHome, type Env } from "./settings.js";

export type ModelRef = { kind: "local"; dir: string } | { kind: "repo"; repoId: string };

/** huggingface_hub's REPO_ID_REGEX: an optional `namespace/`, then a name of word chars, `-`, `.`. */
const REPO_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;

/** A full git commit id; a revision of this shape names a snapshot folder directly. */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;

function looksLikePath(s: string): boolean {
  return (
    s.startsWith("/") ||
    s.startsWith("./") ||
    s.startsWith("../") ||
    s === "." ||
    s === ".." ||
    s.startsWith("~") ||
    s.includes("\\") ||
    s.endsWith("/") ||
    s.split("/").length > 2
  );
}

/** Throws INVALID_ARGUMENT unless `repoId` is a well-formed hub repo id. */
export function validateRepoId(repoId: string): void {
  const bad = (why: string) =>
    new EsciError(
      "INVALID_ARGUMENT",
      `"${repoId}" is not a valid Hugging Face repo id (${why}); expected "name" or "org/name", ` +
        `e.g. "cross-encoder/ms-marco-MiniLM-L-6-v2", or a path to a local model directory`,
      { model: repoId },
    );
  if (!REPO_ID.test(repoId)) throw bad("only letters, digits, '-', '_' and '.' are allowed, with at most one '/'");
  if (repoId.includes("--") || repoId.includes("..")) throw bad("'--' and '..' are not allowed");
  if (repoId.endsWith(".git")) throw bad("it must not end with .git");
}

/** Classifies a `--model` value; throws NOT_FOUND for a missing path, INVALID_ARGUMENT for a bad id. */
export function parseModelRef(idOrPath: string, env: Env = process.env): ModelRef {
  const value = idOrPath.trim();
  if (!value) throw new EsciError("INVALID_ARGUMENT", "the model id or path is empty: give a local directory or a repo id like org/name");
  const path = resolve(expandHome(value, env));
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { kind: "local", dir: path };
  if (stat) {
    throw new EsciError("INVALID_ARGUMENT", `${value} is a file, not a model directory; give the directory that holds config.json`, {
      path,
    });
  }
  if (looksLikePath(value)) {
    throw new EsciError(
      "NOT_FOUND",
      `Model directory ${path} does not exist (given as ${value}); check the path, or give a Hugging Face repo id like org/name`,
      { path },
    );
  }
  validateRepoId(value);
  return { kind: "repo", repoId: value };
}
