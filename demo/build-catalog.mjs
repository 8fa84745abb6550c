// Rebuilds demo/catalog.jsonl: the 16 real products of the ESCI sample (shared/data/esci-sample,
// Apache-2.0, from amazon-science/esci-data) followed by demo/hand-written.jsonl.
//   npm run build && node demo/build-catalog.mjs [path/to/esci-sample]
// The result is committed, so the demo needs neither shared/ nor this script.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTableBatches } from "../dist/src/io/table.js";

const here = dirname(fileURLToPath(import.meta.url));
const sample = process.argv[2] ?? join(here, "..", "..", "shared", "data", "esci-sample");
const rows = [];
for await (const batch of readTableBatches(join(sample, "shopping_queries_dataset_products.parquet"))) {
  for (const { values: v } of batch) {
    const p = { id: v.product_id, title: v.product_title };
    if (v.product_brand) p.brand = v.product_brand;
    if (v.product_color) p.color = v.product_color;
    if (v.product_bullet_point) p.bullet_points = v.product_bullet_point;
    if (v.product_description) p.description = v.product_description;
    p.locale = v.product_locale;
    rows.push(JSON.stringify(p));
  }
}
const hand = readFileSync(join(here, "hand-written.jsonl"), "utf8").trim().split("\n");
writeFileSync(join(here, "catalog.jsonl"), [...rows, ...hand].join("\n") + "\n");
console.log(`demo/catalog.jsonl: ${rows.length} ESCI sample products + ${hand.length} hand-written`);
