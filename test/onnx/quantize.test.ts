/**
 * quantizeMatMulWeights' graph rewrite (src/onnx/quantize.ts): which MatMuls become
 * DynamicQuantizeMatMul, and when the bias their only consumer adds moves into it. The numbers
 * of the rewritten graph are checked by running it: the int8 result is the float one within the
 * rounding of int8, and folding the bias changes nothing — with this CPU's default weight scheme
 * and with every scheme the CPU runs without int16 saturation ("s8" needs a VNNI dot product).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MS_DOMAIN, GraphBuilder } from "../../src/onnx/graph.js";
import { GraphSession } from "../../src/onnx/graph-session.js";
import { DataType } from "../../src/onnx/proto.js";
import { hasVnni, int8WeightScheme, quantizeMatMulWeights, type Int8WeightScheme } from "../../src/onnx/quantize.js";
import { mulberry32 } from "../../src/models/random-checkpoint.js";

const K = 16;
const N = 8;
/** `n` values in [-0.5, 0.5), the same for the same seed. */
function values(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => random() - 0.5);
}
let seed = 0;

/** x [2, K] → MatMul with weight `${name}.w` [K, N]; the caller adds what consumes it. */
function matmul(g: GraphBuilder, x: string, name: string): string {
  const w = values(K * N, seed++);
  g.weight({ name: `${name}.w`, dataType: DataType.FLOAT, dims: [K, N], produce: () => w });
  return g.matmul(x, `${name}.w`);
}

function bias(g: GraphBuilder, name: string): string {
  const b = values(N, seed++);
  return g.weight({ name, dataType: DataType.FLOAT, dims: [N], produce: () => b });
}

/**
 * Four MatMuls: + bias (folded), → BiasGelu with a bias (folded, becomes Gelu), + a bias another
 * node also reads (kept), and a MatMul read twice (kept).
 */
function build(): GraphBuilder {
  seed = 1;
  const g = new GraphBuilder("quantize-test");
  const x = g.input("x", DataType.FLOAT, [2, K]);
  g.output(g.add(matmul(g, x, "plain"), bias(g, "plain.b")), "added", DataType.FLOAT, [2, N]);
  g.output(g.op("BiasGelu", [matmul(g, x, "gelu"), bias(g, "gelu.b")], undefined, MS_DOMAIN), "gelu", DataType.FLOAT, [2, N]);
  const shared = bias(g, "shared.b");
  g.output(g.add(matmul(g, x, "shared"), shared), "shared", DataType.FLOAT, [2, N]);
  g.output(shared, "shared_bias", DataType.FLOAT, [N]);
  const twice = matmul(g, x, "twice");
  g.output(g.add(twice, bias(g, "twice.b")), "twice_added", DataType.FLOAT, [2, N]);
  g.output(twice, "twice_raw", DataType.FLOAT, [2, N]);
  return g;
}

