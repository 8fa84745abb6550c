/**
 * The embedded catalog store: one SQLite file, no server. The default store, sized for catalogs
 * up to a few hundred thousand products.
 *
 *   products      pk (shared rowid) · id · doc (the product as JSON) · text_hash · embedded
 *   products_fts  FTS5 over title / brand+colour / details, porter stemming; ranked by bm25()
 *   vectors       sqlite-vec vec0 table, float[dimension], cosine distance; rowid = products.pk
 *   vector_log    seq · pk: every vector insert, update or delete since the HNSW file was saved
 *   meta          embedding space, last index run, schema version, the HNSW file's log position
 *
 * Vector search uses the HNSW graph beside the file (`<file>.hnsw`, sqlite/ann.ts) once
 * optimize() — the end of every `esci index` run — has built it; later writes reach it through
 * vector_log, replayed by whoever searches next. Without the file (a store still being indexed)
 * search is sqlite-vec's exact scan (SIMD; 100–150 ms at 100k × 768).
 *
 * Crash safety: WAL journal, and every write() is one transaction that also stores the indexer's
 * checkpoint, so after a kill -9 the file holds exactly the committed batches and the checkpoint
 * that counts them. synchronous=NORMAL in WAL mode loses no committed transaction when the
 * process dies (only on power loss may the last ones roll back, still consistently).
 */
import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import { existsSync } from "node:fs";
import { AnnIndex } from "./ann.js";
import { EsciError } from "../../errors/index.js";
import { attributesText, type CatalogProduct } from "../product.js";
import {
  embeddingConflict,
  queryTerms,
  sameSpace,
  type CatalogStore,
  type EmbeddingSpace,
  type IndexCheckpoint,
  type OpenStoreOptions,
  type ProductState,
  type ProductWrite,
  type ScoredId,
  type StoreInfo,
} from "../store.js";

const SCHEMA_VERSION = "1";
/** vec0 refuses k above 4096. */
const MAX_K = 4096;
/** bm25() column weights for title, brand+colour, details: the ratios of PostgreSQL's default A/B/C weights (1, 0.4, 0.2). */
const BM25_WEIGHTS = "5.0, 2.0, 1.0";

type Db = Database.Database;

