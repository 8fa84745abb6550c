/**
 * The models as the server runs them: each loaded model behind its own BatchQueue, exposed through
 * the same PairScorer / TextEmbedder contracts the CLI's models implement — so the search
 * pipeline, the rerank routes and the classifier all go through one queue per model, and the
 * tokenizer and ONNX code they reach is the CLI's (models/runner.ts), not a second copy.
 *
 * Rerank scores (expected gain, sigmoid, the raw log-odds of Exact) come from esci/gains.ts, the
 * one place they are computed.
 */
import { EsciError } from "../errors/index.js";
import { rerankScoring, type RerankMode, type RerankScoring } from "../esci/gains.js";
import type { BiEncoder } from "../models/bi-encoder.js";
import { toPrediction, type CrossEncoder } from "../models/cross-encoder.js";
import type { LoadedModel } from "../models/loader.js";
import { runEncodings } from "../models/runner.js";
import type { EmbedOptions, Pair, PairPrediction, PairScorer, PredictOptions, TextEmbedder } from "../models/types.js";
import type { Encoding } from "../tokenizer/index.js";
import { TokenizerWorker } from "../tokenizer/worker-tokenizer.js";
import { BatchQueue, type BatchRunner, type QueueObserver, type QueueOptions } from "./queue.js";

export type { RerankMode };

export interface QueuedCallOptions {
  /** Fires when the caller went away: its waiting rows are dropped. */
  signal?: AbortSignal;
  /** false: an input longer than the model's limit is a TOO_LARGE error instead of being cut. */
  truncate?: boolean;
  /** Names input i in error messages (e.g. `texts[3]`). */
  describe?: (i: number) => string;
}

export interface QueuedModelOptions {
  queue?: Partial<QueueOptions>;
  observer?: QueueObserver;
}

interface Runner {
  run: BatchRunner;
  /** The model's tokenizer, in a worker thread (tokenizer/worker-tokenizer.ts). */
  tokenizer: TokenizerWorker;
  release(): Promise<void>;
}

/**
 * The model's batch runner: models/runner.ts (the CLI's path: pad the batch to its own longest
 * row, run, split the rows) on the model's session — for a server, one loaded with
 * `session: "worker"` so runs do not block the event loop — and the model's tokenizer in a worker
 * of its own, so tokenizing a large request does not block it either. The queue has already
 * packed the batch, so it is one call.
 */
async function startRunner(model: LoadedModel): Promise<Runner> {
  const tokenizer = await TokenizerWorker.start(model.tokenizer.origin);
  return {
    run: (rows) => runEncodings(model, rows, { batch: { maxBatch: rows.length, tokenBudget: Infinity } }),
    tokenizer,
    release: async () => {
      await tokenizer.release();
      await model.session.release();
    },
  };
}

/** Encode with `encode(limit)`; with truncate false, an input over `maxLength` is TOO_LARGE. */
async function encodeAll(maxLength: number, o: QueuedCallOptions, encode: (limit: number) => Promise<Encoding[]>): Promise<Encoding[]> {
  if (o.truncate !== false) return encode(maxLength);
  const rows = await encode(Number.MAX_SAFE_INTEGER);
  rows.forEach((full, i) => {
    if (full.inputIds.length > maxLength) {
      throw new EsciError(
        "TOO_LARGE",
        `${o.describe?.(i) ?? `input ${i}`} is ${full.inputIds.length} tokens, more than the model's limit of ${maxLength}; shorten it or send "truncate": true`,
        { index: i, tokens: full.inputIds.length, max_tokens: maxLength },
      );
    }
  });
  return rows;
}

export class QueuedCrossEncoder implements PairScorer {
  readonly labels: readonly string[];
  readonly queue: BatchQueue;
  readonly rerankMode: RerankMode;
  private readonly ranking: RerankScoring;

