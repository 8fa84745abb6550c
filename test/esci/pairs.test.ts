/** Plain pair files (JSONL, CSV, Parquet), label normalisation, and the shared prediction row format. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parquetWriteFile } from "hyparquet-writer";
import {
  ESCI_LABEL_NAMES,
  expectedGain,
  formatPredictionLine,
  IssueLog,
  openPairSource,
  parseEsciLabel,
  parsePredictionRow,
  rankingScore,
  requireEsciLabel,
  type PairRecord,
} from "../../src/esci/index.js";
import { tmp } from "./helpers.js";

async function read(path: string, onIssue?: IssueLog): Promise<{ total?: number; rows: PairRecord[] }> {
  const src = await openPairSource(path, { onIssue: onIssue?.add });
  const rows: PairRecord[] = [];
  for await (const b of src.batches()) rows.push(...b);
  return { total: src.total, rows };
}

function write(name: string, content: string): string {
  const p = join(tmp(), name);
  writeFileSync(p, content);
  return p;
}

describe("ESCI labels", () => {
  it("accepts E/S/C/I and full names in any case, one canonical letter", () => {
    for (const [raw, want] of [
      ["E", "E"],
      ["s", "S"],
      [" Complement ", "C"],
      ["IRRELEVANT", "I"],
      ["exact", "E"],
    ] as const) {
      assert.equal(parseEsciLabel(raw), want);
    }
    assert.equal(parseEsciLabel("x"), undefined);
    assert.equal(parseEsciLabel(1), undefined);
    assert.equal(ESCI_LABEL_NAMES.S, "substitute");
    assert.throws(() => requireEsciLabel("maybe", { file: "f.csv", row: 3, column: "label" }), /f\.csv, row 3, column "label": unknown label "maybe"/);
  });

  it("expected gain = Σ P·gain; ranking score prefers score, then expected gain, then label gain", () => {
    assert.equal(expectedGain({ exact: 0.5, substitute: 0.5 }), 0.55);
    assert.deepEqual(rankingScore({ score: 3, probs: { E: 1 }, label: "I" }), { score: 3, source: "score" });
    assert.deepEqual(rankingScore({ probs: { E: 0.5, C: 0.5 }, label: "E" }), { score: 0.505, source: "expected_gain" });
    assert.deepEqual(rankingScore({ label: "S" }), { score: 0.1, source: "label_gain" });
    assert.equal(rankingScore({}), undefined);
  });
});

describe("pair files", () => {
  it("JSONL: query/product plus optional label, ids; other fields kept", async () => {
    const p = write("p.jsonl", ['{"query":"q1","product":"a","label":"exact","query_id":7,"extra":[1]}', "", '{"query":"q1","product":"b","product_id":"B"}'].join("\n"));
    const { total, rows } = await read(p);
    assert.equal(total, 2);
    assert.deepEqual(
      rows.map((r) => [r.row, r.query, r.product, r.label, r.query_id, r.product_id]),
      [
        [1, "q1", "a", "E", "7", undefined],
        [3, "q1", "b", undefined, undefined, "B"],
      ],
    );
    assert.deepEqual(rows[0].fields.extra, [1]);
  });

  it("CSV with a header, quoted fields and esci_label", async () => {
    const p = write("p.csv", 'query,product,esci_label\n"red, shoe","Shoe ""X""",substitute\n');
    const { rows } = await read(p);
    assert.deepEqual(
      rows.map((r) => [r.query, r.product, r.label]),
      [["red, shoe", 'Shoe "X"', "S"]],
    );
  });

  it("Parquet pair files", async () => {
    const p = join(tmp(), "p.parquet");
    parquetWriteFile({
      filename: p,
      columnData: [
        { name: "query", data: ["q", "q"], type: "STRING" },
        { name: "product", data: ["a", "b"], type: "STRING" },
        { name: "label", data: ["I", "C"], type: "STRING" },
      ],
    });
    const { total, rows } = await read(p);
    assert.equal(total, 2);
    assert.deepEqual(
      rows.map((r) => r.label),
      ["I", "C"],
    );
  });

  it("an empty query or product is a pair member, as Hugging Face encodes (query, \"\")", async () => {
    const p = write("empty.jsonl", ['{"query":"","product":"a"}', '{"query":"q","product":""}'].join("\n"));
    const { rows } = await read(p);
    assert.deepEqual(
      rows.map((r) => [r.query, r.product]),
      [
        ["", "a"],
        ["q", ""],
      ],
    );
  });

  it("bad rows name file, row and column; with a log they are counted and listed", async () => {
    const p = write("bad.jsonl", ['{"query":"q","product":"a"}', '{"query":"q"}', '{"query":"q","product":5}', '{"query":"q","product":"c","label":"great"}'].join("\n"));
    await assert.rejects(read(p), /bad\.jsonl, row 2, column "product": missing value/);
    const log = new IssueLog();
    const { rows } = await read(p, log);
    assert.equal(rows.length, 1);
    assert.deepEqual(
      log.items.map((i) => [i.kind, i.row, i.column]),
      [
        ["missing_value", 2, "product"],
        ["wrong_type", 3, "product"],
        ["unknown_label", 4, "label"],
      ],
    );
    assert.match(log.items[1].reason, /expected a string, got number/);
  });

  it("a CSV without a product column is one error, not one skip per row", async () => {
    const p = write("p.csv", "query,title\nq,a\n");
    await assert.rejects(read(p, new IssueLog()), /p\.csv: missing column "product"/);
  });

  it("invalid JSON and unknown extensions are worded errors", async () => {
    await assert.rejects(read(write("x.jsonl", '{"query":"q","product":"a"}\n{oops\n')), /x\.jsonl, row 2: not valid JSON/);
    await assert.rejects(read(write("x.txt", "")), /unknown file type "\.txt"/);
    await assert.rejects(read(join(tmp(), "nope.jsonl")), /no such file/);
  });
});

describe("prediction rows", () => {
  const pred = { logits: [1, 0], probs: { exact: 0.7310585786300049, irrelevant: 0.2689414213699951 }, label: "exact" };

  it("= input fields (gold label kept as gold_label, bigint as number) + logits, probs, label, esci", () => {
    const line = formatPredictionLine({ query_id: 535n, query: "q", label: "I" }, pred);
    assert.equal(line.endsWith("\n"), true);
    assert.deepEqual(JSON.parse(line), { query_id: 535, query: "q", gold_label: "I", logits: [1, 0], probs: pred.probs, label: "exact", esci: "E" });
    // A label that is not an ESCI class gets no letter; an input "esci" field is kept as gold_esci.
    const other = formatPredictionLine({ esci: "S" }, { logits: [2], probs: { LABEL_0: 0.88 }, label: "LABEL_0" });
    assert.deepEqual(JSON.parse(other), { gold_esci: "S", logits: [2], probs: { LABEL_0: 0.88 }, label: "LABEL_0" });
  });

  it("parses back for evaluation; the label comes from probs unless given", () => {
    const r = parsePredictionRow("p.jsonl", 1, JSON.parse(formatPredictionLine({ query_id: 1, product_id: "A" }, pred)));
    assert.ok(r.ok);
    assert.deepEqual(r.value, { query_id: "1", product_id: "A", probs: { E: 0.7310585786300049, I: 0.2689414213699951 }, label: "E" });
    const bad = parsePredictionRow("p.jsonl", 4, { query_id: 1, product_id: "A", probs: { maybe: 1 } });
    assert.ok(!bad.ok && bad.issue.column === "probs" && bad.issue.kind === "unknown_label");
    const none = parsePredictionRow("p.jsonl", 5, { query_id: 1, product_id: "A" });
    assert.ok(!none.ok && /one of "probs", "label" or "score"/.test(none.issue.reason));
    const score = parsePredictionRow("p.csv", 2, { query_id: "1", product_id: "A", score: "0.25" });
    assert.ok(score.ok && score.value.score === 0.25);
    const nan = parsePredictionRow("p.csv", 2, { query_id: "1", product_id: "A", score: "abc" });
    assert.ok(!nan.ok && nan.issue.column === "score");
  });
});
