/**
 * AdamW and gradient clipping with PyTorch's semantics, on the trainer's Float32Arrays.
 *
 * AdamW is torch.optim.AdamW (torch 1.13 `_single_tensor_adamw`, amsgrad off): decoupled decay
 * p ← p·(1 − lr·wd) first, then m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε). Parameters are split as HF Trainer splits
 * them: no decay for biases and LayerNorm weights. Arithmetic is float64, each stored value
 * rounded to float32 once, so results match torch's float32 updates to an ulp.
 *
 * clipGradNorm is torch.nn.utils.clip_grad_norm_: the global L2 norm over all gradients; when
 * max_norm / (norm + 1e-6) < 1 every gradient is scaled by it. It returns the norm before
 * clipping, which is what HF Trainer logs as grad_norm.
 */

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
  readonly state: AdamWState;

  constructor(
    sizes: readonly number[],
    /** Whether each parameter gets weight decay (HF: not biases, not LayerNorm weights). */
    private readonly decay: readonly boolean[],
    private readonly config: AdamWConfig,
    state?: AdamWState,
  ) {
    this.state = state ?? { step: 0, expAvg: sizes.map((n) => new Float32Array(n)), expAvgSq: sizes.map((n) => new Float32Array(n)) };
  }

  /**
   * One update of every parameter in place, with learning rate `lr`, for gradients `grads · gradScale`
   * (clipping's coefficient folded into this pass instead of rewriting the gradients first).
   */
  update(params: Float32Array[], grads: readonly Float32Array[], lr: number, gradScale = 1): void {
    const [b1, b2] = this.config.betas;
    const { eps } = this.config;
    const t = ++this.state.step;
    const stepSize = lr / (1 - b1 ** t);
    const invBc2Sqrt = 1 / Math.sqrt(1 - b2 ** t);
    for (let k = 0; k < params.length; k++) {
      const p = params[k];
      const g = grads[k];
      const m = this.state.expAvg[k];
      const v = this.state.expAvgSq[k];
      const shrink = this.decay[k] ? 1 - lr * this.config.weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * gradScale;
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        p[i] = p[i] * shrink - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
      }
    }
  }
}

/**
 * HF Trainer's decay split (get_decay_parameter_names): parameters of LayerNorm modules and every
 * parameter with "bias" in its name get no weight decay.
 */
export function decays(hfName: string): boolean {
  return !(hfName.includes("bias") || hfName.includes("LayerNorm."));
}

/** The global L2 norm of `grads` (float64 accumulation). */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sq = 0;
  for (const g of grads) {
    let a = 0;
    let b = 0;
    const n = g.length - (g.length % 2);
    for (let i = 0; i < n; i += 2) {
      a += g[i] * g[i];
      b += g[i + 1] * g[i + 1];
    }
    if (n < g.length) a += g[n] * g[n];
    sq += a + b;
  }
  return Math.sqrt(sq);
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
