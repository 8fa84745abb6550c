/**
 * The training graph of a sequence classifier: the inference builder's forward graph (plain ops,
 * with Dropout where Hugging Face applies it), the caller's loss against `labels` (train/losses.ts:
 * cross-entropy, weighted or smoothed, or focal), and the backward pass — one ONNX graph that ONNX
 * Runtime runs once per micro-batch.
 *
 * Every weight becomes a graph input, fed from the trainer's Float32Arrays in the graph's layout
 * (linear weights transposed to [in, out]; `origin` says how each maps back to the Hugging Face
 * tensor), and its gradient a graph output. The evaluation graph is the same forward graph without
 * dropout, taking the same inputs, so both sessions read the weights the optimizer just wrote.
 *
 * Dropout masks come from ONNX Runtime's Dropout kernel: a node with attribute `seed` s draws its
 * k-th mask (k = runs of its session so far) from a generator seeded with s + k. Node j gets
 * s = (j + 1)·2²² + (seed mod 2²²) + runOffset, so after a resume, rebuilding the graph with runOffset =
 * micro-batches already run continues exactly the mask sequence of an uninterrupted run.
 */
import { DataType } from "../onnx/proto.js";
import type { GraphBuilder } from "../onnx/graph.js";
import { buildModelGraph } from "../models/build.js";
import type { EncoderConfig } from "../models/config.js";
import { NO_FUSION, type DropoutHook, type DropoutSite } from "../models/encoder.js";
import type { ModelFamily } from "../models/family.js";
import type { InitializerOrigin, TensorSource, Weights } from "../models/weights.js";
import { appendBackward } from "../autodiff/backward.js";

export type DropoutRates = Record<DropoutSite, number>;

/** Probability `p` at every dropout site (the `dropout` option). */
export function uniformDropout(p: number): DropoutRates {
  return { hidden: p, attention: p, classifier: p, embedding: p, mlp: p };
}

export const NO_DROPOUT: DropoutRates = uniformDropout(0);

export interface Parameter {
  /** Graph input name: the initializer name (HF tensor name; ":T" for a transposed linear weight). */
  name: string;
  /** Graph layout. */
  dims: number[];
  origin: InitializerOrigin;
  /** The initial values (from the checkpoint), in graph layout. */
  produce(): Float32Array;
}

export interface ForwardGraph {
  graph: GraphBuilder;
  params: Parameter[];
  /** input_ids, attention_mask and (BERT) token_type_ids. */
  tokenInputs: string[];
  logits: string;
}

export interface TrainingGraph extends ForwardGraph {
  labels: string;
  loss: string;
  /** Gradient output names, aligned with `params`; undefined for a parameter whose gradient is exactly zero (the family's zeroGradient). */
  grads: Array<string | undefined>;
}

/** Appends a scalar loss of `logits` (N,C float32) against `labels` (N int64) and returns it; may add graph inputs of its own (distillation's teacher logits). */
export type LossBuilder = (g: GraphBuilder, logits: string, labels: string) => string;

export interface TrainingGraphOptions {
  loss: LossBuilder;
  dropout?: DropoutRates;
  /** Dropout seed (see the module comment). */
  seed?: number;
  /** Training-session runs made before this graph's session starts (resume). */
  runOffset?: number;
}

const SEED_STRIDE = 2 ** 22;

/** Graph weights → graph inputs, in the order the builder registered them. */
function promoteWeights(g: GraphBuilder, weights: Weights): Parameter[] {
  const params = g.lazy.map((t): Parameter => {
    const origin = weights.origins.find((o) => o.initializer === t.name);
    if (!origin) throw new Error(`no origin recorded for weight ${t.name}`);
    if (t.dataType !== DataType.FLOAT) throw new Error(`weight ${t.name} is not float32`);
    g.inputs.push({ name: t.name, elemType: DataType.FLOAT, dims: t.dims });
    return { name: t.name, dims: t.dims, origin, produce: () => t.produce() as Float32Array };
  });
  g.lazy.length = 0;
  return params;
}

function forward(cfg: EncoderConfig, family: ModelFamily, source: TensorSource, dropout?: DropoutHook): ForwardGraph {
  const built = buildModelGraph(cfg, family, source, "classify", NO_FUSION, undefined, { dropout });
  const tokenInputs = built.graph.inputs.map((i) => i.name);
  const params = promoteWeights(built.graph, built.weights);
  return { graph: built.graph, params, tokenInputs, logits: built.outputName };
}

/** Forward graph for evaluation: logits from token ids and the weights as inputs. */
export function buildEvalGraph(cfg: EncoderConfig, family: ModelFamily, source: TensorSource): ForwardGraph {
  return forward(cfg, family, source);
}

export function buildTrainingGraph(cfg: EncoderConfig, family: ModelFamily, source: TensorSource, opts: TrainingGraphOptions): TrainingGraph {
  const rates = opts.dropout ?? family.dropoutRates(cfg);
  const base = ((opts.seed ?? 0) % SEED_STRIDE) + SEED_STRIDE; // keep seeds positive
  let nodes = 0;
  const dropout: DropoutHook = (g, x, site) => {
    const p = rates[site];
    if (p === 0) return x; // nn.Dropout(0) is the identity: no node, no randomness
    const training = g.fresh("training_mode");
    g.inline.push({ name: training, dataType: DataType.BOOL, dims: [], rawData: Uint8Array.of(1) });
    const seed = (nodes++ * SEED_STRIDE + base + (opts.runOffset ?? 0)) % 2147483647;
    return g.node("Dropout", [x, g.constF32([p], []), training], { count: 1, attrs: { seed }, prefix: `dropout_${site}` })[0];
  };
  const fwd = forward(cfg, family, source, dropout);
  const g = fwd.graph;
  const labels = g.input("labels", DataType.INT64, ["batch"]);
  const lossValue = opts.loss(g, fwd.logits, labels);
  g.output(lossValue, "loss", DataType.FLOAT, []);
  const frozen = (p: Parameter) => family.zeroGradient.some((re) => re.test(p.origin.sources[0]));
  const gradOf = appendBackward(g, lossValue, fwd.params.filter((p) => !frozen(p)).map((p) => p.name));
  // Gradients are graph outputs under their own value names (no Identity copy), so the node that
  // computes one can write it straight into the trainer's preallocated buffer.
  const grads = fwd.params.map((p) => {
    const value = gradOf.get(p.name);
    if (value !== undefined) g.outputs.push({ name: value, elemType: DataType.FLOAT, dims: p.dims });
    return value;
  });
  return { ...fwd, labels, loss: "loss", grads };
}
