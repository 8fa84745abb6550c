/**
 * The loss flags of the commands that train (`esci train`, and `esci distill` where a hard-label
 * loss applies): --loss, --class-weights, --label-smoothing, --focal-gamma, parsed into
 * train/losses.ts's LossOptions. Values are checked again (with the same words) by resolveOptions.
 */
import { EsciError } from "../errors/index.js";
import { LOSS_KINDS, type LossKind, type LossOptions } from "../train/index.js";
import { num, str, type Options, type Parsed } from "./args.js";

export const LOSS_FLAGS: Options = {
  loss: { type: "string" },
  "class-weights": { type: "string" },
  "label-smoothing": { type: "string" },
  "focal-gamma": { type: "string" },
};

export const LOSS_FLAGS_HELP = `  --loss ce|focal      cross-entropy (default) or the focal loss of Lin et al. 2017
  --class-weights W    "balanced" (n / (C · count) per label, from the training data) or one weight
                       per head label in id order, e.g. 1,2,10,3 for exact,substitute,complement,irrelevant
  --label-smoothing X  cross-entropy with label smoothing X in [0, 1), as torch's (default 0)
  --focal-gamma G      the focal loss's γ ≥ 0 (default 2; γ = 0 is cross-entropy)`;

/** The loss options the flags give (undefined where a flag is absent, so defaults apply). */
export function parseLossFlags(p: Parsed): Partial<LossOptions> {
  const loss = str(p, "loss");
  if (loss !== undefined && !LOSS_KINDS.includes(loss as LossKind)) throw new EsciError("INVALID_ARGUMENT", `--loss must be one of ${LOSS_KINDS.join(", ")}, got "${loss}"`);
  const focalGamma = num(p, "focal-gamma", { min: 0 });
  if (focalGamma !== undefined && loss !== "focal") throw new EsciError("INVALID_ARGUMENT", "--focal-gamma applies to --loss focal");
  const raw = str(p, "class-weights");
  let classWeights: LossOptions["classWeights"];
  if (raw === "balanced") classWeights = "balanced";
  else if (raw !== undefined) {
    classWeights = raw.split(",").map((s) => Number(s.trim()));
    if (classWeights.some((w) => !Number.isFinite(w) || w < 0) || raw.trim() === "") {
      throw new EsciError("INVALID_ARGUMENT", `--class-weights must be "balanced" or comma-separated numbers ≥ 0 (one per label, id order), got "${raw}"`);
    }
  }
  return { loss: loss as LossKind | undefined, classWeights, labelSmoothing: num(p, "label-smoothing", { min: 0, max: 0.999999 }), focalGamma };
}
