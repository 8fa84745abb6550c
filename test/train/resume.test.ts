/**
 * Kill -9 and --resume: `esci train` (the real CLI, in a child process) on a tiny model is killed
 * twice at fixed steps after checkpoints exist (ESCI_TEST_KILL_AT_STEP, a test-only hook of
 * cli/test-kill.ts: the process kills itself right after logging that step), resumed each time, and must end with the
 * same log.jsonl and byte-identical model.safetensors as an uninterrupted run — with dropout on,
 * shuffling on, validation on, so the data position, the dropout generators' position, AdamW's
 * state and the best-model bookkeeping all have to survive the restart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";
import { makeSyntheticPairs, toJsonl } from "./synthetic.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");
let work: string;

function args(output: string, extra: string[] = []): string[] {
  return [
    CLI, "train",
    "--base", fixtureModel("tiny-st-roberta"),
    "--data", join(work, "train.jsonl"),
    "--validation", join(work, "valid.jsonl"),
    "--output", output,
    "--epochs", "3", "--batch-size", "8", "--lr", "2e-3", "--eval-every", "0.5",
    "--save-every", "4", "--max-length", "32", "--threads", "1", "--quiet",
    ...extra,
  ];
}

function runToEnd(output: string, extra: string[] = []): void {
  const r = spawnSync(process.execPath, args(output, extra), { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

/** Runs until the process kills itself right after logging `step`. */
function killAtStep(output: string, extra: string[], step: number): void {
  const r = spawnSync(process.execPath, args(output, extra), { encoding: "utf8", env: { ...process.env, ESCI_TEST_KILL_AT_STEP: String(step) } });
  assert.equal(r.signal, "SIGKILL", `the run was not killed at step ${step}: exit ${r.status}\n${r.stderr}`);
}

const checkpoints = (dir: string) => (existsSync(join(dir, "checkpoints")) ? readdirSync(join(dir, "checkpoints")).filter((d) => d.startsWith("step-")) : []);
const logLines = (dir: string) => (existsSync(join(dir, "log.jsonl")) ? readFileSync(join(dir, "log.jsonl"), "utf8").split("\n").length - 1 : 0);

before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-resume-"));
  writeFileSync(join(work, "train.jsonl"), toJsonl(makeSyntheticPairs(240, 11)));
  writeFileSync(join(work, "valid.jsonl"), toJsonl(makeSyntheticPairs(40, 12)));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("kill -9 and --resume", { timeout: 600_000 }, () => {
  it("continues to the same log and the same final weights as an uninterrupted run", async () => {
    const straight = join(work, "straight");
    runToEnd(straight);
    const killed = join(work, "killed");
    // first kill: at step 8, after the step-4 checkpoint and before step 8's own; second: at step
    // 47, mid-way through a later stretch (checkpoints every 4 steps, validation every 15)
    killAtStep(killed, [], 8);
    assert.deepEqual(checkpoints(killed), ["step-00000004"]);
    assert.equal(logLines(killed), 8, "one log line per step up to the kill");
    killAtStep(killed, ["--resume"], 47);
    runToEnd(killed, ["--resume"]);

    assert.equal(readFileSync(join(killed, "log.jsonl"), "utf8"), readFileSync(join(straight, "log.jsonl"), "utf8"));
    assert.ok(readFileSync(join(killed, "model.safetensors")).equals(readFileSync(join(straight, "model.safetensors"))), "final weights differ");
    assert.equal(readFileSync(join(killed, "config.json"), "utf8"), readFileSync(join(straight, "config.json"), "utf8"));
  });

  it("refuses to resume with other options, and to overwrite a run without --resume", () => {
    const dir = join(work, "straight");
    const other = spawnSync(process.execPath, args(dir, ["--resume", "--seed", "7"]), { encoding: "utf8" });
    assert.equal(other.status, 2);
    assert.match(other.stderr, /other options \(seed: 42 → 7\)/);
    const again = spawnSync(process.execPath, args(dir), { encoding: "utf8" });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already holds a training run/);
  });
});
