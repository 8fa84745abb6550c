/**
 * io/output-path.ts at the library level: what is accepted (new paths under missing parents, an
 * existing file to replace, an existing directory to write into) and the structured details of a
 * refusal. Each refusal per command is in test/cli/output-paths.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { checkOutputPath } from "../../src/io/output-path.js";

const work = mkdtempSync(join(tmpdir(), "esci-outpath-unit-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("checkOutputPath", () => {
  it("accepts a new file under missing parents, an existing file, and an existing directory for a directory", async () => {
    const input = join(work, "in.jsonl");
    writeFileSync(input, "{}\n");
    await checkOutputPath(join(work, "new", "deeper", "out.jsonl"), { inputs: [input] });
    writeFileSync(join(work, "old.jsonl"), "old\n");
    await checkOutputPath(join(work, "old.jsonl"), { inputs: [input, undefined, join(work, "not-there")] });
    mkdirSync(join(work, "report"));
    await checkOutputPath(join(work, "report"), { kind: "directory", inputs: [input] });
  });

  it("refuses with INVALID_ARGUMENT naming the path, with the problem in details", async () => {
    const input = join(work, "same.csv");
    writeFileSync(input, "query,product\n");
    await assert.rejects(checkOutputPath(input, { inputs: [input], label: "--output" }), (e: unknown) => {
      assert.ok(e instanceof EsciError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.equal(e.message, `--output ${input}: is the input ${input}, which writing would replace; write to another path`);
      assert.deepEqual(e.details, { path: input, problem: `is the input ${input}, which writing would replace` });
      return true;
    });
    await assert.rejects(checkOutputPath(""), /empty path/);
    await assert.rejects(checkOutputPath("/dev/null"), /\/dev\/null: is not a regular file/);
  });
});
