/**
 * A DistilRoBERTa-sized checkpoint (6 × 768, vocab 50265: ≈330 MB of float32 safetensors) loads —
 * graph built from safetensors on a cold cache, then again from the cache — and scores pairs
 * with peak RSS below 1.2 GiB. Runs in child processes so each figure is that load's alone.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DISTILROBERTA_SIZES, writeRandomCheckpoint } from "../../src/models/random-checkpoint.js";
import { fixtureModel, REPO_ROOT } from "../helpers/paths.js";

const LIMIT = 1.2 * 2 ** 30;
let work: string;
let model: string;

function loadInChild(quantize?: string): { loadMs: number; maxRssBytes: number; labels: string[] } {
  const out = execFileSync(process.execPath, [join(REPO_ROOT, "dist/test/helpers/load-and-score.js"), model, ...(quantize ? [quantize] : [])], {
    env: { ...process.env, ESCI_CACHE: join(work, "cache") },
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "esci-mem-"));
  model = join(work, "distilroberta-random");
  writeRandomCheckpoint(model, { ...DISTILROBERTA_SIZES, labels: ["exact", "substitute", "complement", "irrelevant"], tokenizerFrom: fixtureModel("tiny-roberta-esci") });
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("DistilRoBERTa-sized checkpoint memory", { timeout: 600_000 }, () => {
  it("the random checkpoint really is DistilRoBERTa-sized", () => {
    const bytes = statSync(join(model, "model.safetensors")).size;
    assert.ok(bytes > 320e6 && bytes < 340e6, `model.safetensors is ${bytes} bytes`);
  });

  it("cold load (graph built from safetensors) + scoring stays below 1.2 GiB peak RSS", () => {
    const r = loadInChild();
    assert.deepEqual(r.labels, ["exact", "substitute", "complement", "irrelevant"]);
    assert.ok(r.maxRssBytes < LIMIT, `peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  });

  it("warm load (cached graph) + scoring stays below 1.2 GiB peak RSS", () => {
    const r = loadInChild();
    assert.ok(r.maxRssBytes < LIMIT, `peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  });
});
