/**
 * Kill -9 and --resume for `esci distill` (the real CLI in child processes), at named points
 * through the test-only hooks of cli/distill.ts rather than at random times: the first run is
 * killed in the teacher pass right after its first part is on disk, the second after optimizer
 * step 13 is logged (checkpoint at 10), the third, resumed, after step 19 (checkpoint at 15); the
 * fourth finishes. Dropout, shuffling and validation are on. The log, the best student's weights
 * and the teacher's cached logits must equal those of an uninterrupted run with its own cache.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TEACHER_PART } from "../../../src/train/distill/index.js";
import { fixtureModel, REPO_ROOT } from "../../helpers/paths.js";
import { makeSyntheticPairs, toJsonl } from "../synthetic.js";

const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");
let work: string;

function distill(output: string, cache: string, extra: string[], env: Record<string, string> = {}) {
  const args = [
    CLI, "distill",
    "--teacher", fixtureModel("tiny-roberta-esci"),
    "--layers", "1",
    "--data", join(work, "pairs.jsonl"),
    "--validation", join(work, "valid.jsonl"),
    "--output", output,
    "--teacher-cache", cache,
    "--loss", "kl", "--temperature", "2",
    "--max-steps", "24", "--batch-size", "8", "--lr", "2e-3", "--eval-every", "0.02",
    "--save-every", "5", "--max-length", "32", "--threads", "1", "--quiet",
    ...extra,
  ];
  return spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ESCI_CACHE: join(work, "esci-cache"), ...env } });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-distill-resume-"));
  // more pairs than one teacher part, no labels (a query log × catalogue file)
  const pairs = makeSyntheticPairs(TEACHER_PART + 200, 51).map(({ query, product }) => JSON.stringify({ query, product }));
  writeFileSync(join(work, "pairs.jsonl"), pairs.join("\n") + "\n");
  writeFileSync(join(work, "valid.jsonl"), toJsonl(makeSyntheticPairs(40, 52)));
});
after(() => rmSync(work, { recursive: true, force: true }));

const entries = (cache: string) => readdirSync(cache).map((d) => join(cache, d));

describe("esci distill: kill -9 and --resume", { timeout: 600_000 }, () => {
  it("a run killed in the teacher pass and twice in training ends as an uninterrupted one", () => {
    const straight = join(work, "straight");
    const straightCache = join(work, "cache-straight");
    const done = distill(straight, straightCache, []);
    assert.equal(done.status, 0, done.stderr);

    const killed = join(work, "killed");
    const cache = join(work, "cache-killed");
    const first = distill(killed, cache, [], { ESCI_TEST_KILL_AT_TEACHER_PART: "0" });
    assert.equal(first.signal, "SIGKILL", first.stderr);
    const [entry] = entries(cache);
    assert.deepEqual(readdirSync(entry).sort(), ["meta.json", "part-000000.f32"]);
    assert.ok(!existsSync(join(killed, "log.jsonl")));

    const second = distill(killed, cache, [], { ESCI_TEST_KILL_AT_STEP: "13" });
    assert.equal(second.signal, "SIGKILL", second.stderr);
    assert.deepEqual(readdirSync(join(killed, "checkpoints")), ["step-00000010"]);
    const third = distill(killed, cache, ["--resume"], { ESCI_TEST_KILL_AT_STEP: "19" });
    assert.equal(third.signal, "SIGKILL", third.stderr);
    assert.deepEqual(readdirSync(join(killed, "checkpoints")), ["step-00000015"]);
    const last = distill(killed, cache, ["--resume"]);
    assert.equal(last.status, 0, last.stderr);

    assert.equal(readFileSync(join(killed, "log.jsonl"), "utf8"), readFileSync(join(straight, "log.jsonl"), "utf8"));
    assert.ok(readFileSync(join(killed, "model.safetensors")).equals(readFileSync(join(straight, "model.safetensors"))), "final weights differ");
    const logits = (c: string) => readFileSync(join(entries(c)[0], "logits.f32"));
    assert.ok(logits(cache).equals(logits(straightCache)), "teacher logits differ");
  });

  it("refuses to resume with other distillation settings, and an unknown loss", () => {
    const r = distill(join(work, "straight"), join(work, "cache-straight"), ["--resume", "--temperature", "3"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /other options \(distill: .*"temperature":2.*→.*"temperature":3/);
    const bad = distill(join(work, "other"), join(work, "cache-straight"), ["--loss", "huber"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--loss must be "mse" or "kl", got "huber"/);
  });
});
