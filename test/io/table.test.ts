/**
 * io/table.ts's two promises to every command: a table without rows is "no rows in FILE" in each
 * format, and a JSONL line that is not a JSON object is an issue that `--on-error skip` can skip
 * (and that is thrown, naming file and row, otherwise).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { readTableBatches, type TableIssue, type TableRow } from "../../src/io/table.js";
import { writeEmptyTables } from "../helpers/tables.js";

const work = mkdtempSync(join(tmpdir(), "esci-table-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function readAll(path: string, onIssue?: (i: TableIssue) => void): Promise<TableRow[]> {
  const rows: TableRow[] = [];
  for await (const b of readTableBatches(path, { onIssue })) rows.push(...b);
  return rows;
}

describe("readTableBatches", () => {
  for (const [name, why] of Object.entries(writeEmptyTables(work))) {
    it(`${name}: INVALID_INPUT "no rows in FILE: ${why}"`, async () => {
      const path = join(work, name);
      await assert.rejects(readAll(path), (e: unknown) => {
        assert.ok(e instanceof EsciError);
        assert.equal(e.code, "INVALID_INPUT");
        assert.equal(e.message, `no rows in ${path}: ${why}`);
        return true;
      });
    });
  }

  it("throws a malformed JSONL line by default and hands it to onIssue under skip", async () => {
    const path = join(work, "bad-line.jsonl");
    writeFileSync(path, '{"query":"a","product":"b"}\n\n{oops\n[1,2]\n{"query":"c","product":"d"}\n');
    await assert.rejects(readAll(path), /bad-line\.jsonl, row 3: not valid JSON/);
    const issues: TableIssue[] = [];
    const rows = await readAll(path, (i) => issues.push(i));
    assert.deepEqual(rows.map((r) => r.row), [1, 5]);
    assert.deepEqual(
      issues.map((i) => [i.kind, i.row, i.reason.slice(0, 14)]),
      [
        ["malformed_row", 3, "not valid JSON"],
        ["malformed_row", 4, "expected a JSO"],
      ],
    );
  });

  it("a file whose every line is malformed is not 'no rows' under skip: its lines are reported", async () => {
    const path = join(work, "all-bad.jsonl");
    writeFileSync(path, "{oops\n");
    const issues: TableIssue[] = [];
    assert.deepEqual(await readAll(path, (i) => issues.push(i)), []);
    assert.equal(issues.length, 1);
  });
});
