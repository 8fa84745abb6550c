/**
 * docs/server.md's flag table states the defaults the code uses (it once said --token-budget
 * 4096 while the code used 512): each numeric default in the table is read back and compared.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS, DEFAULT_QUEUE, DEFAULT_TIMEOUTS } from "../../src/server/index.js";
import { REPO_ROOT } from "../helpers/paths.js";

const EXPECTED: Record<string, number> = {
  "--batch-size N": DEFAULT_QUEUE.maxBatch,
  "--token-budget N": DEFAULT_QUEUE.tokenBudget,
  "--max-wait-ms N": DEFAULT_QUEUE.maxWaitMs,
  "--max-queue N": DEFAULT_QUEUE.maxQueuedRows,
  "--max-pairs N": DEFAULT_LIMITS.maxPairs,
  "--max-chars N": DEFAULT_LIMITS.maxChars,
  "--header-timeout S": DEFAULT_TIMEOUTS.headersMs / 1000,
  "--body-timeout S": DEFAULT_TIMEOUTS.requestMs / 1000,
  "--idle-timeout S": DEFAULT_TIMEOUTS.idleMs / 1000,
};

describe("docs/server.md", () => {
  it("states the code's defaults in its flag table", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "server.md"), "utf8");
    for (const [flag, value] of Object.entries(EXPECTED)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${flag}\` |`));
      assert.ok(row, `no row for ${flag}`);
      assert.equal(Number(row.split("|")[2].trim()), value, `${flag}: ${row}`);
    }
  });
});
