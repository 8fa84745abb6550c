/**
 * config + checkpoint → the ONNX graph of a cross-encoder (logits) or bi-encoder (sentence embedding).
 *
 * One builder for every task: the family supplies embeddings, blocks and head (encoder.ts's
 * post-LN blocks with its tensor names, or its own), pooling.ts the sentence-transformers pooling. The returned Weights records where every
 * initializer came from (for training and checkpoint export).
 */
import { EsciError } from "../errors/index.js";
import { GraphBuilder } from "../onnx/graph.js";
import { DataType } from "../onnx/proto.js";
import type { EncoderConfig } from "./config.js";
import type { DropoutHook, EncoderGraphInputs, FusionOptions } from "./encoder.js";
import type { ModelFamily } from "./family.js";
import { pool, type SentenceTransformerConfig } from "./pooling.js";
import { Weights, type TensorSource } from "./weights.js";

export type ModelTask = "classify" | "embed";

export interface BuiltGraph {
  graph: GraphBuilder;
  weights: Weights;
  /** Graph input names in feed order. */
  inputNames: string[];
  outputName: string;
  outputWidth: number;
}

export function encoderPrefix(family: ModelFamily, source: TensorSource): string {
  for (const p of family.prefixes) if (source.has(`${p}${family.wordEmbeddings}`)) return p;
  throw new EsciError(
    "CORRUPT_FILE",
    `${source.description} has no ${family.name} embeddings (looked for ${family.prefixes.map((p) => `"${p}${family.wordEmbeddings}"`).join(", ")})`,
  );
}

export function checkClassifier(cfg: EncoderConfig, family: ModelFamily, source: TensorSource): void {
  const arch = cfg.architectures[0];
  if (arch && !family.classifierArchitectures.includes(arch)) {
    throw new EsciError(
      "UNSUPPORTED",
      `config.json: architecture ${arch} is not a sequence classifier; esci runs ${family.classifierArchitectures.join(", ")} as cross-encoders (bare encoders are bi-encoders: use the embed task)`,
      { field: "architectures" },
    );
  }
  if (!arch && !source.has(family.headTensor)) {
    throw new EsciError("UNSUPPORTED", `${source.description} has no classification head; is this a cross-encoder checkpoint?`);
  }
}

export interface BuildOptions {
  /** Training graphs: emits Dropout where HF applies it (needs NO_FUSION). Absent for inference. */
  dropout?: DropoutHook;
}

export function buildModelGraph(
  cfg: EncoderConfig,
  family: ModelFamily,
  source: TensorSource,
  task: ModelTask,
  fusion: FusionOptions,
  st?: SentenceTransformerConfig,
  options: BuildOptions = {},
): BuiltGraph {
  const { dropout } = options;
  if (task === "classify") checkClassifier(cfg, family, source);
  const w = new Weights(source, encoderPrefix(family, source));
  const g = new GraphBuilder(`esci-${cfg.modelType}-${task}`);
  const dims = ["batch", "sequence"];
  const inputs: EncoderGraphInputs = {
    inputIds: g.input("input_ids", DataType.INT64, dims),
    attentionMask: g.input("attention_mask", DataType.INT64, dims),
  };
  if (family.usesTokenTypeIds) inputs.tokenTypeIds = g.input("token_type_ids", DataType.INT64, dims);

  const x = family.embeddings(g, w, cfg, inputs, dropout);
  // A head that reads only the first token lets the last block compute only that row.
  const firstTokenOnly = task === "classify" && fusion.firstTokenLastLayer === true && !dropout && family.headReadsFirstToken(cfg);
  const hidden = family.encoder(g, w, cfg, x, inputs.attentionMask, fusion, dropout, firstTokenOnly); // (B,T,H), or (B,1,H)

  let outputName: string;
  let outputWidth: number;
  if (task === "classify") {
    outputName = "logits";
    outputWidth = cfg.id2label.length;
    g.output(family.classifierHead(g, w, cfg, hidden, inputs.attentionMask, dropout), outputName, DataType.FLOAT, ["batch", outputWidth]);
  } else {
    if (!st) throw new Error("embed task needs the sentence-transformers config");
    outputName = "sentence_embedding";
    outputWidth = cfg.hiddenSize * st.modes.length;
    g.output(pool(g, hidden, inputs.attentionMask, st), outputName, DataType.FLOAT, ["batch", outputWidth]);
  }
  return { graph: g, weights: w, inputNames: g.inputs.map((i) => i.name), outputName, outputWidth };
}