function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function fromBlob(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

function ftsColumns(p: CatalogProduct): [string, string, string] {
  const brandColor = [p.brand, p.color].filter(Boolean).join(" ");
  const details = [p.bullet_points, p.description, attributesText(p)].filter(Boolean).join("\n");
  return [p.title, brandColor, details];
}

export class SqliteStore implements CatalogStore {
  readonly kind = "sqlite" as const;
  private space: EmbeddingSpace | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  /** Transactions this connection committed (PRAGMA data_version counts only other connections'). */
  private commits = 0;
  /** The HNSW graph, once loaded or built; undefined: exact search. */
  private ann: AnnIndex | undefined;

  private constructor(
    private readonly db: Db,
    readonly location: string,
    /** The HNSW file beside the store. */
    private readonly annFile: string,
  ) {
    this.space = this.readMeta<EmbeddingSpace>("embedding");
  }

  /** Prepared once per SQL text (SQLite re-prepares a statement itself after a schema change). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** One transaction, counted for generation(). */
  private tx<T>(fn: () => T): T {
    const r = this.db.transaction(fn)();
    this.commits++;
    return r;
  }

  static async open(path: string, options: OpenStoreOptions = {}): Promise<SqliteStore> {
    const location = `sqlite:${path}`;
    if (!path) throw new EsciError("INVALID_ARGUMENT", "sqlite: store needs a file path, e.g. sqlite:catalog.db");
    const isNew = !existsSync(path);
    if (isNew && options.mustExist) throw new EsciError("NOT_FOUND", `no store at ${path}: build one with \`esci index\``, { store: location });
    let db: Db;
    try {
      db = new Database(path);
    } catch (e) {
      throw new EsciError("NOT_FOUND", `${location}: cannot open (${(e as Error).message})`, { store: location }, { cause: e });
    }
    try {
      sqliteVec.load(db);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 10000");
      SqliteStore.migrate(db, location);
    } catch (e) {
      db.close();
      if (e instanceof EsciError) throw e;
      const msg = (e as Error).message;
      if (/not a database|malformed|corrupt/i.test(msg)) throw new EsciError("CORRUPT_FILE", `${path}: not a usable SQLite store (${msg})`, { store: location }, { cause: e });
      throw e;
    }
    return new SqliteStore(db, location, `${path}.hnsw`);
  }

  private static migrate(db: Db, location: string): void {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (tables.length && !tables.includes("meta")) {
      throw new EsciError("CONFLICT", `${location} is an SQLite file but not an esci catalog store (tables: ${tables.slice(0, 5).join(", ")})`, { store: location });
    }
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS products (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        embedded INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS products_pending ON products(id) WHERE embedded = 0;
      CREATE TABLE IF NOT EXISTS vector_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, pk INTEGER NOT NULL);
      CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(title, brand_color, details, tokenize = 'porter unicode61 remove_diacritics 2');
    `);
    const v = (db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? undefined;
    if (v === undefined) db.prepare("INSERT INTO meta(key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    else if (v !== SCHEMA_VERSION) throw new EsciError("UNSUPPORTED", `${location}: store schema version ${v}; this esci reads version ${SCHEMA_VERSION}`, { store: location });
  }

  private readMeta<T>(key: string): T | undefined {
    const v = this.stmt("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  private writeMeta(key: string, value: unknown): void {
    this.stmt("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
  }

  async info(): Promise<StoreInfo> {
    const c = this.stmt("SELECT count(*) AS n, coalesce(sum(embedded), 0) AS e FROM products").get() as { n: number; e: number };
    return {
      kind: this.kind,
      location: this.location,
      embedding: this.space,
      products: c.n,
      embedded: c.e,
      pending: c.n - c.e,
      last_run: this.readMeta<IndexCheckpoint>("last_run"),
    };
  }

  async embedding(): Promise<EmbeddingSpace | undefined> {
    return this.space;
  }

  async setEmbedding(space: EmbeddingSpace, options: { reset?: boolean } = {}): Promise<void> {
    if (!Number.isInteger(space.dimension) || space.dimension < 1) throw new EsciError("INVALID_ARGUMENT", `embedding dimension must be a positive integer, got ${space.dimension}`);
    if (this.space && sameSpace(this.space, space)) return;
    if (this.space && !options.reset) throw embeddingConflict(this.location, this.space, space);
    this.tx(() => {
      this.db.exec("DROP TABLE IF EXISTS vectors");
      this.db.exec(`CREATE VIRTUAL TABLE vectors USING vec0(embedding float[${space.dimension}] distance_metric=cosine)`);
      this.db.exec("UPDATE products SET embedded = 0");
      // The graph held the old model's vectors: forget it (optimize() builds a new one).
      this.db.exec("DELETE FROM vector_log");
      this.stmt("DELETE FROM meta WHERE key = 'ann'").run();
      this.writeMeta("embedding", space);
    });
    this.space = space;
    this.ann = undefined;
  }

  private requireSpace(what: string): EmbeddingSpace {
    if (!this.space) throw new EsciError("INVALID_ARGUMENT", `${this.location}: ${what} needs an embedding model; none is recorded yet (index the catalog first)`);
    return this.space;
  }

  private checkVector(v: Float32Array, id: string): Buffer {
    const s = this.requireSpace("writing vectors");
    if (v.length !== s.dimension) throw new EsciError("INVALID_ARGUMENT", `vector of product "${id}" has ${v.length} values; the store's model makes ${s.dimension}`);
    return toBlob(v);
  }

  async write(batch: readonly ProductWrite[], checkpoint?: IndexCheckpoint): Promise<void> {
    const find = this.stmt("SELECT pk, text_hash FROM products WHERE id = ?");
    const insert = this.stmt("INSERT INTO products(id, doc, text_hash, embedded) VALUES (?, ?, ?, ?) RETURNING pk");
    const update = this.stmt("UPDATE products SET doc = ?, text_hash = ?, embedded = ? WHERE pk = ?");
    const updateKeep = this.stmt("UPDATE products SET doc = ? WHERE pk = ?");
    const ftsDel = this.stmt("DELETE FROM products_fts WHERE rowid = ?");
    const ftsIns = this.stmt("INSERT INTO products_fts(rowid, title, brand_color, details) VALUES (?, ?, ?, ?)");
    const hasVectors = this.space !== undefined;
    const vecDel = hasVectors ? this.stmt("DELETE FROM vectors WHERE rowid = ?") : undefined;
    const vecIns = hasVectors ? this.stmt("INSERT INTO vectors(rowid, embedding) VALUES (?, ?)") : undefined;
    const log = this.stmt("INSERT INTO vector_log(pk) VALUES (?)");
    const blobs = batch.map((w) => (w.vector ? this.checkVector(w.vector, w.product.id) : undefined));
    this.tx(() => {
      batch.forEach((w, i) => {
        const doc = JSON.stringify(w.product);
        const old = find.get(w.product.id) as { pk: number; text_hash: string } | undefined;
        const blob = blobs[i];
        // A kept vector stays only while the embedded text is unchanged.
        const keep = w.vector === undefined && old !== undefined && old.text_hash === w.textHash;
        let pk: number;
        if (old) {
          pk = old.pk;
          if (keep) updateKeep.run(doc, pk);
          else {
            update.run(doc, w.textHash, blob ? 1 : 0, pk);
            vecDel?.run(BigInt(pk));
            if (hasVectors) log.run(pk);
          }
          ftsDel.run(pk);
        } else {
          pk = (insert.get(w.product.id, doc, w.textHash, blob ? 1 : 0) as { pk: number }).pk;
        }
        if (blob) {
          vecIns!.run(BigInt(pk), blob);
          log.run(pk);
        }
        ftsIns.run(pk, ...ftsColumns(w.product));
      });
      if (checkpoint) this.writeMeta("last_run", checkpoint);
    });
  }

  async delete(ids: readonly string[]): Promise<number> {
    const find = this.stmt("SELECT pk FROM products WHERE id = ?").pluck();
    const del = this.stmt("DELETE FROM products WHERE pk = ?");
    const ftsDel = this.stmt("DELETE FROM products_fts WHERE rowid = ?");
    const vecDel = this.space ? this.stmt("DELETE FROM vectors WHERE rowid = ?") : undefined;
    const log = this.stmt("INSERT INTO vector_log(pk) VALUES (?)");
    return this.tx(() => {
      let n = 0;
      for (const id of ids) {
        const pk = find.get(id) as number | undefined;
        if (pk === undefined) continue;
        del.run(pk);
        ftsDel.run(pk);
        if (vecDel) {
          vecDel.run(BigInt(pk));
          log.run(pk);
        }
        n++;
      }
      return n;
    });
  }

  async putVectors(items: readonly { id: string; textHash: string; vector: Float32Array }[]): Promise<void> {
    const find = this.stmt("SELECT pk, text_hash FROM products WHERE id = ?");
    const vecDel = this.stmt("DELETE FROM vectors WHERE rowid = ?");
    const vecIns = this.stmt("INSERT INTO vectors(rowid, embedding) VALUES (?, ?)");
    const mark = this.stmt("UPDATE products SET embedded = 1 WHERE pk = ?");
    const log = this.stmt("INSERT INTO vector_log(pk) VALUES (?)");
    const blobs = items.map((x) => this.checkVector(x.vector, x.id));
    this.tx(() => {
      items.forEach((x, i) => {
        const row = find.get(x.id) as { pk: number; text_hash: string } | undefined;
        if (!row || row.text_hash !== x.textHash) return;
        vecDel.run(BigInt(row.pk));
        vecIns.run(BigInt(row.pk), blobs[i]);
        mark.run(row.pk);
        log.run(row.pk);
      });
    });
  }

  async states(ids: readonly string[]): Promise<Map<string, ProductState>> {
    const find = this.stmt("SELECT text_hash, embedded FROM products WHERE id = ?");
    const out = new Map<string, ProductState>();
    for (const id of ids) {
      const r = find.get(id) as { text_hash: string; embedded: number } | undefined;
      if (r) out.set(id, { textHash: r.text_hash, embedded: r.embedded === 1 });
    }
    return out;
  }

  async get(ids: readonly string[]): Promise<CatalogProduct[]> {
    const find = this.stmt("SELECT doc FROM products WHERE id = ?").pluck();
    const out: CatalogProduct[] = [];
    for (const id of ids) {
      const doc = find.get(id) as string | undefined;
      if (doc !== undefined) out.push(JSON.parse(doc) as CatalogProduct);
    }
    return out;
  }

  async pending(limit: number, afterId = ""): Promise<CatalogProduct[]> {
    const docs = this.stmt("SELECT doc FROM products WHERE embedded = 0 AND id > ? ORDER BY id LIMIT ?").pluck().all(afterId, limit) as string[];
    return docs.map((d) => JSON.parse(d) as CatalogProduct);
  }

  async vectorOf(id: string): Promise<Float32Array | undefined> {
    if (!this.space) return undefined;
    const b = this.stmt("SELECT v.embedding FROM products p JOIN vectors v ON v.rowid = p.pk WHERE p.id = ?").pluck().get(id) as Buffer | undefined;
    return b ? fromBlob(b) : undefined;
  }

  async searchText(query: string, k: number): Promise<ScoredId[]> {
    const terms = queryTerms(query);
    if (!terms.length || k < 1) return [];
    const match = terms.map((t) => `"${t}"`).join(" OR ");
    const rows = this.db
      .prepare(
        `SELECT p.id AS id, -bm25(products_fts, ${BM25_WEIGHTS}) AS score
         FROM products_fts f JOIN products p ON p.pk = f.rowid
         WHERE products_fts MATCH ? ORDER BY bm25(products_fts, ${BM25_WEIGHTS}), p.id LIMIT ?`,
      )
      .all(match, k) as ScoredId[];
    return rows;
  }

  async searchVector(vector: Float32Array, k: number): Promise<ScoredId[]> {
    if (!this.space || k < 1) return [];
    const blob = this.checkVector(vector, "(query)");
    const ann = this.currentAnn();
    if (ann) {
      const idOf = this.stmt("SELECT id FROM products WHERE pk = ?").pluck();
      const hits = ann.search(vector, k).map((h) => ({ id: idOf.get(h.pk) as string, score: h.score }));
      // The SQL path's order: distance, then id.
      return hits.filter((h) => h.id !== undefined).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    const rows = this.db
      .prepare(
        `WITH knn AS (SELECT rowid, distance FROM vectors WHERE embedding MATCH ? AND k = ?)
         SELECT p.id AS id, 1.0 - knn.distance AS score FROM knn JOIN products p ON p.pk = knn.rowid ORDER BY knn.distance, p.id`,
      )
      .all(blob, Math.min(k, MAX_K)) as ScoredId[];
    return rows;
  }

  /** The last vector_log sequence number (the log's AUTOINCREMENT counter survives deletes). */
  private logHead(): number {
    return (this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'vector_log'").pluck().get() as number | undefined) ?? 0;
  }

  /**
   * The HNSW graph brought up to date, or undefined (exact search) while none has been saved
   * for the current embedding. A graph saved by another process later than ours is read again.
   */
  private currentAnn(): AnnIndex | undefined {
    const saved = this.readMeta<{ seq: number }>("ann");
    if (!saved || !this.space) return (this.ann = undefined);
    if (!this.ann || this.ann.seq < saved.seq) this.ann = AnnIndex.read(this.annFile, this.space.dimension, saved.seq);
    if (this.ann) this.replayLog(this.ann);
    return this.ann;
  }

  /** Apply the vector changes logged after `ann.seq`, reading each product's current vector. */
  private replayLog(ann: AnnIndex): void {
    const vectorOf = this.stmt("SELECT embedding FROM vectors WHERE rowid = ?").pluck();
    this.db.transaction(() => {
      const head = this.logHead();
      if (head <= ann.seq) return;
      const pks = this.stmt("SELECT DISTINCT pk FROM vector_log WHERE seq > ?").pluck().all(ann.seq) as number[];
      for (const pk of pks) {
        const b = vectorOf.get(BigInt(pk)) as Buffer | undefined;
        if (b) ann.set(pk, fromBlob(b));
        else ann.delete(pk);
      }
      ann.seq = head;
    })();
  }

  /**
   * Bring the HNSW graph up to date — built anew when there is none, or when deleted products
   * hold over a fifth of its slots — and save it: file first, then its log position, then the
   * log it covers is dropped.
   */
  private syncAnn(onProgress?: (done: number, total: number) => void): void {
    const space = this.space!;
    const vectors = (this.stmt("SELECT count(*) FROM products WHERE embedded = 1").pluck().get() as number) ?? 0;
    let ann = this.currentAnn();
    if (!ann || ann.slots > 1.25 * vectors + 1024) {
      ann = this.db.transaction(() => {
        const fresh = AnnIndex.create(space.dimension, vectors, this.logHead());
        let done = 0;
        for (const row of this.stmt("SELECT rowid, embedding FROM vectors").raw().iterate() as IterableIterator<[number, Buffer]>) {
          fresh.set(Number(row[0]), fromBlob(row[1]));
          if (++done % 1000 === 0) onProgress?.(done, vectors);
        }
        return fresh;
      })();
      this.ann = ann;
    }
    ann.save(this.annFile);
    this.tx(() => {
      this.writeMeta("ann", { seq: ann.seq, dimension: space.dimension, vectors, saved: new Date().toISOString() });
      this.stmt("DELETE FROM vector_log WHERE seq <= ?").run(ann.seq);
    });
    onProgress?.(vectors, vectors);
  }

  async generation(): Promise<string> {
    return `${this.db.pragma("data_version", { simple: true }) as number}.${this.commits}`;
  }

  async lastRun(): Promise<IndexCheckpoint | undefined> {
    return this.readMeta<IndexCheckpoint>("last_run");
  }

  async setLastRun(checkpoint: IndexCheckpoint): Promise<void> {
    this.writeMeta("last_run", checkpoint);
  }

  async optimize(onProgress?: (done: number, total: number) => void): Promise<void> {
    this.db.exec("INSERT INTO products_fts(products_fts) VALUES ('optimize')");
    if (this.space) this.syncAnn(onProgress);
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
