/**
 * Reading a tokenizer directory's files, with errors that name the file: a missing file is
 * NOT_FOUND, an unreadable or malformed one CORRUPT_FILE.
 */
import { readFile } from "node:fs/promises";
import { EsciError } from "../errors/index.js";

export type JsonObject = Record<string, unknown>;

/** The file's text, or null when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "EISDIR") {
      throw new EsciError("CORRUPT_FILE", `${path} is a directory, expected a file`, { file: path }, { cause: e });
    }
    throw new EsciError("CORRUPT_FILE", `cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}

export function parseJsonObject(text: string, path: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new EsciError("CORRUPT_FILE", `${path} is not valid JSON (${(e as Error).message})`, { file: path }, { cause: e });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new EsciError("CORRUPT_FILE", `${path} must hold a JSON object`, { file: path });
  }
  return value as JsonObject;
}

/** The parsed JSON object, or null when the file does not exist. */
export async function readJsonIfExists(path: string): Promise<JsonObject | null> {
  const text = await readTextIfExists(path);
  return text === null ? null : parseJsonObject(text, path);
}
