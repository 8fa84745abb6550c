/**
 * The catalog store: the one interface that the embedded SQLite store (sqlite/) and the
 * PostgreSQL + pgvector store (postgres/) implement, and `openStore`, which picks one from a
 * store spec (`sqlite:PATH` or `postgres://…`).
 *
 * A store keeps products, a full-text index over them (BM25 in SQLite's FTS5; PostgreSQL's text
 * search) and one vector per product from one embedding model. It records which model (and
 * product-text template) made its vectors and refuses vectors of another (CONFLICT), since
 * distances between two models' vectors mean nothing; switching models is an explicit reset that
 * drops every vector, after which the indexer re-embeds the products still "pending".
 *
 * Every write is one transaction that may carry the indexer's checkpoint, so a process killed at
 * any moment leaves a store that opens, says how far indexing got, and resumes from there. Both
 * stores run the same conformance suite (test/search/conformance.ts).
 */
import { EsciError } from "../errors/index.js";
import type { CatalogProduct } from "./product.js";

export type StoreKind = "sqlite" | "postgres";

/** Which model made a store's vectors, from which product text. */
export interface EmbeddingSpace {
  /** The embedder's modelId (hub id or local path, as given). */
  model: string;
  dimension: number;
  /** The product-text template that was embedded (product.ts DEFAULT_EMBED_TEMPLATE). */
  template: string;
}

/** How far an `esci index` run got; written in the same transaction as the rows it counts. */
export interface IndexCheckpoint {
  /** The catalog path as given. */
  source: string;
  /** size:mtime of the catalog file: only the same file resumes from `rows_done`. */
  fingerprint: string;
  /** Rows of the catalog read and committed (skipped and filtered rows included). */
  rows_done: number;
  rows_total?: number;
  started: string;
  updated: string;
  /** Set when the run completed (every row written and every vector computed). */
  finished?: string;
}

export interface StoreInfo {
  kind: StoreKind;
  /** The store spec, without a password. */
  location: string;
  embedding?: EmbeddingSpace;
  products: number;
  /** Products with a current vector. */
  embedded: number;
  /** Products still waiting for a vector (an interrupted run, or a model reset). */
  pending: number;
  last_run?: IndexCheckpoint;
}

/** One product to write. `vector`: a Float32Array sets it, null drops it (to be embedded later), undefined keeps the stored one. */
export interface ProductWrite {
  product: CatalogProduct;
  /** textHash of the embedded text: tells the indexer later whether the vector is still current. */
  textHash: string;
  vector?: Float32Array | null;
}

/** What the store knows about an existing product, to skip re-embedding unchanged ones. */
export interface ProductState {
  textHash: string;
  embedded: boolean;
}

/** A product id with a retrieval score; higher is better. */
export interface ScoredId {
  id: string;
  score: number;
}

export interface CatalogStore {
  readonly kind: StoreKind;
  readonly location: string;

  info(): Promise<StoreInfo>;
  embedding(): Promise<EmbeddingSpace | undefined>;
  /**
   * Record the model that makes this store's vectors. The same space again is a no-op; another
   * one is a CONFLICT unless `reset`, which drops every vector (and resizes the vector column).
   */
  setEmbedding(space: EmbeddingSpace, options?: { reset?: boolean }): Promise<void>;

  /** Insert or replace products by id, with their vectors; one transaction, checkpoint included. */
  write(batch: readonly ProductWrite[], checkpoint?: IndexCheckpoint): Promise<void>;
  /** Delete products by id (unknown ids are ignored); returns how many were deleted. */
  delete(ids: readonly string[]): Promise<number>;
  /** Set vectors of existing products whose text hash still matches (a product changed meanwhile keeps waiting). */
  putVectors(items: readonly { id: string; textHash: string; vector: Float32Array }[]): Promise<void>;

  /** States of the given ids that exist. */
  states(ids: readonly string[]): Promise<Map<string, ProductState>>;
  /** Products by id, in the order asked; unknown ids are left out. */
  get(ids: readonly string[]): Promise<CatalogProduct[]>;
  /** Up to `limit` products without a current vector, in id order after `afterId`. */
  pending(limit: number, afterId?: string): Promise<CatalogProduct[]>;
  /** The stored vector of a product. */
  vectorOf(id: string): Promise<Float32Array | undefined>;

