/**
 * Distillation options and their defaults. The student and the loss are new; everything else is
 * `esci train`'s recipe (train/options.ts), so a distillation run schedules, validates,
 * checkpoints and resumes as fine-tuning does. Defaults follow the common cross-encoder recipe:
 * MSE on the teacher's logits (sentence-transformers' CrossEncoder MSELoss, the Margin-MSE
 * family), τ = 2 for KL (DistilBERT's temperature), no gold-label term unless asked for.
 */
import { cacheRoot } from "../../onnx/cache.js";
import { checkOption as check } from "../options.js";
import { join } from "node:path";

export type DistillLoss = "mse" | "kl";

export interface DistillSettings {
  /** The teacher: a sequence classifier (local dir or hub id). */
  teacher: string;
  /** A student checkpoint (a classifier with the teacher's labels, or a bare encoder: new head). */
  student?: string;
  /** Student made from the teacher: this many of its layers, evenly spaced. */
  layers?: number;
  /** …and this hidden width (fresh init; default: the teacher's width, copied weights). */
  hidden?: number;
  /** The distillation loss (the CLI's `loss`; named apart from fine-tuning's `loss`, ce or focal, which applies to the gold-label term). */
  distillLoss: DistillLoss;
  /** Softmax temperature of the KL loss. */
  temperature: number;
  /** Weight of the cross-entropy on gold labels added to the distillation loss. */
  alpha: number;
  /** Run the teacher with dynamic int8 weights. */
  teacherQuantize?: "int8";
  /** Where teacher logits are cached (keyed by teacher weights, pairs and settings); default: esci's cache. */
  teacherCache: string;
}

export const DISTILL_DEFAULTS = {
  distillLoss: "mse" as DistillLoss,
  temperature: 2,
  alpha: 0,
};

/** The default teacher cache: teacher-logits/ in esci's cache ($ESCI_CACHE, else ~/.cache/esci), read when a run starts. */
export function defaultTeacherCache(): string {
  return join(cacheRoot(), "teacher-logits");
}

export function resolveDistillSettings(partial: Partial<DistillSettings> & Pick<DistillSettings, "teacher">): DistillSettings {
  const s = { ...DISTILL_DEFAULTS, teacherCache: defaultTeacherCache(), ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as DistillSettings;
  check(s.student === undefined || s.layers === undefined, "give either `student` (a checkpoint) or `layers` (a student made from the teacher), not both", "student", ["layers"]);
  check(s.student !== undefined || s.layers !== undefined, "the student: give `student` (a checkpoint) or `layers` (how many of the teacher's layers to keep)", "student", ["layers"]);
  check(s.hidden === undefined || s.layers !== undefined, "`hidden` needs `layers` (a student made from the teacher)", "hidden", ["layers"]);
  check(s.layers === undefined || (Number.isInteger(s.layers) && s.layers >= 1), `\`layers\` must be a positive integer, got ${s.layers}`, "layers");
  check(s.hidden === undefined || (Number.isInteger(s.hidden) && s.hidden >= 1), `\`hidden\` must be a positive integer, got ${s.hidden}`, "hidden");
  check(s.distillLoss === "mse" || s.distillLoss === "kl", `\`distillLoss\` must be "mse" or "kl", got "${s.distillLoss}"`, "distillLoss");
  check(Number.isFinite(s.temperature) && s.temperature > 0, `\`temperature\` must be > 0, got ${s.temperature}`, "temperature");
  check(Number.isFinite(s.alpha) && s.alpha >= 0, `\`alpha\` must be ≥ 0, got ${s.alpha}`, "alpha");
  check(s.teacherQuantize === undefined || s.teacherQuantize === "int8", `\`teacherQuantize\` must be "int8", got "${s.teacherQuantize}"`, "teacherQuantize");
  return s;
}

/** The settings a resumed run must share with the run it continues (cache location aside). */
export function distillFingerprint(s: DistillSettings): Record<string, unknown> {
  const { teacher, student, layers, hidden, distillLoss: loss, temperature, alpha, teacherQuantize } = s;
  return { distill: { teacher, student: student ?? null, layers: layers ?? null, hidden: hidden ?? null, loss, temperature, alpha, teacherQuantize: teacherQuantize ?? null } };
}
