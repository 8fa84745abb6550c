/**
 * Fuzzes the safetensors reader (SafetensorsFile): 10,000 mutants of small valid checkpoints
 * (several dtypes, metadata, an empty tensor) — byte-level edits anywhere, header-length edits, and
 * structural edits of the JSON header (dtypes, shapes, data_offsets, metadata replaced by odd
 * values). Each mutant that opens has every tensor read (raw, typed and as float32 where the
 * dtype converts). Only EsciErrors or tensors may come out. (test/safetensors/fuzz.test.ts checks
 * 3,000 cases of its own mutations in npm test.)
 *
 *   node scripts/fuzz/safetensors.mjs [--n 10000] [--seed 1]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fuzz, int, isMain, mutateJson, mutateMany, pick, ROOT } from "./lib.mjs";

export const name = "safetensors";

const st = await import(pathToFileURL(join(ROOT, "dist", "src", "safetensors", "index.js")).href);

export function setup(dir) {
  const t = (name, dtype, shape, data) => ({ name, dtype, shape, data });
  const write = (file, tensors, metadata) => {
    const path = join(dir, file);
    st.writeSafetensors(path, tensors, metadata);
    return readFileSync(path);
  };
  return [
    write("a.safetensors", [
      t("embeddings.weight", "F32", [3, 4], new Float32Array(12).map((_, i) => i / 3)),
      t("position_ids", "I64", [1, 4], new BigInt64Array([0n, 1n, 2n, 3n])),
      t("half", "F16", [4], new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400])),
      t("bf", "BF16", [2], new Uint16Array([0x3f80, 0x4000])),
      t("mask", "BOOL", [3], new Uint8Array([1, 0, 1])),
      t("empty", "F32", [0, 4], new Float32Array(0)),
    ], { format: "pt" }),
    write("b.safetensors", [t("classifier.weight", "F64", [2, 2], new Float64Array([1, 2, 3, 4])), t("u8", "U8", [5], new Uint8Array([1, 2, 3, 4, 5]))]),
  ];
}

function withHeader(json, data, length = BigInt(json.length)) {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length);
  return Buffer.concat([prefix, json, data]);
}

export function mutate(rng, seeds) {
  const seed = pick(rng, seeds);
  const headerLength = Number(seed.readBigUInt64LE(0));
  const header = seed.subarray(8, 8 + headerLength);
  const data = seed.subarray(8 + headerLength);
  const r = rng();
  if (r < 0.1 && data.length) {
    // Tensor bytes only: the file stays valid and must read back.
    const out = Buffer.from(seed);
    out[8 + headerLength + int(rng, data.length)] ^= 1 << int(rng, 8);
    return out;
  }
  if (r < 0.45) return mutateMany(rng, seed, seeds);
  if (r < 0.5) {
    const out = Buffer.from(seed);
    out.writeBigUInt64LE(BigInt(pick(rng, [0, 1, 7, headerLength - 1, headerLength + 1, seed.length, 2 ** 31, 2 ** 53, int(rng, 2 ** 32)])));
    return out;
  }
  let json = JSON.parse(header.toString("utf8"));
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  if (rng() < 0.5 && names.length) {
    // Near-valid edits: one offset or dimension nudged, tensors swapped, a dtype of another size.
    const e = json[pick(rng, names)];
    const r2 = int(rng, 4);
    if (r2 === 0) e.data_offsets[int(rng, 2)] += pick(rng, [-8, -2, -1, 1, 2, 8]);
    else if (r2 === 1 && e.shape.length) e.shape[int(rng, e.shape.length)] += pick(rng, [-1, 1, 2]);
    else if (r2 === 2) e.dtype = pick(rng, ["F32", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F64", "I8", "F8_E4M3"]);
    else [e.data_offsets[0], e.data_offsets[1]] = [e.data_offsets[1], e.data_offsets[0]];
  } else json = mutateJson(rng, json);
  const text = JSON.stringify(json) ?? "";
  return withHeader(Buffer.from(text, "utf8"), rng() < 0.8 ? data : data.subarray(0, int(rng, data.length + 1)));
}

let k = 0;

export function check(input, dir) {
  const path = join(dir, `case-${k++ % 4}.safetensors`);
  writeFileSync(path, input);
  const f = st.SafetensorsFile.open(path);
  try {
    for (const name of f.tensorNames()) {
      const info = f.info(name);
      f.readRaw(name);
      f.readTyped(name);
      if (st.DTYPES.get(info.dtype).float32 !== "none") f.readFloat32(name, { integers: true });
    }
    return "ok";
  } finally {
    f.close();
  }
}

if (isMain(import.meta.url)) await fuzz(import.meta.url, name);
