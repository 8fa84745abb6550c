/** RFC 4180 reading: quoting, embedded line breaks, CRLF, chunk boundaries, and worded errors. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { csvField } from "../../src/esci/index.js";
import { readCsvBatches, type CsvRecord } from "../../src/io/csv.js";
import { tmp, rng } from "../esci/helpers.js";

async function readAll(path: string): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const b of readCsvBatches(path)) out.push(...b);
  return out;
}

function file(content: string | Buffer): string {
  const p = join(tmp(), "t.csv");
  writeFileSync(p, content);
  return p;
}

describe("CSV reader (RFC 4180)", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF", async () => {
    const recs = await readAll(file('query,product\r\n"a, b","say ""hi"""\r\n"multi\nline",x\nplain,""\n'));
    assert.deepEqual(
      recs.map((r) => r.fields),
      [
        ["query", "product"],
        ["a, b", 'say "hi"'],
        ["multi\nline", "x"],
        ["plain", ""],
      ],
    );
    assert.deepEqual(
      recs.map((r) => [r.index, r.line]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 5],
      ],
    );
  });

  it("accepts a BOM, a missing final newline and skips blank lines", async () => {
    const recs = await readAll(file("\ufeffa,b\n\n1,2"));
    assert.deepEqual(
      recs.map((r) => r.fields),
      [
        ["a", "b"],
        ["1", "2"],
      ],
    );
  });

  it("round-trips random fields across 1 MiB chunk boundaries", async () => {
    const alphabet = ['"', ",", "\n", "\r\n", "a", "é", " ", "ü", "漢", "x"];
    const rnd = rng(7);
    const rows: string[][] = [["query", "product"]];
    for (let i = 0; i < 30000; i++) {
      const f = () => Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
      rows.push([f(), f()]);
    }
    const text = rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
    assert.ok(Buffer.byteLength(text) > 2 << 20);
    const recs = await readAll(file(text));
    assert.equal(recs.length, rows.length);
    for (let i = 0; i < rows.length; i++) assert.deepEqual(recs[i].fields, rows[i], `record ${i}`);
  });

  it('handles a doubled quote split exactly at a chunk boundary', async () => {
    const head = "q,p\n";
    // The first quote of the "" pair is the last byte of the first 1 MiB read.
    const pad = "x".repeat((1 << 20) - head.length - 2);
    const text = `${head}"${pad}""y",z\n`;
    assert.equal(text.indexOf('""'), (1 << 20) - 1);
    const recs = await readAll(file(text));
    assert.deepEqual(recs[1].fields, [`${pad}"y`, "z"]);
  });

  it("names the line of malformed quoting", async () => {
    await assert.rejects(readAll(file('a,b\n1,"x"y\n')), /line 2: unexpected character "y" after a closing quote/);
    await assert.rejects(readAll(file('a,b\n1,x"y\n')), /line 2: a double quote inside an unquoted field/);
    await assert.rejects(readAll(file('a,b\n1,"open\n')), /unterminated quoted field/);
  });

  it("csvField quotes only when needed", () => {
    assert.equal(csvField("plain"), "plain");
    assert.equal(csvField('a"b'), '"a""b"');
    assert.equal(csvField("a,b"), '"a,b"');
    assert.equal(csvField("a\nb"), '"a\nb"');
  });
});
