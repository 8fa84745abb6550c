/**
 * Indexing: a catalog file → products, full-text rows and vectors in a store, resumable.
 *
 * The catalog is read in batches of rows; each batch embeds only the products that are new or
 * whose embedded text changed (the store keeps a hash of that text), then writes rows, vectors
 * and the checkpoint "rows_done" in one transaction. So a run killed anywhere leaves whole
 * batches; the next run of the same file (same size and mtime) starts after the last committed
 * row, and even a run that cannot skip (another file, --no-resume) re-embeds nothing unchanged.
 *
 * Switching the embedding model is explicit (`reindex`): the store drops every vector and the
 * products become "pending"; the last phase of every run embeds pending products in id order,
 * one committed chunk at a time, so an interrupted re-embedding resumes as well.
 *
 * The bi-encoder's embed() packs each batch by length (models/engine/batching.ts), which is why batches
 * are hundreds of rows: more rows, less padding.
 */
import type { IssueHandler } from "../esci/issues.js";
import type { TextEmbedder } from "../models/types.js";
import { catalogFingerprint, countCatalogRows, readCatalog } from "./catalog.js";
import { checkMaxChars, DEFAULT_MAX_CHARS } from "../tokenizer/index.js";
import { capProduct, DEFAULT_EMBED_TEMPLATE, productText, textHash, type CatalogProduct } from "./product.js";
import type { CatalogStore, EmbeddingSpace, IndexCheckpoint, ProductWrite, StoreInfo } from "./store.js";

export const DEFAULT_EMBED_MODEL = "sentence-transformers/all-distilroberta-v1";

export interface IndexOptions {
  /** Catalog file or ESCI dataset directory; omitted: only deletes and pending embeddings. */
  catalog?: string;
  /** Makes the vectors; without one, products are written without vectors (pending). */
  embedder?: TextEmbedder;
  /** Product text to embed (esci/dataset.ts template syntax); default DEFAULT_EMBED_TEMPLATE. */
  template?: string;
  /** Allow a different embedding model or template than the store's: drops and re-embeds every vector. */
  reindex?: boolean;
  /** Keep one product locale (ESCI products file: "us"); "all" keeps all. */
  locale?: string;
  /** Continue an unfinished run of the same catalog after its last committed row (default true). */
  resume?: boolean;
  /** Product ids to delete before writing. */
  deleteIds?: readonly string[];
  /** Catalog rows per transaction, and pending products per embedding chunk (default 512). */
  batchRows?: number;
  /** Most texts per bi-encoder call (its length-aware planner may use fewer). */
  embedBatchSize?: number;
  /**
   * Each text field of a product is cut to this many characters before it is stored, embedded or
   * later reranked (default DEFAULT_MAX_CHARS; tokenizer/chars.ts): a 5 MB title would otherwise
   * cost every search that finds it.
   */
  maxChars?: number;
  /** Bad rows: throw (default) or count under this handler. */
  onIssue?: IssueHandler;
  onProgress?: (p: IndexProgress) => void;
}

export interface IndexProgress {
  phase: "catalog" | "embed" | "ann";
  /** Catalog rows (phase "catalog"), pending products (phase "embed") or vectors put in a new HNSW graph (phase "ann") done so far. */
  done: number;
  total?: number;
  /** Vectors computed so far in this run. */
  embedded: number;
}

export interface IndexResult {
  /** Catalog rows read in this run (skipped resumed rows excluded). */
  rows: number;
  /** Products written. */
  written: number;
  /** Vectors computed in this run. */
  embedded: number;
  /** Written products whose vector was kept (text unchanged). */
  unchanged: number;
  deleted: number;
  /** The row an unfinished earlier run had reached, when this run continued from it. */
  resumed_from?: number;
  seconds: number;
  info: StoreInfo;
}

/** The embedding space an embedder + template make. */
export function embeddingSpaceOf(embedder: TextEmbedder, template = DEFAULT_EMBED_TEMPLATE): EmbeddingSpace {
  return { model: embedder.modelId, dimension: embedder.dimension, template };
}

