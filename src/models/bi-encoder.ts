/**
 * BiEncoder: texts → sentence embeddings (Float32Array rows) as sentence-transformers'
 * `encode` computes them: Transformer → Pooling → (Normalize), truncating to max_seq_length.
 */
import { EsciError } from "../errors/index.js";
import { loadModel, type LoadedModel, type LoadOptions } from "./loader.js";
import { runEncodings } from "./runner.js";
import type { EmbedOptions, TextEmbedder } from "./types.js";

export class BiEncoder implements TextEmbedder {
  private constructor(readonly model: LoadedModel) {}

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
    const enc = texts.map((t) => this.model.tokenizer.encodeText(t, maxLength));
    return runEncodings(this.model, enc, { batch: options.batchSize ? { maxBatch: options.batchSize } : undefined, onProgress: options.onProgress });
  }

  async dispose(): Promise<void> {
    await this.model.session.release();
  }
}
