/**
 * Fuzzes the JSONL reader (esci.readTableBatches on .jsonl): 10,000 mutants of valid pair and
 * catalog files — byte-level edits (flips, nasty byte strings, cuts, splices) and structural edits
 * of one line's JSON value. Only EsciErrors or rows may come out.
 *
 *   node scripts/fuzz/jsonl.mjs [--n 10000] [--seed 1]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fuzz, int, isMain, mutateJson, mutateMany, pick, ROOT } from "./lib.mjs";
import { readTable } from "./table.mjs";

export const name = "jsonl";

export function setup() {
  const pairs = [
    { query: "wireless mouse", product: "Logitech M185 Wireless Mouse", label: "E" },
    { query: "usb c cable", product: "Anker USB-C to USB-C cable, 6 ft", label: "S", product_id: "B0001" },
    { query: "car stereo", product: "Pioneer \"double din\" stereo, 7\"", label: "exact", query_id: 7 },
  ];
  const catalog = readFileSync(join(ROOT, "demo", "catalog.jsonl"), "utf8").split("\n").slice(0, 6).join("\n") + "\n";
  return [Buffer.from(pairs.map((p) => JSON.stringify(p)).join("\n") + "\n"), Buffer.from(catalog), Buffer.from(pairs.map((p) => JSON.stringify(p)).join("\r\n"))];
}

export function mutate(rng, seeds) {
  const seed = pick(rng, seeds);
  if (rng() < 0.5) return mutateMany(rng, seed, seeds);
  const lines = seed.toString("utf8").split("\n");
  const i = int(rng, lines.length);
  try {
    lines[i] = JSON.stringify(mutateJson(rng, JSON.parse(lines[i])));
  } catch {
    lines[i] = JSON.stringify(mutateJson(rng, lines[i]));
  }
  return Buffer.from(lines.join("\n"));
}

export const check = (input, dir, esci) => readTable(input, dir, esci, "jsonl");

if (isMain(import.meta.url)) await fuzz(import.meta.url, name);