export async function indexCatalog(store: CatalogStore, options: IndexOptions): Promise<IndexResult> {
  const t0 = performance.now();
  const embedder = options.embedder;
  const stored = await store.embedding();
  const template = options.template ?? (stored && !options.reindex ? stored.template : DEFAULT_EMBED_TEMPLATE);
  const render = productText(template);
  if (embedder) await store.setEmbedding(embeddingSpaceOf(embedder, template), { reset: options.reindex });
  const embedOpts = { batchSize: options.embedBatchSize };
  const maxChars = checkMaxChars(options.maxChars ?? DEFAULT_MAX_CHARS);
  const result = { rows: 0, written: 0, embedded: 0, unchanged: 0, deleted: 0 } as Omit<IndexResult, "seconds" | "info">;

  if (options.deleteIds?.length) result.deleted = await store.delete(options.deleteIds);

  if (options.catalog !== undefined) {
    const source = options.catalog;
    const fingerprint = await catalogFingerprint(source);
    const last = await store.lastRun();
    const resuming = options.resume !== false && last !== undefined && !last.finished && last.source === source && last.fingerprint === fingerprint && last.rows_done > 0;
    const skip = resuming ? last!.rows_done : 0;
    if (resuming) result.resumed_from = skip;
    const total = await countCatalogRows(source);
    const now = new Date().toISOString();
    const checkpoint: IndexCheckpoint = { source, fingerprint, rows_done: skip, rows_total: total, started: resuming ? last!.started : now, updated: now };
    options.onProgress?.({ phase: "catalog", done: skip, total, embedded: 0 });
    for await (const batch of readCatalog(source, options.batchRows ?? 512, { locale: options.locale, skipRows: skip, onIssue: options.onIssue })) {
      const byId = new Map<string, CatalogProduct>();
      for (const p of batch.products) byId.set(p.id, p);
      const products = [...byId.values()].map((p) => capProduct(p, maxChars));
      const texts = products.map(render);
      const hashes = texts.map(textHash);
      const states = await store.states(products.map((p) => p.id));
      const need: number[] = [];
      products.forEach((p, i) => {
        const s = states.get(p.id);
        if (!(s && s.embedded && s.textHash === hashes[i])) need.push(i);
      });
      const needSet = new Set(need);
      const vectors = embedder && need.length ? await embedder.embed(need.map((i) => texts[i]), embedOpts) : [];
      const vectorAt = new Map<number, Float32Array>(need.map((i, j) => [i, vectors[j]]));
      const writes: ProductWrite[] = products.map((product, i) => ({
        product,
        textHash: hashes[i],
        vector: needSet.has(i) ? (vectorAt.get(i) ?? null) : undefined,
      }));
      result.rows += batch.rowsDone - checkpoint.rows_done;
      checkpoint.rows_done = batch.rowsDone;
      checkpoint.updated = new Date().toISOString();
      await store.write(writes, checkpoint);
      result.written += writes.length;
      result.embedded += vectors.length;
      result.unchanged += writes.length - need.length;
      options.onProgress?.({ phase: "catalog", done: batch.rowsDone, total, embedded: result.embedded });
    }
    if (embedder) await embedPending(store, embedder, render, embedOpts, options.batchRows ?? 512, result, options.onProgress);
    checkpoint.updated = checkpoint.finished = new Date().toISOString();
    await store.setLastRun(checkpoint);
  } else if (embedder) {
    await embedPending(store, embedder, render, embedOpts, options.batchRows ?? 512, result, options.onProgress);
  }
  await store.optimize((done, total) => options.onProgress?.({ phase: "ann", done, total, embedded: result.embedded }));
  return { ...result, seconds: (performance.now() - t0) / 1000, info: await store.info() };
}

/** Embed every product without a current vector, in committed chunks (resumable by construction). */
async function embedPending(
  store: CatalogStore,
  embedder: TextEmbedder,
  render: (p: CatalogProduct) => string,
  embedOpts: { batchSize?: number },
  chunkRows: number,
  result: { embedded: number },
  onProgress?: (p: IndexProgress) => void,
): Promise<void> {
  const total = (await store.info()).pending;
  if (!total) return;
  let done = 0;
  let after = "";
  onProgress?.({ phase: "embed", done, total, embedded: result.embedded });
  for (;;) {
    const chunk = await store.pending(chunkRows, after);
    if (!chunk.length) break;
    after = chunk[chunk.length - 1].id;
    const texts = chunk.map(render);
    const vectors = await embedder.embed(texts, embedOpts);
    await store.putVectors(chunk.map((p, i) => ({ id: p.id, textHash: textHash(texts[i]), vector: vectors[i] })));
    done += chunk.length;
    result.embedded += chunk.length;
    onProgress?.({ phase: "embed", done, total, embedded: result.embedded });
  }
}
