/**
 * The model training starts from: a base checkpoint turned into a sequence classifier.
 *
 * - A sequence classifier (…ForSequenceClassification) is continued as it is: its head and
 *   `id2label` are kept; `labels` may rename LABEL_i ids.
 * - A bare encoder (a sentence-transformers checkpoint such as all-distilroberta-v1) gets a new
 *   head initialised as Hugging Face's _init_weights does — Linear weights from normal(0,
 *   initializer_range), biases 0 — from the seeded PRNG; a BERT checkpoint without pooler gets a
 *   new pooler the same way.
 *
 * Either way the result is one TensorSource in the classifier's own Hugging Face names (a bare
 * encoder's "embeddings.…" become "roberta.embeddings.…"), so the graph builders, the trainer's
 * parameters and the exported checkpoint all speak the names `transformers` loads.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EsciError } from "../errors/index.js";
import { parseEsciLabel, type EsciLabel } from "../esci/labels.js";
import { resolveModel } from "../hub/resolve.js";
import { parseConfig, readConfig, type EncoderConfig } from "../models/config.js";
import type { ModelFamily } from "../models/family.js";
import { mulberry32, normalArray } from "../models/random-checkpoint.js";
import { checkpointSource } from "../models/loader.js";
import { familyFor } from "../models/registry.js";
import type { TensorSource } from "../models/weights.js";

export interface InitialModel {
  /** Where the base model's files are (config, tokenizer). */
  baseDir: string;
  config: EncoderConfig;
  family: ModelFamily;
  /** The classifier's tensors in Hugging Face names, base weights plus any new head. */
  source: TensorSource & { close(): void };
  /** Head label names in id order (config id2label). */
  labels: string[];
  /** ESCI label → head id. */
  labelIds: Map<EsciLabel, number>;
  /** Tensors created here (a new head), for the log. */
  newTensors: string[];
}

/** The …ForSequenceClassification class matching a base architecture (RobertaModel → RobertaForSequenceClassification). */
function classifierArchitecture(cfg: EncoderConfig, family: ModelFamily): string {
  const base = cfg.architectures[0]?.replace(/(Model|ForMaskedLM|ForPreTraining)$/, "ForSequenceClassification");
  return base && family.classifierArchitectures.includes(base) ? base : family.classifierArchitectures[0];
}

/** `base` with tensors renamed (old name → new name) and extra in-memory tensors added. */
function overlaySource(base: TensorSource & { close(): void }, rename: (name: string) => string, extra: Map<string, { shape: number[]; data: Float32Array }>) {
  const fromBase = new Map(base.names().map((n) => [rename(n), n]));
  return {
    description: base.description,
    has: (n: string) => extra.has(n) || fromBase.has(n),
    shape: (n: string) => (extra.has(n) ? [...extra.get(n)!.shape] : base.shape(fromBase.get(n) ?? n)),
    readFloat32: (n: string) => (extra.has(n) ? extra.get(n)!.data.slice() : base.readFloat32(fromBase.get(n) ?? n)),
    names: () => [...fromBase.keys(), ...extra.keys()],
    close: () => base.close(),
  };
}

/**
 * Maps each ESCI label to the head id whose name denotes it; names that are no ESCI label are an
 * error. `where` says where the names come from: the base model's id2label, or the `labels` option.
 */
function esciLabelIds(labels: readonly string[], where: { model: string } | "labels"): Map<EsciLabel, number> {
  const ids = new Map<EsciLabel, number>();
  const from = where === "labels" ? "`labels`" : `${where.model} (id2label)`;
  const option = where === "labels" ? { option: "labels" } : { options: ["labels"] };
  labels.forEach((name, i) => {
    const l = parseEsciLabel(name);
    if (l === undefined) {
      throw new EsciError(
        "INVALID_ARGUMENT",
        `${from}: label "${name}" (id ${i}) is not an ESCI label; name the head's labels with \`labels\` (e.g. \`labels: ["exact", "substitute", "complement", "irrelevant"]\`)`,
        { ...option, options: ["labels"] },
      );
    }
    if (ids.has(l)) throw new EsciError("INVALID_ARGUMENT", `${from}: two head labels denote ESCI label ${l}`, option);
    ids.set(l, i);
  });
  return ids;
}

export async function initialModel(base: string, opts: { labels?: string[]; seed: number }): Promise<InitialModel> {
  const baseDir = (await resolveModel(base)).dir;
  const baseCfg = readConfig(baseDir);
  const family = familyFor(baseCfg.modelType, join(baseDir, "config.json"));
  const ckpt = checkpointSource(baseDir);
  try {
    const arch = baseCfg.architectures[0];
    const hasHead = ckpt.has(family.headTensor);
    const isClassifier = hasHead && (!arch || family.classifierArchitectures.includes(arch));
    const prefix = family.prefixes[0]; // "roberta." / "bert." / "model.": the task models' encoder prefix
    const raw = { ...baseCfg.raw };
    const extra = new Map<string, { shape: number[]; data: Float32Array }>();
    let labels: string[];
    let rename = (n: string) => n;

    if (isClassifier) {
      labels = opts.labels ?? baseCfg.id2label;
      if (labels.length !== baseCfg.id2label.length) {
        throw new EsciError("INVALID_ARGUMENT", `\`labels\` names ${labels.length} labels but the head of ${base} has ${baseCfg.id2label.length} (${baseCfg.id2label.join(", ")})`, {
          option: "labels",
          value: labels,
        });
      }
    } else {
      if (arch && !/(Model|ForMaskedLM|ForPreTraining)$/.test(arch)) {
        throw new EsciError("UNSUPPORTED", `${base}: architecture ${arch} is neither a bare encoder nor a sequence classifier esci can train`);
      }
      labels = opts.labels ?? ["exact", "substitute", "complement", "irrelevant"];
      const encPrefix = family.prefixes.find((p) => ckpt.has(`${p}${family.wordEmbeddings}`));
      if (encPrefix === undefined) throw new EsciError("CORRUPT_FILE", `${ckpt.description} has no ${family.name} embeddings`);
      // a bare encoder's tensors gain the task model's prefix; MLM/pre-training heads are dropped
      rename = (n) => (encPrefix === "" && !n.startsWith(prefix) ? prefix + n : n);
      const rand = mulberry32(opts.seed);
      const std = baseCfg.initializerRange;
      const renamed = new Set(ckpt.names().map(rename));
      for (const t of family.newHead(baseCfg, labels.length, (n) => renamed.has(n))) {
        const size = t.shape.reduce((a, b) => a * b, 1);
        const data = t.init === "normal" ? normalArray(size, std, rand) : new Float32Array(size).fill(t.init === "ones" ? 1 : 0);
        extra.set(t.name, { shape: t.shape, data });
      }
    }
    raw.architectures = [classifierArchitecture(baseCfg, family)];
    raw.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    raw.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
    raw.problem_type = "single_label_classification";
    delete raw.num_labels;
    const config = parseConfig(raw, join(baseDir, "config.json"));
    return {
      baseDir,
      config,
      family,
      source: overlaySource(ckpt, rename, extra),
      labels,
      labelIds: esciLabelIds(labels, isClassifier && !opts.labels ? { model: base } : "labels"),
      newTensors: [...extra.keys()],
    };
  } catch (e) {
    ckpt.close();
    throw e;
  }
}

/** Tokenizer and vocabulary files copied next to an exported checkpoint. */
export function tokenizerFiles(dir: string): string[] {
  const known = new Set(["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt", "added_tokens.json", "sentencepiece.bpe.model", "spiece.model"]);
  return readdirSync(dir).filter((f) => known.has(f));
}
