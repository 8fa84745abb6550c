/**
 * scripts/reliability/cases-server.mjs, the generator of docs/reliability.md's server rows, run
 * as the generator runs it: every abuse case gets a 4xx, a 408 with the connection closed, or a
 * refused connection — never a 5xx but the 503 of a model still loading — and the cases the issue
 * names come out as documented.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../helpers/paths.js";

interface Row {
  area: string;
  fault: string;
  outcome: string;
  message: string;
}

describe("scripts/reliability/cases-server.mjs", () => {
  it("answers every HTTP abuse case without a 5xx, with the documented statuses", { timeout: 600_000 }, async () => {
    const tmpDir = mkdtempSync(join(tmpdir(), "esci-reliability-test-"));
    try {
      const mod = (await import(pathToFileURL(join(REPO_ROOT, "scripts", "reliability", "cases-server.mjs")).href)) as { run(ctx: unknown): Promise<Row[]> };
      const rows = await mod.run({ root: REPO_ROOT, tmpDir, esci: async () => ({ code: 0, stdout: "", stderr: "" }) });
      assert.ok(rows.length >= 30, `${rows.length} rows`);
      for (const r of rows) {
        assert.ok(r.area && r.fault && r.outcome && typeof r.message === "string", JSON.stringify(r));
        // 503 is right while the model loads (Retry-After); any other 5xx would be a server fault.
        if (!/while the model loads/.test(r.fault)) assert.doesNotMatch(r.outcome, /HTTP 5\d\d/, `${r.fault}: ${r.outcome} ${r.message}`);
      }
      const outcome = (fault: RegExp) => rows.find((r) => fault.test(r.fault))?.outcome;
      assert.equal(outcome(/nothing sent/), "HTTP 408, connection closed");
      assert.equal(outcome(/headers half sent/), "HTTP 408, connection closed");
      assert.equal(outcome(/body half sent/), "HTTP 408, connection closed");
      // (The idle row is left to timeouts.test.ts: on a very busy machine its request can itself
      // outlast the short header timeout the generator uses.)
      assert.equal(outcome(/over --max-body/), "HTTP 413");
      assert.equal(outcome(/^not JSON/), "HTTP 400");
      assert.equal(outcome(/unknown API key/), "HTTP 401");
      assert.equal(outcome(/unknown route/), "HTTP 404");
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  });
});
