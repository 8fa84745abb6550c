/**
 * BiEncoder: texts → sentence embeddings (Float32Array rows) as sentence-transformers'
 * `encode` computes them: Transformer → Pooling → (Normalize), truncating to max_seq_length.
 * Texts reach ONNX Runtime through the model's batching engine, as CrossEncoder's pairs do.
 */
import { EsciError } from "../errors/index.js";
import { BatchEngine, encodeInputs, sessionRunner } from "./engine/index.js";
import { loadModel, releaseModel, type LoadedModel, type LoadOptions } from "./loader.js";
import type { EmbedOptions, TextEmbedder } from "./types.js";

export class BiEncoder implements TextEmbedder {
  /** The batching engine between embed and the model's session. */
  readonly engine: BatchEngine;

  private constructor(readonly model: LoadedModel) {
    this.engine = new BatchEngine(sessionRunner(model));
  }

  static async load(id: string, options: LoadOptions = {}): Promise<BiEncoder> {
    return new BiEncoder(await loadModel(id, "embed", options));
  }

  get dimension(): number {
    return this.model.outputWidth;
  }

  get modelId(): string {
    return this.model.id;
  }

  /** sentence_bert_config.json max_seq_length when given, else the tokenizer's default. */
  get maxLength(): number {
    return this.model.st?.maxSeqLength ?? this.model.tokenizer.defaultMaxLength;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const maxLength = options.maxLength ?? this.maxLength;
    const cap = this.model.family.maxTokens(this.model.config);
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > cap) {
      throw new EsciError("INVALID_ARGUMENT", `max length must be an integer from 2 to ${cap}, got ${maxLength}`);
    }
    const rows = await encodeInputs(this.model, { texts }, maxLength, options.truncate);
    return this.engine.run(rows, { batch: options.batchSize ? { maxBatch: options.batchSize } : undefined, onProgress: options.onProgress, signal: options.signal });
  }

  /** Drains the batching engine (queued work finishes), then releases the session and tokenizer worker. */
  async dispose(): Promise<void> {
    await this.engine.close();
    await releaseModel(this.model);
  }
}
