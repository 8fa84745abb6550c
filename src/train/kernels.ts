/**
 * The optimizer's two hot loops — AdamW's per-element update and the gradients' sum of squares —
 * as a WebAssembly SIMD module (4 floats per instruction), assembled here from its opcodes.
 *
 * Why: a DistilRoBERTa step updates 82M parameters. In scalar JS that took ~0.35 s of a ~2 s step
 * (bound by one sqrt and one divide per element); over f32x4 it is bound by memory bandwidth
 * instead. The parameters, gradients and moments live in the module's memory (see
 * param-memory.ts), where ONNX Runtime also reads and writes them, so nothing is copied.
 *
 * The arithmetic is float32, in torch.optim.AdamW's order (decay, moments, bias-corrected
 * denominator, step), as torch runs it on float32 parameters.
 */

// ---- a minimal encoder for the instructions used below ----------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, "utf8")];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f64Add: [0xa0],
  f64Mul: [0xa2],
  f64PromoteF32: [0xbb],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  v128Load: simd(0, 2, 0),
  v128Store: simd(11, 2, 0),
  f32x4Splat: simd(19),
  f32x4Sqrt: simd(227),
  f32x4Add: simd(228),
  f32x4Sub: simd(229),
  f32x4Mul: simd(230),
  f32x4Div: simd(231),
  f64x2PromoteLow: simd(95),
  f64x2Add: simd(240),
  f64x2Mul: simd(242),
  f64x2ExtractLane: (l: number) => simd(33, l),
  // lanes 2,3 → 0,1 (bytes 8…15 first)
  shuffleHigh: simd(13, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15),
};

