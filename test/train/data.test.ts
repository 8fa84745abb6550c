/**
 * Training data readers: an ESCI dataset directory yields the US, large-version, train-split
 * judgements joined with product titles (grouped by query_id for the held-out split); pair files
 * need a label on every row.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readLabeledPairs } from "../../src/train/index.js";
import { tmp, writeDataset } from "../esci/helpers.js";

describe("training data", () => {
  it("an ESCI dataset directory: US, large version, train split", async () => {
    const dir = writeDataset(
      join(tmp(), "esci"),
      [
        { query: "usb cable", query_id: 1, product_id: "A", esci_label: "E", split: "train" },
        { query: "usb cable", query_id: 1, product_id: "B", esci_label: "I", split: "train" },
        { query: "usb cable", query_id: 1, product_id: "C", esci_label: "S", split: "test" },
        { query: "cable usb", query_id: 2, product_id: "A", esci_label: "C", split: "train", large_version: 0 },
        { query: "cable", query_id: 3, product_id: "A", esci_label: "E", split: "train", product_locale: "es" },
        { query: "charger", query_id: 4, product_id: "B", esci_label: "substitute", split: "train" },
      ],
      [
        { product_id: "A", product_title: "USB-C Cable, 6 ft" },
        { product_id: "B", product_title: "Wall Charger 20W" },
        { product_id: "C", product_title: "Lightning Cable" },
        { product_id: "A", product_title: "Cable USB-C", product_locale: "es" },
      ],
    );
    const pairs = await readLabeledPairs(dir);
    assert.deepEqual(pairs, [
      { query: "usb cable", product: "USB-C Cable, 6 ft", label: "E", group: "1" },
      { query: "usb cable", product: "Wall Charger 20W", label: "I", group: "1" },
      { query: "charger", product: "Wall Charger 20W", label: "S", group: "4" },
    ]);
  });

  it("a pair file: every row needs a label", async () => {
    const dir = tmp();
    const ok = join(dir, "ok.csv");
    writeFileSync(ok, "query,product,label\nusb cable,USB-C Cable,exact\nusb cable,Charger,I\n");
    assert.deepEqual(
      (await readLabeledPairs(ok)).map((p) => [p.label, p.group]),
      [
        ["E", "usb cable"],
        ["I", "usb cable"],
      ],
    );
    const missing = join(dir, "missing.jsonl");
    writeFileSync(missing, '{"query":"a","product":"b","label":"E"}\n{"query":"a","product":"c"}\n');
    await assert.rejects(readLabeledPairs(missing), /missing\.jsonl, row 2: no label/);
  });
});