  /** Full-text search (every query term optional, BM25-like ranking), best first. */
  searchText(query: string, k: number): Promise<ScoredId[]>;
  /** Nearest products by cosine similarity (score = 1 − cosine distance), best first. */
  searchVector(vector: Float32Array, k: number): Promise<ScoredId[]>;

  /**
   * Changes whenever the store's content changes (in this process or another): caches of search
   * results key on it. Opaque; equal values mean nothing was written in between.
   */
  generation(): Promise<string>;

  lastRun(): Promise<IndexCheckpoint | undefined>;
  setLastRun(checkpoint: IndexCheckpoint): Promise<void>;
  /**
   * Work best done once after bulk writes: the HNSW index (PostgreSQL's; SQLite's file beside
   * the store), FTS merge (SQLite). `onProgress` reports vectors added to a graph built anew.
   */
  optimize(onProgress?: (done: number, total: number) => void): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Fail with NOT_FOUND instead of creating a new, empty store. */
  mustExist?: boolean;
}

/** Store kinds by spec prefix; the implementation is loaded only when used (pg is not needed for SQLite). */
const STORE_KINDS: readonly { kind: StoreKind; matches: (spec: string) => boolean; open: (spec: string, o: OpenStoreOptions) => Promise<CatalogStore> }[] = [
  {
    kind: "postgres",
    matches: (s) => /^postgres(ql)?:\/\//i.test(s),
    open: async (s, o) => (await import("./postgres/store.js")).PostgresStore.open(s, o),
  },
  {
    kind: "sqlite",
    matches: (s) => s.startsWith("sqlite:") || !/^[a-z][a-z0-9+.-]*:\/\//i.test(s),
    open: async (s, o) => (await import("./sqlite/store.js")).SqliteStore.open(storeFile(s)!, o),
  },
];

/** Open (or create) the store a spec names: `sqlite:PATH` (or a bare PATH), or `postgres://user@host/db[?schema=S]`. */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<CatalogStore> {
  if (!spec.trim()) throw new EsciError("INVALID_ARGUMENT", "empty store spec (expected sqlite:PATH or postgres://…)");
  const k = STORE_KINDS.find((x) => x.matches(spec));
  if (!k) throw new EsciError("INVALID_ARGUMENT", `unknown store "${spec}" (expected sqlite:PATH or postgres://user@host:port/db)`);
  return k.open(spec, options);
}

/** The file a `sqlite:PATH` (or bare PATH) spec writes; undefined for a server-backed store. */
export function storeFile(spec: string): string | undefined {
  const k = STORE_KINDS.find((x) => x.matches(spec));
  return k?.kind === "sqlite" ? (spec.startsWith("sqlite:") ? spec.slice("sqlite:".length) : spec) : undefined;
}

/** The CONFLICT error both stores raise for a second embedding model. */
export function embeddingConflict(location: string, stored: EmbeddingSpace, wanted: EmbeddingSpace): EsciError {
  const what =
    stored.model !== wanted.model
      ? `its vectors were made by "${stored.model}" (dimension ${stored.dimension}), not "${wanted.model}" (dimension ${wanted.dimension})`
      : stored.dimension !== wanted.dimension
        ? `its vectors have dimension ${stored.dimension}, "${wanted.model}" makes ${wanted.dimension}`
        : `its vectors embed the product text "${stored.template}", not "${wanted.template}"`;
  return new EsciError(
    "CONFLICT",
    `store ${location}: ${what}; embed with "${stored.model}" (\`embedder\`, and the same \`template\`), or re-embed every product with \`reindex: true\``,
    { store: location, stored, wanted, options: ["embedder", "template", "reindex"] },
  );
}

export function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.model === b.model && a.dimension === b.dimension && a.template === b.template;
}

/** Query terms for full-text search: letters and digits runs, lower-cased, deduplicated, at most 64. */
export function queryTerms(query: string): string[] {
  const terms = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(terms)].slice(0, 64);
}
