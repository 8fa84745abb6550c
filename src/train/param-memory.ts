/**
 * Where the trainer keeps each parameter's value, gradient and AdamW moments: four Float32Arrays
 * per parameter, carved out of WebAssembly memories so the SIMD kernels (kernels.ts) can update
 * them in place, while ONNX Runtime reads the values and writes the gradients through the same
 * arrays (its tensors wrap them without copying).
 *
 * A WebAssembly memory holds at most 4 GiB, so parameters are packed into as many memories as
 * needed (DistilRoBERTa's 82M parameters × 4 arrays = 1.3 GB fit in one); a parameter too large
 * for any memory, or a runtime without WebAssembly SIMD, falls back to plain arrays and the
 * scalar JS loop in adamw.ts.
 */
import { kernelsFor, type Kernels } from "./kernels.js";

const PAGE = 65536;
const MAX_BYTES = 65536 * PAGE - PAGE; // 4 GiB less a page
const ALIGN = 64;

interface Slot {
  kernels?: Kernels;
  /** Byte offsets of value, grad, expAvg, expAvgSq in the kernels' memory. */
  offsets?: [number, number, number, number];
}

export class ParamMemory {
  readonly values: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly expAvg: Float32Array[] = [];
  readonly expAvgSq: Float32Array[] = [];
  private readonly slots: Slot[] = [];

  /** Zero-filled storage for parameters of `sizes` elements. `wasm: false` forces plain arrays. */
  constructor(sizes: readonly number[], opts: { wasm?: boolean } = {}) {
    const aligned = (n: number) => Math.ceil((n * 4) / ALIGN) * ALIGN;
    // greedy packing, in order, into memories of at most MAX_BYTES
    const groups: number[][] = [];
    let bytes = Infinity;
    sizes.forEach((n, k) => {
      const need = 4 * aligned(n);
      if (opts.wasm === false || need > MAX_BYTES) return;
      if (bytes + need > MAX_BYTES) {
        groups.push([]);
        bytes = 0;
      }
      groups.at(-1)!.push(k);
      bytes += need;
    });
    const placed = new Map<number, { buffer: ArrayBuffer; kernels: Kernels; offsets: [number, number, number, number] }>();
    for (const group of groups) {
      const total = group.reduce((a, k) => a + 4 * aligned(sizes[k]), 0);
      let memory: WebAssembly.Memory;
      try {
        const pages = Math.max(1, Math.ceil(total / PAGE));
        memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      } catch {
        continue; // cannot reserve it: these parameters use plain arrays
      }
      const kernels = kernelsFor(memory);
      if (!kernels) continue;
      let offset = 0;
      for (const k of group) {
        const step = aligned(sizes[k]);
        placed.set(k, { buffer: memory.buffer, kernels, offsets: [offset, offset + step, offset + 2 * step, offset + 3 * step] });
        offset += 4 * step;
      }
    }
    sizes.forEach((n, k) => {
      const p = placed.get(k);
      if (p) {
        const [a, b, c, d] = p.offsets;
        this.values.push(new Float32Array(p.buffer, a, n));
        this.grads.push(new Float32Array(p.buffer, b, n));
        this.expAvg.push(new Float32Array(p.buffer, c, n));
        this.expAvgSq.push(new Float32Array(p.buffer, d, n));
        this.slots.push({ kernels: p.kernels, offsets: p.offsets });
      } else {
        this.values.push(new Float32Array(n));
        this.grads.push(new Float32Array(n));
        this.expAvg.push(new Float32Array(n));
        this.expAvgSq.push(new Float32Array(n));
        this.slots.push({});
      }
    });
  }

  get size(): number {
    return this.values.length;
  }

  /** The SIMD kernels and byte offsets of parameter k, when it lives in WebAssembly memory. */
  kernel(k: number): Required<Slot> | undefined {
    const s = this.slots[k];
    return s.kernels ? (s as Required<Slot>) : undefined;
  }
}
