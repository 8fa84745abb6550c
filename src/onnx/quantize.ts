/**
 * Dynamic int8 quantization of MatMul weights, done by esci on the graph before it is written
 * (no Python tools): each selected `MatMul(A, W)` with a [K, N] float weight becomes
 * com.microsoft `DynamicQuantizeMatMul(A, Wq, scale, zero_point)`, where Wq is int8 with one
 * symmetric scale per output column (max|W[:, n]| / 127, zero point 0) and A is quantized to
 * uint8 per call by ONNX Runtime. On CPUs with AVX-512 VNNI this runs the GEMMs as int8 dot
 * products. The quantized bytes are produced lazily at export time, like every weight.
 *
 * Weight range. ONNX Runtime's x86 kernel for uint8 × int8 on CPUs without a VNNI dot product
 * (AVX2, AVX-512 without VNNI) multiplies with `vpmaddubsw`, which adds two u8·s8 products into a
 * saturating int16: 255·127·2 = 64,770 overflows it and the result is silently clipped — on such a
 * CPU the fixture models' probabilities moved by up to 0.19 and a block's output by 0.27. There the
 * weights use 7 bits (|q| ≤ 63, 255·63·2 = 32,130 fits), as ONNX Runtime's own quantizer does with
 * `reduce_range`; with VNNI (avx512_vnni, avx_vnni, amx_int8) or off x86, all 8. The range is part
 * of the built graph's cache key. `ESCI_INT8_WEIGHT_BITS=7|8` overrides the detection (e.g. to
 * build on one machine for another).
 *
 * A bias the MatMul's only consumer adds (Add, or com.microsoft BiasGelu / FastGelu) moves into
 * DynamicQuantizeMatMul's own bias input, which it adds while writing its output: the Add goes
 * away, and BiasGelu becomes the plain com.microsoft Gelu, which ran about 1.5× faster here.
 */
import { readFileSync } from "node:fs";
import { arch } from "node:os";
import { EsciError } from "../errors/index.js";
import { MS_DOMAIN, type GraphBuilder, type LazyTensor } from "./graph.js";
import { DataType, type NodeProto } from "./proto.js";

/**
 * How the weights are stored: "s8" int8 |q| ≤ 127 (zero point 0); "s7" int8 |q| ≤ 63; "u8" uint8
 * q + 128 with zero point 128 (the same 255 levels as "s8", run by ONNX Runtime's uint8 × uint8
 * kernel). See the module comment for which one a CPU gets.
 */
export type Int8WeightScheme = "s8" | "s7" | "u8";
const SCHEMES: readonly Int8WeightScheme[] = ["s8", "s7", "u8"];

let detected: Int8WeightScheme | undefined;

/** The weight scheme for this machine's CPU (or ESCI_INT8_WEIGHTS). */
export function int8WeightScheme(): Int8WeightScheme {
  const v = process.env.ESCI_INT8_WEIGHTS;
  if (v !== undefined && v !== "") {
    if ((SCHEMES as readonly string[]).includes(v)) return v as Int8WeightScheme;
    throw new EsciError("INVALID_ARGUMENT", `ESCI_INT8_WEIGHTS must be one of ${SCHEMES.join(", ")}, got "${v}"`, { variable: "ESCI_INT8_WEIGHTS", value: v });
  }
  return (detected ??= detectScheme());
}

/** Whether this CPU has an int8 dot product that accumulates in 32 bits (no int16 saturation). */
export function hasVnni(): boolean {
  if (arch() !== "x64") return true;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].trim().split(/\s+/) ?? [];
    return flags.some((f) => f === "avx512_vnni" || f === "avx_vnni" || f === "amx_int8");
  } catch {
    return false; // not Linux: assume none, the safe choice
  }
}

function detectScheme(): Int8WeightScheme {
  return hasVnni() ? "s8" : "u8";
}

/** Per-column symmetric quantization of a row-major [K, N] matrix to |q| ≤ limit. */
export function quantizeColumns(w: Float32Array, K: number, N: number, limit = 127): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) {
      const a = Math.abs(w[row + n]);
      if (a > scale[n]) scale[n] = a;
    }
  }
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / limit : 1;
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) q[row + n] = Math.max(-limit, Math.min(limit, Math.round(w[row + n] / scale[n])));
  }
  return { q, scale };
}

/** `quantizeColumns` stored as `scheme` says: the weight's bytes, their type, the zero point's bytes. */
function quantizeFor(scheme: Int8WeightScheme, w: Float32Array, K: number, N: number): { q: Int8Array | Uint8Array; scale: Float32Array } {
  const r = quantizeColumns(w, K, N, scheme === "s7" ? 63 : 127);
  if (scheme !== "u8") return r;
  const u = new Uint8Array(r.q.length);
  for (let i = 0; i < u.length; i++) u[i] = r.q[i] + 128;
  return { q: u, scale: r.scale };
}

