/**
 * A synthetic ESCI-like pair task whose labels need both texts.
 *
 * A query asks for a product type in a colour ("black headphones", "water bottle in blue"); a
 * product title names a brand, a type, a colour and distractors (sizes, pack counts). The label
 * is the relation between the two:
 *   E  same type, same colour          S  same type, another colour
 *   C  the query type's accessory      I  an unrelated type
 * Neither text alone predicts the label (every type and colour appears under every label), so a
 * model must compare the query's type and colour with the product's — cross-attention work.
 * Deterministic for a seed (mulberry32); balanced over the four labels.
 */
import { mulberry32 } from "../../src/models/random-checkpoint.js";

export interface SyntheticPair {
  query: string;
  product: string;
  label: "E" | "S" | "C" | "I";
}

const TYPES: Array<[string, string]> = [
  ["headphones", "headphone case"],
  ["water bottle", "bottle brush"],
  ["phone case", "screen protector"],
  ["running shoes", "shoe laces"],
  ["coffee maker", "coffee filters"],
  ["laptop", "laptop sleeve"],
  ["dog bed", "dog toy"],
  ["desk lamp", "light bulb"],
  ["yoga mat", "yoga strap"],
  ["backpack", "rain cover"],
];
const COLORS = ["black", "white", "blue", "red", "green", "gray", "pink"];
const BRANDS = ["Sony", "Apple", "Hydro", "Nike", "Adidas", "Spigen", "Keurig", "Anker", "Kong", "Osprey"];
const EXTRAS = ["16 oz", "2-Pack", "Large", "Pack of 3", "for Men", "for Women", "Waterproof", "Portable", "Premium", ""];

export function makeSyntheticPairs(n: number, seed: number): SyntheticPair[] {
  const rand = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const other = <T>(a: readonly T[], not: T): T => {
    for (;;) {
      const x = pick(a);
      if (x !== not) return x;
    }
  };
  const out: SyntheticPair[] = [];
  for (let i = 0; i < n; i++) {
    const label = (["E", "S", "C", "I"] as const)[i % 4];
    const [type, accessory] = pick(TYPES);
    const color = pick(COLORS);
    const query = pick([`${color} ${type}`, `${type} ${color}`, `${type} in ${color}`, `${color} ${type} ${pick(["cheap", "best", "new"])}`]);
    let pType: string;
    let pColor: string;
    if (label === "E") [pType, pColor] = [type, color];
    else if (label === "S") [pType, pColor] = [type, other(COLORS, color)];
    else if (label === "C") [pType, pColor] = [accessory, pick(COLORS)];
    else [pType, pColor] = [other(TYPES, TYPES.find((t) => t[0] === type)!)[0], pick(COLORS)];
    const brand = pick(BRANDS);
    const extra = pick(EXTRAS);
    const title = pick([
      `${brand} ${pType}, ${pColor}${extra ? `, ${extra}` : ""}`,
      `${brand} ${pColor} ${pType}${extra ? ` ${extra}` : ""}`,
      `${pType} by ${brand} (${pColor})`,
    ]);
    out.push({ query, product: title, label });
  }
  // shuffle so the label is not the row index modulo 4
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function toJsonl(rows: readonly SyntheticPair[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}
