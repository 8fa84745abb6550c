/**
 * AdamW and gradient clipping with PyTorch's semantics, on the trainer's Float32Arrays.
 *
 * AdamW is torch.optim.AdamW (torch 1.13 `_single_tensor_adamw`, amsgrad off): decoupled decay
 * p ← p·(1 − lr·wd) first, then m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε). Parameters are split as HF Trainer splits
 * them: no decay for biases and LayerNorm weights. The update runs in the SIMD kernel of
 * kernels.ts (float32, in torch's order) on parameters in WebAssembly memory, else in the scalar
 * loop below (float64, rounded once); both match torch's float32 updates to a few ulps.
 *
 * clipGradNorm is torch.nn.utils.clip_grad_norm_: the global L2 norm over all gradients; when
 * max_norm / (norm + 1e-6) < 1 every gradient is scaled by it. It returns the norm before
 * clipping, which is what HF Trainer logs as grad_norm.
 */

import type { ParamMemory } from "./param-memory.js";

export interface AdamWConfig {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export const TORCH_ADAMW: AdamWConfig = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Updates made so far (torch's per-parameter `step`, the same for all). */
  step: number;
  expAvg: Float32Array[];
  expAvgSq: Float32Array[];
}

export class AdamW {
  private step: number;

  constructor(
    /** Values, gradients and moments (the moments are this optimizer's state). */
    readonly store: ParamMemory,
    /** Whether each parameter gets weight decay (HF: not biases, not LayerNorm weights). */
    private readonly decay: readonly boolean[],
    private readonly config: AdamWConfig,
    /** Updates already made (resume). */
    step = 0,
  ) {
    this.step = step;
  }

  get state(): AdamWState {
    return { step: this.step, expAvg: this.store.expAvg, expAvgSq: this.store.expAvgSq };
  }

  /**
   * One update of every parameter in place, with learning rate `lr`, for gradients `grads · gradScale`
   * (clipping's coefficient folded into this pass instead of rewriting the gradients first).
   */
  update(lr: number, gradScale = 1): void {
    const [b1, b2] = this.config.betas;
    const { eps } = this.config;
    const t = ++this.step;
    const stepSize = lr / (1 - b1 ** t);
    const invBc2Sqrt = 1 / Math.sqrt(1 - b2 ** t);
    const { values, grads, expAvg, expAvgSq } = this.store;
    for (let k = 0; k < values.length; k++) {
      const shrink = this.decay[k] ? 1 - lr * this.config.weightDecay : 1;
      const wasm = this.store.kernel(k);
      if (wasm) {
        const [p, g, m, v] = wasm.offsets;
        wasm.kernels.adamw(p, g, m, v, values[k].length, gradScale, b1, 1 - b1, b2, 1 - b2, shrink, stepSize, invBc2Sqrt, eps);
        continue;
      }
      const p = values[k];
      const g = grads[k];
      const m = expAvg[k];
      const v = expAvgSq[k];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * gradScale;
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        p[i] = p[i] * shrink - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
      }
    }
  }
}

/** The global L2 norm of the store's gradients (float64 accumulation). */
export function gradNorm(store: ParamMemory): number {
  let sq = 0;
  for (let k = 0; k < store.size; k++) {
    const wasm = store.kernel(k);
    sq += wasm ? wasm.kernels.sumsq(wasm.offsets[1], store.grads[k].length) : sumsq(store.grads[k]);
  }
  return Math.sqrt(sq);
}

function sumsq(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/**
 * HF Trainer's decay split (get_decay_parameter_names): no weight decay for parameters of
 * LayerNorm modules, nor for names (lower-cased) matching its patterns "bias", "layernorm",
 * "rmsnorm", "(?:^|\.)norm(?:$|\.)" and "_norm(?:$|\.)". Every family's LayerNorm is named so
 * (BERT's "LayerNorm", DistilBERT's "sa_layer_norm", ModernBERT's "attn_norm", "norm").
 */
const NO_DECAY = /bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)/;

export function decays(hfName: string): boolean {
  return !NO_DECAY.test(hfName.toLowerCase());
}

/** The global L2 norm of `grads` (float64 accumulation). */
export function globalNorm(grads: readonly Float32Array[]): number {
  return Math.sqrt(grads.reduce((a, g) => a + sumsq(g), 0));
}

/** torch's clip coefficient: max_norm / (norm + 1e-6) when that is < 1, else 1 (also for max_norm 0: no clipping). */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (maxNorm <= 0) return 1;
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/** clip_grad_norm_ in place: scales `grads` by clipCoefficient; returns the norm before clipping. */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = clipCoefficient(norm, maxNorm);
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return norm;
}
