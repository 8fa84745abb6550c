/**
 * Fuzzes the CSV reader (esci.readTableBatches on .csv): 10,000 byte-level mutants of valid CSV
 * files with quoted fields, embedded commas, quotes and line breaks, CRLF and a BOM, plus
 * structural edits (a header or field replaced, columns added or dropped). Only EsciErrors or
 * rows may come out.
 *
 *   node scripts/fuzz/csv.mjs [--n 10000] [--seed 1]
 */
import { fuzz, int, isMain, mutateMany, pick, WEIRD_VALUES } from "./lib.mjs";
import { readTable } from "./table.mjs";

export const name = "csv";

export function setup() {
  return [
    Buffer.from('query,product,label\nwireless mouse,Logitech M185 Wireless Mouse,E\n"usb, c cable","Anker ""USB-C"" cable\nsecond line",S\n'),
    Buffer.from("\ufeffquery_id,query,product_id,product_title,esci_label\r\n1,car stereo,B01,Pioneer stereo,E\r\n2,dash cam,B02,,I\r\n"),
    Buffer.from("id,title,brand,bullet_points\nB1,Shoe,Acme,\"a\nb\"\nB2,\"Hat, red\",,\n"),
  ];
}

export function mutate(rng, seeds) {
  const seed = pick(rng, seeds);
  if (rng() < 0.6) return mutateMany(rng, seed, seeds);
  // Structural: one field (naively split on commas, which itself makes odd quoting) replaced.
  const lines = seed.toString("utf8").split("\n");
  const i = int(rng, lines.length);
  const fields = lines[i].split(",");
  const r = int(rng, 3);
  if (r === 0) fields[int(rng, fields.length)] = String(pick(rng, WEIRD_VALUES));
  else if (r === 1) fields.push(`"${String(pick(rng, WEIRD_VALUES))}`);
  else fields.splice(int(rng, fields.length), 1);
  lines[i] = fields.join(",");
  return Buffer.from(lines.join(rng() < 0.5 ? "\n" : "\r\n"));
}

export const check = (input, dir, esci) => readTable(input, dir, esci, "csv");

if (isMain(import.meta.url)) await fuzz(import.meta.url, name);