/**
 * Rewrites the graph in place. `select(weightName)` chooses which weights to quantize (esci keeps
 * embeddings and the small classification head in float32). `scheme`: how the weights are stored
 * (default int8WeightScheme(), this CPU's).
 */
export function quantizeMatMulWeights(g: GraphBuilder, select: (weightName: string) => boolean, scheme: Int8WeightScheme = int8WeightScheme()): number {
  const lazyByName = new Map(g.lazy.map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  let count = 0;
  const replaced = new Set<string>();
  const dropped = new Set<NodeProto>();
  for (const node of g.nodes) {
    if (node.opType !== "MatMul" || node.domain) continue;
    const weight = lazyByName.get(node.inputs[1]);
    if (!weight || weight.dims.length !== 2 || weight.dataType !== DataType.FLOAT || !select(weight.name)) continue;
    if (uses.get(weight.name) !== 1) continue;
    const [K, N] = weight.dims;
    // Both new tensors come from one pass over the float weight; keep it until both are written.
    let memo: { q: Int8Array | Uint8Array; scale: Float32Array } | undefined;
    const get = () => (memo ??= quantizeFor(scheme, weight.produce() as Float32Array, K, N));
    const type = scheme === "u8" ? DataType.UINT8 : DataType.INT8;
    const q: LazyTensor = { name: `${weight.name}:int8`, dataType: type, dims: [K, N], produce: () => get().q };
    const s: LazyTensor = {
      name: `${weight.name}:scale`,
      dataType: DataType.FLOAT,
      dims: [N],
      produce: () => {
        const scale = get().scale;
        memo = undefined;
        return scale;
      },
    };
    g.weight(q);
    g.weight(s);
    const zp = scheme === "u8" ? g.constRawUint8(new Uint8Array(N).fill(128), [N]) : g.constRawInt8(new Int8Array(N), [N]);
    node.opType = "DynamicQuantizeMatMul";
    node.domain = MS_DOMAIN;
    node.inputs = [node.inputs[0], q.name, s.name, zp];
    replaced.add(weight.name);
    count++;
    foldBias(g, node, N, lazyByName, uses, dropped);
  }
  if (dropped.size) {
    const kept = g.nodes.filter((n) => !dropped.has(n));
    g.nodes.length = 0;
    g.nodes.push(...kept);
  }
  const kept = g.lazy.filter((t) => !replaced.has(t.name));
  g.lazy.length = 0;
  g.lazy.push(...kept);
  return count;
}

/** The activations that take their input's bias, and what each becomes without it. */
const BIASED_ACTIVATIONS: Record<string, string> = { BiasGelu: "Gelu", FastGelu: "FastGelu" };

/**
 * Moves the bias that `dqmm`'s only consumer adds into DynamicQuantizeMatMul's bias input (a float
 * [N] weight read nowhere else): an Add is dropped (its consumers read `dqmm`'s output instead),
 * a BiasGelu / FastGelu loses its bias input.
 */
function foldBias(g: GraphBuilder, dqmm: NodeProto, N: number, lazyByName: Map<string, LazyTensor>, uses: Map<string, number>, dropped: Set<NodeProto>): void {
  const y = dqmm.outputs[0];
  if (uses.get(y) !== 1) return;
  const consumer = g.nodes.find((n) => n.inputs.includes(y))!;
  const isBias = (name: string | undefined) => {
    const t = name === undefined ? undefined : lazyByName.get(name);
    return t !== undefined && t.dataType === DataType.FLOAT && t.dims.length === 1 && t.dims[0] === N && uses.get(name!) === 1;
  };
  if (consumer.opType === "Add" && !consumer.domain && consumer.inputs.length === 2) {
    const bias = consumer.inputs[0] === y ? consumer.inputs[1] : consumer.inputs[0];
    if (!isBias(bias)) return;
    dqmm.inputs.push(bias);
    dqmm.outputs[0] = consumer.outputs[0];
    dropped.add(consumer);
  } else if (consumer.domain === MS_DOMAIN && consumer.opType in BIASED_ACTIVATIONS && consumer.inputs[0] === y && isBias(consumer.inputs[1])) {
    dqmm.inputs.push(consumer.inputs[1]);
    consumer.opType = BIASED_ACTIVATIONS[consumer.opType];
    consumer.inputs = [y];
  }
}
