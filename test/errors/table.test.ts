/**
 * ERROR_TABLE is the one mapping from error codes to exit codes: a script that branches on
 * `esci`'s exit status must be able to tell every code apart, so no two codes may share one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERROR_TABLE, type ErrorCode } from "../../src/errors/index.js";

describe("ERROR_TABLE", () => {
  it("gives every error code an exit status of its own, none of them 0", () => {
    const byExit = new Map<number, ErrorCode[]>();
    for (const [code, row] of Object.entries(ERROR_TABLE) as [ErrorCode, { exitCode: number }][]) {
      byExit.set(row.exitCode, [...(byExit.get(row.exitCode) ?? []), code]);
    }
    const shared = [...byExit].filter(([, codes]) => codes.length > 1);
    assert.deepEqual(shared, [], `exit statuses shared by several codes: ${JSON.stringify(shared)}`);
    assert.ok(!byExit.has(0), "exit status 0 means success");
  });

  it("maps every code to an HTTP error status (4xx or 5xx)", () => {
    for (const [code, row] of Object.entries(ERROR_TABLE)) {
      assert.ok(row.httpStatus >= 400 && row.httpStatus < 600, `${code}: ${row.httpStatus}`);
    }
  });
});
