/** model_type (config.json) → family. Adding a family = a folder plus a row here. */
import { EsciError } from "../errors/index.js";
import { bert } from "./bert/index.js";
import { debertaV2 } from "./deberta-v2/index.js";
import { distilbert } from "./distilbert/index.js";
import { electra } from "./electra/index.js";
import { modernbert } from "./modernbert/index.js";
import type { ModelFamily } from "./family.js";
import { roberta } from "./roberta/index.js";

export const MODEL_FAMILIES: Record<string, ModelFamily> = {
  bert,
  roberta,
  "xlm-roberta": roberta,
  camembert: roberta,
  distilbert,
  electra,
  modernbert,
  "deberta-v2": debertaV2,
};

export function familyFor(modelType: string, file = "config.json"): ModelFamily {
  const f = MODEL_FAMILIES[modelType];
  if (!f) {
    throw new EsciError(
      "UNSUPPORTED",
      `${file}: model_type "${modelType}" is not supported (supported: ${Object.keys(MODEL_FAMILIES).join(", ")})`,
      { file, field: "model_type" },
    );
  }
  return f;
}
