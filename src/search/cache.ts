/**
 * Work the search pipeline need not repeat: bounded in-memory LRU caches of query embeddings,
 * stage-1 candidate lists and cross-encoder predictions, shared by every search of one process
 * (the CLI's one search, or all requests of `esci serve`).
 *
 *   embeddings  (bi-encoder id, query) → Float32Array(dimension)
 *   stage1      (store generation, query, candidates, RRF k, excluded ids) → fused candidate list;
 *               the store's generation changes with every write, so a cached list never outlives
 *               the catalog it was computed from
 *   scores      (cross-encoder cache key — its built graph, i.e. weights + config + quantization —,
 *               max length, query, product text) → the prediction
 *
 * Bounds are entry counts (a score ≈ 0.3 KB, a 768-d embedding ≈ 3 KB, a 100-candidate list
 * ≈ 10 KB); keys of the score cache are sha256 digests so long product texts do not grow it.
 * Capacity 0 disables a cache. Each cache counts hits, misses and evictions for /metrics and
 * `esci search --verbose`.
 */
import { createHash } from "node:crypto";

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
  capacity: number;
}

/** Least-recently-used map with a fixed entry bound (a Map keeps insertion order: re-insert = touch). */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  private counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.counts.misses++;
      return undefined;
    }
    this.counts.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    if (this.capacity === 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      this.map.delete(this.map.keys().next().value!);
      this.counts.evictions++;
    }
  }

  get size(): number {
    return this.map.size;
  }

  stats(): CacheStats {
    return { ...this.counts, size: this.map.size, capacity: this.capacity };
  }

  clear(): void {
    this.map.clear();
  }
}

export interface SearchCacheSizes {
  /** Query embeddings kept (default 10,000 ≈ 30 MB at 768-d). */
  embeddings?: number;
  /** Stage-1 candidate lists kept (default 2,000). */
  stage1?: number;
  /** Cross-encoder predictions kept (default 100,000 ≈ 30 MB). */
  scores?: number;
}

export const DEFAULT_CACHE_SIZES: Required<SearchCacheSizes> = { embeddings: 10_000, stage1: 2_000, scores: 100_000 };

export type CacheName = keyof SearchCacheSizes;

/** The three caches of a pipeline; a value type per cache is kept opaque to this module. */
export class SearchCaches {
  readonly embeddings: LruCache<Float32Array>;
  readonly stage1: LruCache<unknown>;
  readonly scores: LruCache<unknown>;

  constructor(sizes: SearchCacheSizes = {}) {
    const d = DEFAULT_CACHE_SIZES;
    this.embeddings = new LruCache(sizes.embeddings ?? d.embeddings);
    this.stage1 = new LruCache(sizes.stage1 ?? d.stage1);
    this.scores = new LruCache(sizes.scores ?? d.scores);
  }

  stats(): Record<CacheName, CacheStats> {
    return { embeddings: this.embeddings.stats(), stage1: this.stage1.stats(), scores: this.scores.stats() };
  }
}

/** A compact key for parts that may be long (product texts): sha256 of the parts joined by NUL. */
export function digestKey(parts: readonly (string | number)[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("base64");
}

/** "hits/(hits+misses)" as a share, 0 before the first lookup. */
export function hitRate(s: CacheStats): number {
  const n = s.hits + s.misses;
  return n ? s.hits / n : 0;
}
