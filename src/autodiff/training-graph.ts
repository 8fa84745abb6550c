/**
 * The training graph of a sequence classifier: the inference builder's forward graph (plain ops,
 * with Dropout where Hugging Face applies it), mean cross-entropy against `labels`, and the
 * backward pass — one ONNX graph that ONNX Runtime runs once per micro-batch.
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
import { appendBackward } from "./backward.js";

export type DropoutRates = Record<DropoutSite, number>;

export const NO_DROPOUT: DropoutRates = { hidden: 0, attention: 0, classifier: 0 };

/** HF's rates: hidden_dropout_prob, attention_probs_dropout_prob, classifier_dropout ?? hidden. */
export function configDropout(cfg: EncoderConfig): DropoutRates {
  return { hidden: cfg.hiddenDropout, attention: cfg.attentionDropout, classifier: cfg.classifierDropout ?? cfg.hiddenDropout };
}

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
  /** Gradient output names, aligned with `params`; undefined for a parameter whose gradient is exactly zero (ZERO_GRADIENT). */
  grads: Array<string | undefined>;
}

export interface TrainingGraphOptions {
  dropout?: DropoutRates;
  /** Dropout seed (see the module comment). */
  seed?: number;
  /** Training-session runs made before this graph's session starts (resume). */
  runOffset?: number;
  /** Builds the scalar loss from the logits (N,C) and labels (N); default: mean cross-entropy. */
  loss?: LossBuilder;
}

/** (graph, logits (N,C) float, labels (N) int64) → the scalar loss value; may add graph inputs of its own. */
export type LossBuilder = (g: GraphBuilder, logits: string, labels: string) => string;

const SEED_STRIDE = 2 ** 22;

/**
 * Parameters whose exact gradient is zero, given a zero gradient instead of rounding noise.
 *
 * The attention key bias adds q·b_k to every key's score of a query, a constant along the
 * softmax axis, and softmax is invariant to that: the loss does not depend on b_k at all. In
 * float32 its backpropagated gradient is pure cancellation noise (~1e-9), which AdamW normalizes
 * into updates of up to lr per step — a random walk PyTorch's float32 training also takes. The
 * exact (float64) computation leaves b_k where it is, and so does esci.
 */
export const ZERO_GRADIENT: readonly RegExp[] = [/\.attention\.self\.key\.bias$/];

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

export function buildTrainingGraph(cfg: EncoderConfig, family: ModelFamily, source: TensorSource, opts: TrainingGraphOptions = {}): TrainingGraph {
  const rates = opts.dropout ?? configDropout(cfg);
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
  // mean cross-entropy over the batch, as torch.nn.CrossEntropyLoss() in HF's ForSequenceClassification
  const lossValue = opts.loss ? opts.loss(g, fwd.logits, labels) : g.node("SoftmaxCrossEntropyLoss", [fwd.logits, labels], { count: 1, attrs: { reduction: "mean" }, prefix: "loss" })[0];
  g.output(lossValue, "loss", DataType.FLOAT, []);
  const frozen = (p: Parameter) => ZERO_GRADIENT.some((re) => re.test(p.origin.sources[0]));
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
