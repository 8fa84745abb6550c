/**
 * Dynamic int8 quantization of MatMul weights, done by esci on the graph before it is written
 * (no Python tools): each selected `MatMul(A, W)` with a [K, N] float weight becomes
 * com.microsoft `DynamicQuantizeMatMul(A, Wq, scale, zero_point)`, where Wq is int8 with one
 * symmetric scale per output column (max|W[:, n]| / 127, zero point 0) and A is quantized to
 * uint8 per call by ONNX Runtime. On CPUs with AVX-512 VNNI this runs the GEMMs as int8 dot
 * products. The quantized bytes are produced lazily at export time, like every weight.
 *
 * A bias the MatMul's only consumer adds (Add, or com.microsoft BiasGelu / FastGelu) moves into
 * DynamicQuantizeMatMul's own bias input, which it adds while writing its output: the Add goes
 * away, and BiasGelu becomes the plain com.microsoft Gelu, which ran about 1.5× faster here.
 */
import { MS_DOMAIN, type GraphBuilder, type LazyTensor } from "./graph.js";
import { DataType, type NodeProto } from "./proto.js";

/** Per-column symmetric int8 quantization of a row-major [K, N] matrix. */
export function quantizeColumns(w: Float32Array, K: number, N: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) {
      const a = Math.abs(w[row + n]);
      if (a > scale[n]) scale[n] = a;
    }
  }
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / 127 : 1;
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (let n = 0; n < N; n++) q[row + n] = Math.max(-127, Math.min(127, Math.round(w[row + n] / scale[n])));
  }
  return { q, scale };
}

/**
 * Rewrites the graph in place. `select(weightName)` chooses which weights to quantize (esci keeps
 * embeddings and the small classification head in float32).
 */
export function quantizeMatMulWeights(g: GraphBuilder, select: (weightName: string) => boolean): number {
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
    let memo: { q: Int8Array; scale: Float32Array } | undefined;
    const get = () => (memo ??= quantizeColumns(weight.produce() as Float32Array, K, N));
    const q: LazyTensor = { name: `${weight.name}:int8`, dataType: DataType.INT8, dims: [K, N], produce: () => get().q };
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
    const zp = g.constRawInt8(new Int8Array(N), [N]);
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
