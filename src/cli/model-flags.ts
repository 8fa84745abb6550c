/**
 * Flags shared by every command that loads a model (predict, classify, evaluate, index, search,
 * substitutes, serve, train), and the one way to load a model from them: download and graph-build
 * progress on stderr, the reference checkpoints as defaults so a user with internet access needs
 * no flags.
 */
import { existsSync, statSync } from "node:fs";
import { normalize } from "node:path";
import { EsciError } from "../errors/index.js";
import { downloadProgressTo } from "../hub/progress.js";
import { BiEncoder } from "../models/bi-encoder.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import type { LoadOptions } from "../models/loader.js";
import { bool, num, str, type Options, type Parsed } from "./args.js";
import { DEFAULT_MAX_CHARS } from "../tokenizer/index.js";
import { ProgressBar } from "./progress.js";

/** The model card's checkpoint: DistilRoBERTa fine-tuned for 4-way ESCI classification. */
export const DEFAULT_CROSS_ENCODER = "sllawlis/distilroberta-ce-esci";
/** Its base, a sentence-transformers bi-encoder. */
export const DEFAULT_BI_ENCODER = "sentence-transformers/all-distilroberta-v1";

export const MODEL_FLAGS: Options = {
  model: { type: "string" },
  labels: { type: "string" },
  revision: { type: "string" },
  threads: { type: "string" },
  quantize: { type: "string" },
  "batch-size": { type: "string" },
  "max-length": { type: "string" },
  "max-chars": { type: "string" },
  quiet: { type: "boolean" },
  "no-calibration": { type: "boolean" },
};

export const MODEL_FLAGS_HELP = `  --model M            hub id (downloaded into the Hugging Face cache) or a local directory
                       (default: ${DEFAULT_CROSS_ENCODER})
  --revision R         hub branch, tag or commit (default: main)
  --batch-size N       most pairs per ONNX Runtime call (batches are also capped by a token budget)
  --max-length N       truncate to N tokens (default: tokenizer model_max_length, capped by the position table)
  --max-chars N        cut each text to N characters before tokenizing (default ${DEFAULT_MAX_CHARS})
  --labels a,b,…       label names in the model's id order (for checkpoints that only say LABEL_0…)
  --quantize int8      dynamic int8 quantization of the encoder's weights (faster; cached)
  --threads N          ONNX Runtime threads (default: all cores)
  --no-calibration     raw softmax probabilities even when the model has an esci_calibration.json
  --quiet              no progress bars`;

export function parseLabels(p: Parsed): string[] | undefined {
  const raw = str(p, "labels");
  if (raw === undefined) return undefined;
  const labels = raw.split(",").map((s) => s.trim());
  if (labels.some((l) => l === "")) throw new EsciError("INVALID_ARGUMENT", `--labels must be comma-separated names, got "${raw}"`);
  return labels;
}

function parseQuantize(p: Parsed): "int8" | undefined {
  const q = str(p, "quantize");
  if (q !== undefined && q !== "int8") throw new EsciError("INVALID_ARGUMENT", `--quantize must be "int8", got "${q}"`);
  return q;
}

/**
 * A local model directory given two ways ("./m/", "m") is one model: stores and caches compare
 * model ids as strings, so directories are normalized; hub ids pass through.
 */
export function modelRef(id: string): string {
  try {
    if (existsSync(id) && statSync(id).isDirectory()) return normalize(id).replace(/[\\/]+$/, "");
  } catch {
    // not a local path: a hub id
  }
  return id;
}

/**
 * Load options from the flags, with progress bars (named after `what`) for downloads and graph
 * building. `extra` sets options the flags do not (a `quantize` key there, even undefined, wins
 * over --quantize).
 */
async function withProgress<T>(p: Parsed, what: string, load: (opts: LoadOptions) => Promise<T>, extra: Partial<LoadOptions> = {}): Promise<T> {
  const quiet = bool(p, "quiet");
  const download = new ProgressBar({ label: `download ${what}`, unit: "B", quiet });
  const build = new ProgressBar({ label: `build ${what} ONNX graph`, unit: "tensors", quiet });
  const toBar = downloadProgressTo(download);
  let downloaded = false;
  let built = false;
  try {
    return await load({
      ...extra,
      revision: str(p, "revision"),
      threads: num(p, "threads", { integer: true, min: 1 }),
      maxChars: num(p, "max-chars", { integer: true, min: 1 }),
      quantize: "quantize" in extra ? extra.quantize : parseQuantize(p),
      hub: {
        onProgress: (e) => {
          downloaded = true;
          toBar(e);
        },
        onWarning: (m) => process.stderr.write(`esci: warning: ${m}\n`),
      },
      onBuildProgress: (done, total) => {
        built = true;
        build.update(done, total);
      },
    });
  } finally {
    if (downloaded) download.finish();
    if (built) build.finish();
  }
}

/** A cross-encoder: `id`, else --model, else the model card's checkpoint; its stored calibration applied unless --no-calibration. */
export function loadCrossEncoder(p: Parsed, id?: string, what = "cross-encoder", extra?: Partial<LoadOptions>): Promise<CrossEncoder> {
  const ref = modelRef(id ?? str(p, "model") ?? DEFAULT_CROSS_ENCODER);
  return withProgress(p, what, (opts) => CrossEncoder.load(ref, { ...opts, labels: parseLabels(p), calibration: !bool(p, "no-calibration") }), extra);
}

/** A bi-encoder: `id`, else --model, else all-distilroberta-v1. */
export function loadBiEncoder(p: Parsed, id?: string, what = "bi-encoder", extra?: Partial<LoadOptions>): Promise<BiEncoder> {
  const ref = modelRef(id ?? str(p, "model") ?? DEFAULT_BI_ENCODER);
  return withProgress(p, what, (opts) => BiEncoder.load(ref, opts), extra);
}