/** Runs `g` in memory: its lazy weights become inline initializers first. */
async function run(g: GraphBuilder, x: Float32Array): Promise<Record<string, ArrayLike<number>>> {
  for (const t of g.lazy.splice(0)) {
    const data = t.produce();
    g.inline.push({ name: t.name, dataType: t.dataType, dims: t.dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  const session = await GraphSession.create(g, { threads: 1 });
  try {
    const out = await session.run({ x: { data: x, dims: [2, K] } });
    return Object.fromEntries(Object.entries(out).map(([name, o]) => [name, o.data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe("quantizeMatMulWeights", () => {
  it("turns each selected MatMul into DynamicQuantizeMatMul and moves a bias only it adds into it", () => {
    const g = build();
    assert.equal(quantizeMatMulWeights(g, () => true), 4);
    const byOp = (op: string) => g.nodes.filter((n) => n.opType === op);
    assert.equal(byOp("MatMul").length, 0);
    const dqmm = new Map(byOp("DynamicQuantizeMatMul").map((n) => [n.inputs[1].split(".")[0], n]));
    assert.equal(dqmm.get("plain")!.inputs[4], "plain.b", "the Add's bias moves in");
    assert.equal(dqmm.get("gelu")!.inputs[4], "gelu.b", "BiasGelu's bias moves in");
    assert.equal(dqmm.get("shared")!.inputs.length, 4, "a bias another node reads stays in its Add");
    assert.equal(dqmm.get("twice")!.inputs.length, 4, "a MatMul read twice keeps its Add");
    assert.deepEqual(byOp("BiasGelu"), []);
    assert.equal(byOp("Gelu")[0].inputs.length, 1);
    assert.equal(byOp("Add").length, 2, "only the shared-bias and read-twice Adds are left");
    assert.ok(!g.lazy.some((t) => t.name.endsWith(".w")), "the float weights are gone");
  });

  /** The largest |int8 − float| per output of the graph quantized with `scheme` (undefined: the default). */
  async function deviation(scheme?: Int8WeightScheme): Promise<Record<string, number>> {
    const x = values(2 * K, 100);
    const float = await run(build(), x);
    const g = build();
    quantizeMatMulWeights(g, () => true, scheme);
    const int8 = await run(g, x);
    return Object.fromEntries(Object.keys(float).map((name) => [name, Math.max(...Array.from(float[name], (v, i) => Math.abs(v - int8[name][i])))]));
  }

  function assertNear(d: Record<string, number>, bound: number, what: string): void {
    for (const [name, v] of Object.entries(d)) {
      if (name !== "shared_bias") assert.ok(v > 0, `${what} ${name}: the int8 graph equals float: was it quantized?`);
      assert.ok(v < bound, `${what} ${name}: int8 differs from float by ${v}`);
    }
  }

  it("computes what the float graph does, within int8 rounding (this CPU's default scheme)", async () => {
    assertNear(await deviation(), 0.02, `default (${int8WeightScheme()})`);
  });

  const schemes: [Int8WeightScheme, number][] = [["u8", 0.02], ["s7", 0.04], ...(hasVnni() ? [["s8", 0.02] as [Int8WeightScheme, number]] : [])];
  for (const [scheme, bound] of schemes) {
    it(`computes what the float graph does with "${scheme}" weights`, async () => {
      assertNear(await deviation(scheme), bound, scheme);
    });
  }

  it("stores \"u8\" weights as uint8 with zero point 128, the others as int8 with zero point 0", () => {
    for (const scheme of ["u8", "s7", "s8"] as const) {
      const g = build();
      quantizeMatMulWeights(g, () => true, scheme);
      const q = g.lazy.find((t) => t.name === "plain.w:int8")!;
      assert.equal(q.dataType, scheme === "u8" ? DataType.UINT8 : DataType.INT8, scheme);
      const zp = g.inline.find((t) => t.name === g.nodes.find((n) => n.opType === "DynamicQuantizeMatMul")!.inputs[3])!;
      assert.deepEqual([...zp.rawData!], Array(N).fill(scheme === "u8" ? 128 : 0), scheme);
      const limit = scheme === "s7" ? 63 : 127;
      const data = Array.from(q.produce() as Int8Array | Uint8Array, (v) => (scheme === "u8" ? v - 128 : v));
      assert.equal(Math.max(...data.map(Math.abs)), limit, `${scheme}: each column's largest weight maps to ±${limit}`);
    }
  });

  it("takes ESCI_INT8_WEIGHTS over the CPU's default and refuses an unknown scheme", () => {
    const before = process.env.ESCI_INT8_WEIGHTS;
    try {
      process.env.ESCI_INT8_WEIGHTS = "s7";
      assert.equal(int8WeightScheme(), "s7");
      process.env.ESCI_INT8_WEIGHTS = "int4";
      assert.throws(() => int8WeightScheme(), /ESCI_INT8_WEIGHTS must be one of s8, s7, u8, got "int4"/);
      delete process.env.ESCI_INT8_WEIGHTS;
      assert.equal(int8WeightScheme(), hasVnni() ? "s8" : "u8");
    } finally {
      if (before === undefined) delete process.env.ESCI_INT8_WEIGHTS;
      else process.env.ESCI_INT8_WEIGHTS = before;
    }
  });
});
