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

const made: string[] = [];

/** A fresh temp dir named `prefix…`, removed when the test process exits (tests leave nothing behind). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // One exit listener for all of them (a listener each would trip MaxListenersExceededWarning).
  if (made.push(dir) === 1) process.once("exit", () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return dir;
}

/** Point esci's ONNX cache at a fresh temp dir so tests never reuse a stale build. */
export function isolateEsciCache(): string {
  const dir = tempDir("esci-cache-");
  process.env.ESCI_CACHE = dir;
  return dir;
}