/** `for (i = 0; i < end; i += step) body` over byte offsets in local `i`. */
function loop(i: number, end: number[], step: number, body: number[]): number[] {
  return [
    ...op.block, ...op.loop,
    ...op.get(i), ...end, ...op.i32GeU, ...op.brIf(1),
    ...body,
    ...op.get(i), ...op.i32(step), ...op.i32Add, ...op.set(i),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/**
 * adamw(p, g, m, v, n, gradScale, β₁, 1−β₁, β₂, 1−β₂, shrink, stepSize, 1/√(1−β₂ᵗ), ε):
 *   g' = g·gradScale;  p ← p·shrink;  m ← β₁m + (1−β₁)g';  v ← β₂v + (1−β₂)g'²;
 *   p ← p − stepSize·m / (√v·(1/√(1−β₂ᵗ)) + ε)
 */
function adamwBody(): { locals: number[][]; code: number[] } {
  // params 0…4: p g m v n (i32); 5…13: f32 scalars
  const [P, G, M, V, N] = [0, 1, 2, 3, 4];
  const [GS, B1, C1, B2, C2, SHRINK, STEP, IBC, EPS] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const I = 14, END = 15; // i32 locals
  const splat = (s: number) => 16 + (s - GS); // v128 locals 16…24 = splats of 5…13
  const GI = 25, MI = 26, VI = 27; // v128 temporaries
  const SG = 28, SM = 29, SV = 30; // f32 temporaries
  const at = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add];

  const vector = [
    ...at(G), ...op.v128Load, ...op.get(splat(GS)), ...op.f32x4Mul, ...op.set(GI),
    ...at(M), ...at(M), ...op.v128Load, ...op.get(splat(B1)), ...op.f32x4Mul, ...op.get(GI), ...op.get(splat(C1)), ...op.f32x4Mul, ...op.f32x4Add, ...op.tee(MI), ...op.v128Store,
    ...at(V), ...at(V), ...op.v128Load, ...op.get(splat(B2)), ...op.f32x4Mul, ...op.get(GI), ...op.get(GI), ...op.f32x4Mul, ...op.get(splat(C2)), ...op.f32x4Mul, ...op.f32x4Add, ...op.tee(VI), ...op.v128Store,
    ...at(P),
    ...at(P), ...op.v128Load, ...op.get(splat(SHRINK)), ...op.f32x4Mul,
    ...op.get(MI), ...op.get(splat(STEP)), ...op.f32x4Mul,
    ...op.get(VI), ...op.f32x4Sqrt, ...op.get(splat(IBC)), ...op.f32x4Mul, ...op.get(splat(EPS)), ...op.f32x4Add,
    ...op.f32x4Div, ...op.f32x4Sub, ...op.v128Store,
  ];
  const scalar = [
    ...at(G), ...op.f32Load, ...op.get(GS), ...op.f32Mul, ...op.set(SG),
    ...at(M), ...at(M), ...op.f32Load, ...op.get(B1), ...op.f32Mul, ...op.get(SG), ...op.get(C1), ...op.f32Mul, ...op.f32Add, ...op.tee(SM), ...op.f32Store,
    ...at(V), ...at(V), ...op.f32Load, ...op.get(B2), ...op.f32Mul, ...op.get(SG), ...op.get(SG), ...op.f32Mul, ...op.get(C2), ...op.f32Mul, ...op.f32Add, ...op.tee(SV), ...op.f32Store,
    ...at(P),
    ...at(P), ...op.f32Load, ...op.get(SHRINK), ...op.f32Mul,
    ...op.get(SM), ...op.get(STEP), ...op.f32Mul,
    ...op.get(SV), ...op.f32Sqrt, ...op.get(IBC), ...op.f32Mul, ...op.get(EPS), ...op.f32Add,
    ...op.f32Div, ...op.f32Sub, ...op.f32Store,
  ];
  const code = [
    ...Array.from({ length: 9 }, (_, k) => [...op.get(GS + k), ...op.f32x4Splat, ...op.set(splat(GS + k))]).flat(),
    // END = (n & ~3) · 4 bytes: the vector part; then the scalar tail up to n · 4
    ...op.get(N), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...op.set(END),
    ...loop(I, op.get(END), 16, vector),
    ...loop(I, [...op.get(N), ...op.i32(2), ...op.i32Shl], 4, scalar),
    ...op.end,
  ];
  return { locals: [[2, I32], [9 + 3, V128], [3, F32]], code };
}

/** sumsq(g, n) → Σ g² accumulated in float64. */
function sumsqBody(): { locals: number[][]; code: number[] } {
  const [G, N] = [0, 1];
  const I = 2, END = 3; // i32
  const A = 4, B = 5, SQ = 6; // v128 (SQ + 1 = 7 a temporary)
  const S = 8; // f64
  const at = [...op.get(G), ...op.get(I), ...op.i32Add];
  // squares in float64: lanes 0,1 into A, lanes 2,3 into B
  const vector = [
    ...at, ...op.v128Load, ...op.set(SQ),
    ...op.get(A), ...op.get(SQ), ...op.f64x2PromoteLow, ...op.tee(SQ + 1), ...op.get(SQ + 1), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(A),
    ...op.get(B), ...op.get(SQ), ...op.get(SQ), ...op.shuffleHigh, ...op.f64x2PromoteLow, ...op.tee(SQ + 1), ...op.get(SQ + 1), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(B),
  ];
  const scalar = [...op.get(S), ...at, ...op.f32Load, ...op.f64PromoteF32, ...at, ...op.f32Load, ...op.f64PromoteF32, ...op.f64Mul, ...op.f64Add, ...op.set(S)];
  const code = [
    ...op.get(N), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...op.set(END),
    ...loop(I, op.get(END), 16, vector),
    ...loop(I, [...op.get(N), ...op.i32(2), ...op.i32Shl], 4, scalar),
    ...op.get(S),
    ...op.get(A), ...op.get(B), ...op.f64x2Add, ...op.tee(A), ...op.f64x2ExtractLane(0), ...op.f64Add,
    ...op.get(A), ...op.f64x2ExtractLane(1), ...op.f64Add,
    ...op.end,
  ];
  return { locals: [[2, I32], [4, V128], [1, F64]], code };
}

function assemble(): Uint8Array<ArrayBuffer> {
  const adamw = adamwBody();
  const sumsq = sumsqBody();
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], ...Array.from({ length: 9 }, () => [F32])]), 0],
    [0x60, ...vec([[I32], [I32]]), ...vec([[F64]])],
  ]);
  const body = (f: { locals: number[][]; code: number[] }) => {
    const b = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.code];
    return [...uleb(b.length), ...b];
  };
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x00]])), // memory, min 0 pages
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...str("adamw"), 0x00, 0], [...str("sumsq"), 0x00, 1]])),
    ...section(10, vec([body(adamw), body(sumsq)])),
  ]);
}

export interface Kernels {
  adamw(p: number, g: number, m: number, v: number, n: number, gradScale: number, b1: number, c1: number, b2: number, c2: number, shrink: number, stepSize: number, invBc2Sqrt: number, eps: number): void;
  sumsq(g: number, n: number): number;
}

let module: WebAssembly.Module | undefined;

/** The kernels over `memory` (byte offsets into it), or undefined where WebAssembly SIMD is unavailable. */
export function kernelsFor(memory: WebAssembly.Memory): Kernels | undefined {
  try {
    module ??= new WebAssembly.Module(assemble());
    return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
  } catch {
    return undefined;
  }
}
