/**
 * Finite-difference gradient checking for the autodiff rules.
 *
 * A case builds a small graph y = f(inputs). The scalar checked is L = Σ y·r for a fixed random r,
 * so dL/dy = r is fed as the backward seed. Analytic gradients come from ONNX Runtime running the
 * graph plus appendBackward's nodes; numeric ones from central differences of L, each evaluated by
 * ONNX Runtime on the forward graph and summed in float64 here. Float64 graphs make both sides
 * accurate to ~1e-9, so a wrong rule cannot hide behind rounding; ops ONNX Runtime has no double
 * kernel for (Erf) run in float32 with a looser tolerance.
 */
import { appendBackward } from "../../src/autodiff/backward.js";
import { GraphSession, type Feed } from "../../src/onnx/graph-session.js";
import { mulberry32 } from "../../src/models/random-checkpoint.js";
import { GraphBuilder } from "../../src/onnx/graph.js";
import { DataType } from "../../src/onnx/proto.js";

export interface InputSpec {
  /** Actual dims fed. */
  dims: number[];
  /** Declared dims (symbolic names allowed); defaults to `dims`. */
  shape?: Array<number | string>;
  kind?: "float" | "int64" | "bool";
  /** Fixed values (default: random in [lo, hi]). */
  values?: number[];
  range?: [number, number];
  /** Whether to check its gradient (default: float inputs yes). */
  param?: boolean;
}

export interface GradCase {
  /** The rule under test. */
  op: string;
  name: string;
  dtype?: "float64" | "float32";
  inputs: Record<string, InputSpec>;
  /** Emit the op(s); returns the output whose gradient seeds the check. */
  build(g: GraphBuilder, x: Record<string, string>, c: Consts): string;
  /** Ops drawing random numbers (Dropout) need a fresh session per evaluation. */
  freshSessions?: boolean;
}

export interface Consts {
  dtype: DataType;
  f(values: number[], dims?: number[]): string;
  i(values: number[], dims?: number[]): string;
}

export interface GradCheckResult {
  maxAbsError: number;
  /** max |analytic − numeric| / (1 + |numeric|) */
  maxError: number;
  checked: number;
}

function floatConst(g: GraphBuilder, dtype: DataType, values: number[], dims: number[]): string {
  if (dtype === DataType.FLOAT) return g.constF32(values, dims);
  const name = g.fresh("c");
  g.inline.push({ name, dataType: DataType.DOUBLE, dims, rawData: new Uint8Array(Float64Array.from(values).buffer) });
  return name;
}

function graphFor(c: GradCase, dtype: DataType): { g: GraphBuilder; y: string; params: string[] } {
  const g = new GraphBuilder(c.name);
  const x: Record<string, string> = {};
  const params: string[] = [];
  for (const [name, s] of Object.entries(c.inputs)) {
    const kind = s.kind ?? "float";
    const elem = kind === "float" ? dtype : kind === "int64" ? DataType.INT64 : DataType.BOOL;
    x[name] = g.input(name, elem, s.shape ?? s.dims);
    if (kind === "float" && s.param !== false) params.push(name);
  }
  const consts: Consts = { dtype, f: (v, d = [v.length]) => floatConst(g, dtype, v, d), i: (v, d = [v.length]) => g.constI64(v, d) };
  const y = c.build(g, x, consts);
  return { g, y, params };
}

export async function gradCheck(c: GradCase, seed = 1): Promise<GradCheckResult> {
  const f64 = (c.dtype ?? "float64") === "float64";
  const dtype = f64 ? DataType.DOUBLE : DataType.FLOAT;
  const rand = mulberry32(seed);
  const values: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(c.inputs)) {
    const n = s.dims.reduce((a, b) => a * b, 1);
    const [lo, hi] = s.range ?? [-1, 1];
    values[name] = s.values ?? Array.from({ length: n }, () => lo + (hi - lo) * rand());
  }
  const feedsOf = (vals: Record<string, number[]>): Record<string, Feed> => {
    const feeds: Record<string, Feed> = {};
    for (const [name, s] of Object.entries(c.inputs)) {
      const kind = s.kind ?? "float";
      const v = vals[name];
      const data =
        kind === "int64" ? BigInt64Array.from(v.map((t) => BigInt(t))) : kind === "bool" ? Uint8Array.from(v) : f64 ? Float64Array.from(v) : Float32Array.from(v);
      feeds[name] = { data, dims: s.dims };
    }
    return feeds;
  };

  // forward graph: y
  const fwd = graphFor(c, dtype);
  fwd.g.output(fwd.y, "y", dtype, []);
  const fwdBytes = fwd.g;
  let shared: GraphSession | undefined;
  const forward = async (vals: Record<string, number[]>) => {
    const s = c.freshSessions || !shared ? await GraphSession.create(fwdBytes, { threads: 1, optimization: "disabled" }) : shared;
    if (!c.freshSessions) shared = s;
    const out = (await s.run(feedsOf(vals), ["y"])).y;
    if (c.freshSessions) await s.release();
    return out;
  };
  const y0 = await forward(values);
  const r = Array.from({ length: y0.data.length }, () => 2 * rand() - 1);
  const loss = (y: ArrayLike<number | bigint>) => {
    let s = 0;
    for (let k = 0; k < r.length; k++) s += Number(y[k]) * r[k];
    return s;
  };

  // forward + backward graph, seeded with dL/dy = r
  const bwd = graphFor(c, dtype);
  const seedName = bwd.g.input("dL_dy", dtype, y0.dims);
  const grads = appendBackward(bwd.g, bwd.y, bwd.params, { dtype, seed: seedName });
  for (const p of bwd.params) bwd.g.output(grads.get(p)!, `grad_${p}`, dtype, []);
  const bs = await GraphSession.create(bwd.g, { threads: 1, optimization: "disabled" });
  const feeds = feedsOf(values);
  feeds.dL_dy = { data: f64 ? Float64Array.from(r) : Float32Array.from(r), dims: y0.dims };
  const analytic = await bs.run(feeds);
  await bs.release();

  const h = f64 ? 1e-6 : 2e-3;
  let maxAbsError = 0;
  let maxError = 0;
  let checked = 0;
  for (const p of bwd.params) {
    const a = analytic[`grad_${p}`].data;
    if (a.length !== values[p].length) throw new Error(`${c.name}: gradient of ${p} has ${a.length} elements, input has ${values[p].length}`);
    for (let j = 0; j < values[p].length; j++) {
      const plus = { ...values, [p]: values[p].map((v, k) => (k === j ? v + h : v)) };
      const minus = { ...values, [p]: values[p].map((v, k) => (k === j ? v - h : v)) };
      const numeric = (loss((await forward(plus)).data as Float64Array) - loss((await forward(minus)).data as Float64Array)) / (2 * h);
      const err = Math.abs(Number(a[j]) - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      maxError = Math.max(maxError, err / (1 + Math.abs(numeric)));
      checked++;
    }
  }
  await shared?.release();
  return { maxAbsError, maxError, checked };
}
