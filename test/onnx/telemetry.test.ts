/**
 * ONNX Runtime's telemetry stays off (onnx/ort.ts): a process that loads a model leaves no
 * `mat-debug-<pid>.log` in the temp dir, unless ORT_DISABLE_TELEMETRY=0 asks for the telemetry.
 * The children run without CI in their environment, since ONNX Runtime also stays quiet under CI,
 * and with a temp dir (TMPDIR) of their own: with telemetry on, ONNX Runtime also writes a `.ses`
 * session file there, which must not be left in the shared temp dir.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fixtureModel, isolateEsciCache, REPO_ROOT, tempDir } from "../helpers/paths.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");

/** One classify child with `tmp` as its temp dir; its pid. */
function classifyOnce(tmp: string, extraEnv: Record<string, string>): number {
  const env: Record<string, string | undefined> = { ...process.env, HF_HUB_OFFLINE: "1", TMPDIR: tmp, ...extraEnv };
  for (const k of ["CI", "TF_BUILD", "GITHUB_ACTIONS", "JENKINS_URL"]) delete env[k];
  if (!("ORT_DISABLE_TELEMETRY" in extraEnv)) delete env.ORT_DISABLE_TELEMETRY;
  const r = spawnSync(process.execPath, [CLI, "classify", "--model", fixtureModel("tiny-roberta-esci"), "--query", "mouse", "--product", "wireless mouse", "--quiet"], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

before(() => isolateEsciCache());

describe("ONNX Runtime telemetry", () => {
  it("is off by default: nothing (no mat-debug-<pid>.log) is left in the temp dir", () => {
    const tmp = tempDir("esci-telemetry-");
    classifyOnce(tmp, {});
    assert.deepEqual(readdirSync(tmp), []);
  });

  it("ORT_DISABLE_TELEMETRY=0 keeps ONNX Runtime's own behaviour (the file appears)", () => {
    const tmp = tempDir("esci-telemetry-");
    const pid = classifyOnce(tmp, { ORT_DISABLE_TELEMETRY: "0" });
    assert.equal(existsSync(join(tmp, `mat-debug-${pid}.log`)), true);
  });
});
