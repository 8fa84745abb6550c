/** Paths shared by tests: the repo root, committed fixtures, and a private esci cache per test file. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/helpers/paths.js → repo root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const FIXTURES = join(REPO_ROOT, "test", "fixtures");

export function fixtureModel(name: string): string {
  return join(FIXTURES, "models", name);
}

export function fixtureReference<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, "reference", `${name}.json`), "utf8")) as T;
}

/** Point esci's ONNX cache at a fresh temp dir so tests never reuse a stale build; removed when the process exits. */
export function isolateEsciCache(): string {
  const dir = mkdtempSync(join(tmpdir(), "esci-cache-"));
  process.env.ESCI_CACHE = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
