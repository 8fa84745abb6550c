/**
 * openCheckpoint over the two layouts transformers' save_pretrained writes — one
 * model.safetensors, or shards named by model.safetensors.index.json — and over the ways a
 * download goes wrong: a missing shard, an index entry its shard does not hold, an index pointing
 * outside the checkpoint, a broken index or shard.
 */

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openCheckpoint, writeSafetensors, type TensorToWrite } from "../../src/safetensors/index.js";
import { assertEsciError, tempDir } from "./helpers.js";

const { dir: root, cleanup } = tempDir("st-ckpt");
after(cleanup);

const f32 = (name: string, values: number[]): TensorToWrite => ({ name, dtype: "F32", shape: [values.length], data: new Float32Array(values) });

let n = 0;
function freshDir(): string {
  const d = join(root, `c${n++}`);
  mkdirSync(d);
  return d;
}

/** Two shards as save_pretrained(max_shard_size=...) names them, plus the index. */
function sharded(weightMap?: Record<string, string>): string {
  const d = freshDir();
  writeSafetensors(join(d, "model-00001-of-00002.safetensors"), [f32("embeddings.weight", [1, 2]), f32("layer.0.weight", [3])], { format: "pt" });
  writeSafetensors(join(d, "model-00002-of-00002.safetensors"), [f32("layer.1.weight", [4, 5, 6]), f32("classifier.bias", [7])], { format: "pt" });
  const index = {
    metadata: { total_size: 28 },
    weight_map: weightMap ?? {
      "classifier.bias": "model-00002-of-00002.safetensors",
      "embeddings.weight": "model-00001-of-00002.safetensors",
      "layer.0.weight": "model-00001-of-00002.safetensors",
      "layer.1.weight": "model-00002-of-00002.safetensors",
    },
  };
  writeFileSync(join(d, "model.safetensors.index.json"), JSON.stringify(index, null, 2));
  return d;
}

test("a single model.safetensors", () => {
  const d = freshDir();
  writeSafetensors(join(d, "model.safetensors"), [f32("w", [1, 2]), f32("b", [3])], { format: "pt" });
  for (const path of [d, join(d, "model.safetensors")]) {
    const c = openCheckpoint(path);
    assert.equal(c.indexFile, undefined);
    assert.deepEqual(c.files, [join(d, "model.safetensors")]);
    assert.deepEqual(c.tensorNames().sort(), ["b", "w"]);
    assert.deepEqual([...c.readFloat32("w")], [1, 2]);
    assert.equal(c.info("b").file, join(d, "model.safetensors"));
    assert.deepEqual(c.metadata, { format: "pt" });
    c.close();
  }
});

test("a sharded checkpoint reads every tensor from its shard", () => {
  const d = sharded();
  for (const path of [d, join(d, "model.safetensors.index.json")]) {
    const c = openCheckpoint(path);
    try {
      assert.equal(c.indexFile, join(d, "model.safetensors.index.json"));
      assert.equal(c.files.length, 2);
      assert.deepEqual(c.tensorNames(), ["classifier.bias", "embeddings.weight", "layer.0.weight", "layer.1.weight"]);
      assert.ok(c.has("layer.1.weight") && !c.has("layer.2.weight"));
      assert.deepEqual([...c.readFloat32("embeddings.weight")], [1, 2]);
      assert.deepEqual([...c.readFloat32("layer.1.weight")], [4, 5, 6]);
      assert.deepEqual([...(c.readTyped("classifier.bias") as Float32Array)], [7]);
      assert.equal(c.readRaw("layer.0.weight").length, 4);
      assert.equal(c.info("layer.1.weight").file, join(d, "model-00002-of-00002.safetensors"));
      assert.deepEqual(c.info("layer.1.weight").shape, [3]);
      assert.deepEqual(c.metadata, { format: "pt" });
      assertEsciError(() => c.readRaw("layer.2.weight"), "NOT_FOUND", "model.safetensors.index.json", "layer.2.weight");
    } finally {
      c.close();
    }
  }
});

test("model.safetensors wins over an index, as in transformers", () => {
  const d = sharded();
  writeSafetensors(join(d, "model.safetensors"), [f32("only", [1])]);
  const c = openCheckpoint(d);
  assert.deepEqual(c.tensorNames(), ["only"]);
  c.close();
});

test("a shard named by the index but absent is NOT_FOUND naming the shard and a tensor", () => {
  const d = sharded({ "embeddings.weight": "model-00001-of-00002.safetensors", "layer.9.weight": "model-00003-of-00003.safetensors" });
  const err = assertEsciError(() => openCheckpoint(d), "NOT_FOUND", "model-00003-of-00003.safetensors", "layer.9.weight");
  assert.match(err.message, /model\.safetensors\.index\.json/);
});

test("a weight_map entry missing from its shard is CORRUPT_FILE naming tensor and shard", () => {
  const d = sharded({ "embeddings.weight": "model-00001-of-00002.safetensors", "layer.1.weight": "model-00001-of-00002.safetensors" });
  assertEsciError(() => openCheckpoint(d), "CORRUPT_FILE", "model-00001-of-00002.safetensors", "layer.1.weight");
});

test("shards outside the checkpoint directory are refused", () => {
  for (const shard of ["../c0/model.safetensors", "/etc/passwd", ".", "sub/../../x.safetensors"]) {
    const d = sharded({ "embeddings.weight": shard });
    assertEsciError(() => openCheckpoint(d), "CORRUPT_FILE", "model.safetensors.index.json", "embeddings.weight");
  }
  // A shard in a subfolder of the checkpoint is fine.
  const d = sharded({ "w": "weights/part.safetensors" });
  mkdirSync(join(d, "weights"));
  writeSafetensors(join(d, "weights", "part.safetensors"), [f32("w", [9])]);
  const c = openCheckpoint(d);
  assert.deepEqual([...c.readFloat32("w")], [9]);
  c.close();
});

test("a broken index or shard is CORRUPT_FILE naming it", () => {
  const bad = freshDir();
  const index = join(bad, "model.safetensors.index.json");
  for (const text of ["{not json", "[]", '{"metadata":{}}', '{"weight_map":[]}', '{"weight_map":{"w":5}}', "null"]) {
    writeFileSync(index, text);
    assertEsciError(() => openCheckpoint(bad), "CORRUPT_FILE", index);
  }
  const d = sharded();
  writeFileSync(join(d, "model-00002-of-00002.safetensors"), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
  assertEsciError(() => openCheckpoint(d), "CORRUPT_FILE", "model-00002-of-00002.safetensors");
});

test("a directory without weights, or no directory at all, is NOT_FOUND", () => {
  const d = freshDir();
  assertEsciError(() => openCheckpoint(d), "NOT_FOUND", d);
  assertEsciError(() => openCheckpoint(join(d, "missing")), "NOT_FOUND", join(d, "missing"));
});
