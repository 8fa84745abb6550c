/**
 * What `esci classify` writes for a fixed pair file, byte for byte: the outputs of commit
 * dd31634's build (test/fixtures/classify, made by scripts/fixtures/classify-golden.mjs), before
 * the batching engine moved under the models' public API. A change to how pairs are tokenized,
 * packed into batches or run that moves a single bit of a logit fails here.
 *
 * Bytes are compared where ONNX Runtime's version and the CPU's SIMD level (which pick its float
 * kernels) are those the outputs were made with (runs.json); elsewhere the test compares every
 * field, logits and probabilities within 1e-5, and says so.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runEsci } from "../helpers/cli.js";
import { kernelMachine, type KernelMachine } from "../helpers/machine.js";
import { FIXTURES, fixtureModel, tempDir } from "../helpers/paths.js";

const GOLDEN = join(FIXTURES, "classify");
const GOLDEN_RUNS = JSON.parse(readFileSync(join(GOLDEN, "runs.json"), "utf8")) as { machine: KernelMachine; runs: Record<string, string[]> };

const HERE = kernelMachine();
const SAME_KERNELS = GOLDEN_RUNS.machine.isa === HERE.isa && GOLDEN_RUNS.machine.onnxruntime === HERE.onnxruntime;

/** Equal rows, numbers within `tol`. */
function assertNear(got: unknown, want: unknown, tol: number, where: string): void {
  if (typeof want === "number") {
    assert.ok(typeof got === "number" && Math.abs(got - want) <= tol, `${where}: got ${String(got)}, want ${want}`);
  } else if (want !== null && typeof want === "object") {
    assert.ok(got !== null && typeof got === "object", `${where}: got ${JSON.stringify(got)}`);
    assert.deepEqual(Object.keys(got), Object.keys(want), `${where}: keys`);
    for (const k of Object.keys(want)) assertNear((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], tol, `${where}.${k}`);
  } else {
    assert.equal(got, want, where);
  }
}

let work: string;
let env: NodeJS.ProcessEnv;

before(() => {
  work = tempDir("esci-golden-");
  env = { ...process.env, ESCI_CACHE: join(work, "esci-cache"), HF_HOME: join(work, "hf"), HF_HUB_OFFLINE: "1" };
});

describe("esci classify: golden outputs", { timeout: 600_000 }, () => {
  for (const [name, flags] of Object.entries(GOLDEN_RUNS.runs)) {
    it(`${name} (${flags.join(" ") || "default batching"}) is byte-identical`, async (t) => {
      const output = join(work, name);
      const r = await runEsci(["classify", "--model", fixtureModel("tiny-roberta-esci"), "--input", join(GOLDEN, "pairs.jsonl"), "--output", output, "--quiet", ...flags], { env });
      assert.equal(r.code, 0, r.stderr);
      const got = readFileSync(output, "utf8");
      const want = readFileSync(join(GOLDEN, name), "utf8");
      assert.ok(got.split("\n").length > 100, "the fixture spans many batches");
      if (!SAME_KERNELS) {
        t.diagnostic(`outputs made with ${JSON.stringify(GOLDEN_RUNS.machine)}, this machine ${JSON.stringify(HERE)}: compared within 1e-5, not byte for byte`);
        const [g, w] = [got, want].map((s) => s.trim().split("\n").map((l) => JSON.parse(l) as unknown));
        assert.equal(g.length, w.length);
        w.forEach((row, i) => assertNear(g[i], row, 1e-5, `${name} line ${i + 1}`));
        return;
      }
      if (got !== want) {
        const i = got.split("\n").findIndex((l, k) => l !== want.split("\n")[k]);
        assert.fail(`${name}: line ${i + 1} differs:\n  got  ${got.split("\n")[i]}\n  want ${want.split("\n")[i]}`);
      }
    });
  }
});
