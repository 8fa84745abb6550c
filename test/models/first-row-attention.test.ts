/**
 * The last block of a classifier graph attends from the first row only, and with fused attention
 * (or feature-major) it projects no key or value (firstRowAttention in src/models/encoder.ts):
 * the block's key and value weights are only reshaped per head and multiplied with per-head
 * vectors, never with the token rows. Whether the result is right is graph-parity.test.ts's job
 * (PyTorch's logits, with and without this path); this file checks the structure that makes it
 * cheaper, in each graph that uses it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildModelGraph } from "../../src/models/build.js";
import { readConfig } from "../../src/models/config.js";
import { ALL_FUSIONS, INT8_FUSIONS, NO_FUSION, type FusionOptions } from "../../src/models/encoder.js";
import { checkpointSource } from "../../src/models/loader.js";
import { familyFor } from "../../src/models/registry.js";
import type { GraphBuilder } from "../../src/onnx/graph.js";
import type { GraphProto, NodeProto } from "../../src/onnx/proto.js";
import { quantizeMatMulWeights } from "../../src/onnx/quantize.js";
import { join } from "node:path";
import { fixtureModel } from "../helpers/paths.js";

const MODEL = "tiny-roberta-esci";

function build(fusion: FusionOptions): { g: GraphBuilder; layers: number } {
  const dir = fixtureModel(MODEL);
  const config = readConfig(dir);
  const source = checkpointSource(dir);
  try {
    const { graph } = buildModelGraph(config, familyFor(config.modelType, join(dir, "config.json")), source, "classify", fusion);
    return { g: graph, layers: config.numLayers };
  } finally {
    source.close();
  }
}

/** Every node of the graph, If branches included. */
function allNodes(nodes: readonly NodeProto[]): NodeProto[] {
  return nodes.flatMap((n) => [
    n,
    ...Object.values(n.attributes ?? {}).flatMap((a) => (typeof a === "object" && a !== null && "graph" in a ? allNodes((a.graph as GraphProto).nodes) : [])),
  ]);
}

/** The op types that read `value`, in every branch. */
function readers(g: GraphBuilder, value: string): string[] {
  return allNodes(g.nodes)
    .filter((n) => n.inputs.includes(value))
    .map((n) => n.opType);
}

const VARIANTS: Array<[string, FusionOptions]> = [
  ["default fusions (feature-major and row-major branches)", ALL_FUSIONS],
  ["int8's fusions", INT8_FUSIONS],
  ["feature-major at every size", { ...ALL_FUSIONS, featureMajorRows: 1 << 30 }],
];

describe("the last block projects no key or value", () => {
  for (const [name, fusion] of VARIANTS) {
    it(name, () => {
      const { g, layers } = build(fusion);
      const self = `roberta.encoder.layer.${layers - 1}.attention.self`;
      const weights = new Set(g.lazy.map((t) => t.name));
      for (const kind of ["key", "value"]) {
        const w = `${self}.${kind}.weight`;
        assert.ok(weights.has(w), `${w} is in the graph as stored`);
        const ops = readers(g, w);
        assert.ok(ops.length > 0 && ops.every((op) => op === "Reshape"), `${w} is only reshaped per head (read by ${ops.join(", ")})`);
      }
      // No stacked K/V (or QKV) weight of the last block, in any form.
      const stacked = [...weights].filter((n) => n.startsWith(self) && /\.(kv|qkv)\./.test(n));
      assert.deepEqual(stacked, []);
      // The blocks before it still project every row's keys and values.
      const earlier = [...weights].filter((n) => n.startsWith(`roberta.encoder.layer.${layers - 2}.attention.self.qkv.weight`));
      assert.ok(earlier.length > 0, "the block before the last has its stacked QKV weight");
    });
  }

  it("plain ops keep projecting the last block's keys and values (the reference path)", () => {
    const { g, layers } = build({ ...NO_FUSION, firstTokenLastLayer: true });
    const key = `roberta.encoder.layer.${layers - 1}.attention.self.key.weight:T`;
    assert.deepEqual(readers(g, key), ["MatMul"]);
  });

  it("int8 quantizes the last block's query, output and FFN, and nothing of its keys or values", () => {
    const { g, layers } = build(INT8_FUSIONS);
    const quantized: string[] = [];
    const count = quantizeMatMulWeights(g, (n) => {
      const yes = n.includes("encoder.layer.");
      if (yes) quantized.push(n);
      return yes;
    });
    assert.equal(count, 4 * layers);
    const last = quantized.filter((n) => n.includes(`layer.${layers - 1}.`)).map((n) => n.replace(/^.*layer\.\d+\./, ""));
    assert.deepEqual(last.sort(), ["attention.output.dense.weight:T", "attention.self.query.weight:T", "intermediate.dense.weight:T", "output.dense.weight:T"]);
  });
});