  private constructor(
    readonly model: CrossEncoder,
    private readonly runner: Runner,
    o: QueuedModelOptions,
  ) {
    this.labels = model.labels;
    this.queue = new BatchQueue(runner.run, o.queue, o.observer);
    this.ranking = rerankScoring(model.labels);
    this.rerankMode = this.ranking.mode;
  }

  /** Takes over `model`: close() releases it. */
  static async create(model: CrossEncoder, o: QueuedModelOptions = {}): Promise<QueuedCrossEncoder> {
    return new QueuedCrossEncoder(model, await startRunner(model.model), o);
  }

  get id(): string {
    return this.model.model.id;
  }

  get maxLength(): number {
    return this.model.maxLength;
  }

  /** Whether the labels are ESCI labels (ranked by expected gain; usable by the search pipeline). */
  get isEsci(): boolean {
    return this.rerankMode === "expected-gain";
  }

  async predict(pairs: readonly Pair[], options: PredictOptions & QueuedCallOptions = {}): Promise<PairPrediction[]> {
    const rows = await encodeAll(options.maxLength ?? this.maxLength, options, (limit) => this.runner.tokenizer.encodePairs(pairs, limit));
    const logits = await this.queue.submit(rows, options.signal);
    const calibration = options.calibration === false ? undefined : this.model.calibration;
    return logits.map((l) => toPrediction(l, this.labels, calibration));
  }

  /** This scorer with every call bound to `signal` (for code that takes a plain PairScorer, like the search pipeline). */
  bound(signal: AbortSignal | undefined): PairScorer {
    return { labels: this.labels, cacheKey: this.model.cacheKey, predict: (pairs, options) => this.predict(pairs, { ...options, signal }) };
  }

  /** The rerank score of one prediction (esci/gains.ts). */
  score(p: PairPrediction): number {
    if (this.rerankMode === "none") throw this.notReranker();
    return this.ranking.score(p);
  }

  /** The raw score: the logit of a one-logit model, the log-odds of Exact of an ESCI classifier. */
  rawScore(p: PairPrediction): number {
    if (this.rerankMode === "none") throw this.notReranker();
    return this.ranking.raw(p);
  }

  notReranker(): EsciError {
    return new EsciError(
      "UNSUPPORTED",
      `model ${this.id} has labels ${this.labels.join(", ")}, which are neither ESCI labels nor one relevance logit, so it cannot rank; restart with --labels naming E, S, C, I in the model's id order`,
      { labels: [...this.labels] },
    );
  }

  /** Drain the queue, then release the model's session. */
  async close(): Promise<void> {
    await this.queue.close();
    await this.runner.release();
  }
}

export class QueuedBiEncoder implements TextEmbedder {
  readonly queue: BatchQueue;

  private constructor(
    readonly model: BiEncoder,
    private readonly runner: Runner,
    o: QueuedModelOptions,
  ) {
    this.queue = new BatchQueue(runner.run, o.queue, o.observer);
  }

  /** Takes over `model`: close() releases it. */
  static async create(model: BiEncoder, o: QueuedModelOptions = {}): Promise<QueuedBiEncoder> {
    return new QueuedBiEncoder(model, await startRunner(model.model), o);
  }

  get dimension(): number {
    return this.model.dimension;
  }

  get modelId(): string {
    return this.model.modelId;
  }

  get maxLength(): number {
    return this.model.maxLength;
  }

  async embed(texts: readonly string[], options: EmbedOptions & QueuedCallOptions = {}): Promise<Float32Array[]> {
    const rows = await encodeAll(options.maxLength ?? this.maxLength, options, (limit) => this.runner.tokenizer.encodeTexts(texts, limit));
    return this.queue.submit(rows, options.signal);
  }

  bound(signal: AbortSignal | undefined): TextEmbedder {
    return { dimension: this.dimension, modelId: this.modelId, embed: (texts, options) => this.embed(texts, { ...options, signal }) };
  }

  /** Drain the queue, then release the model's session. */
  async close(): Promise<void> {
    await this.queue.close();
    await this.runner.release();
  }
}
