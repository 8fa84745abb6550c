/**
 * ONNX Runtime's telemetry stays off (onnx/ort.ts): a process that loads a model leaves no
 * `mat-debug-<pid>.log` in the temp dir, unless ORT_DISABLE_TELEMETRY=0 asks for the telemetry.
 * The children run without CI in their environment, since ONNX Runtime also stays quiet under CI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fixtureModel, isolateEsciCache, REPO_ROOT } from "../helpers/paths.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");

function classifyOnce(extraEnv: Record<string, string>): number {
  const env: Record<string, string | undefined> = { ...process.env, HF_HUB_OFFLINE: "1", ...extraEnv };
  for (const k of ["CI", "TF_BUILD", "GITHUB_ACTIONS", "JENKINS_URL"]) delete env[k];
  if (!("ORT_DISABLE_TELEMETRY" in extraEnv)) delete env.ORT_DISABLE_TELEMETRY;
  const r = spawnSync(process.execPath, [CLI, "classify", "--model", fixtureModel("tiny-roberta-esci"), "--query", "mouse", "--product", "wireless mouse", "--quiet"], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

before(() => isolateEsciCache());

describe("ONNX Runtime telemetry", () => {
  it("is off by default: no mat-debug-<pid>.log is left in the temp dir", () => {
    const pid = classifyOnce({});
    assert.equal(existsSync(join(tmpdir(), `mat-debug-${pid}.log`)), false);
  });

  it("ORT_DISABLE_TELEMETRY=0 keeps ONNX Runtime's own behaviour (the file appears)", () => {
    const pid = classifyOnce({ ORT_DISABLE_TELEMETRY: "0" });
    const file = join(tmpdir(), `mat-debug-${pid}.log`);
    const made = existsSync(file);
    rmSync(file, { force: true });
    assert.equal(made, true);
  });
});
