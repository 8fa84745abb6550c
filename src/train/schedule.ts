/**
 * The learning-rate schedule: transformers' get_linear_schedule_with_warmup, stepped as HF
 * Trainer steps it (scheduler.step() after optimizer.step()), so update k uses the factor for
 * step k, counting from 0: with warm-up the first update has lr 0.
 */

/** HF TrainingArguments.get_warmup_steps: ceil(total · ratio). */
export function warmupSteps(totalSteps: number, ratio: number): number {
  return Math.ceil(totalSteps * ratio);
}

/** The lr of update `step` (0-based): linear warm-up from 0, then linear decay to 0 at `totalSteps`. */
export function linearScheduleLr(step: number, baseLr: number, warmup: number, totalSteps: number): number {
  if (step < warmup) return (baseLr * step) / Math.max(1, warmup);
  return baseLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
}
