/**
 * The catalog store on PostgreSQL + pgvector, for catalogs past what one SQLite file searches
 * quickly and for several processes (server replicas) sharing one catalog.
 *
 *   <schema>.products  pk · id · doc jsonb · text_hash · embedded · tsv (weighted: title A,
 *                      brand+colour B, details C; english stemming as SQLite's porter) + GIN
 *   <schema>.vectors   pk → products (cascade) · embedding vector(dimension) + HNSW (cosine)
 *   <schema>.meta      embedding space, last index run, schema version
 *
 * The spec is a libpq URL; `?schema=NAME` (default "esci") keeps several stores in one database.
 * The HNSW index is built by optimize() after the first bulk load — building it once over all
 * rows is several times faster than growing it row by row — and maintained by later writes;
 * until it exists vector search is an exact scan, so results are right either way.
 * `hnsw.ef_search` is raised to max(8k, 200) per query (at most 1000): pgvector's default (40)
 * would cap results at ~40, and recall@100 reached 0.95 only from ef ≈ 800 (0.83 at 256, 0.97 at
 * 800, 0.98 at 1000 on 100k × 768; docs/search.md).
 *
 * Crash safety is PostgreSQL's: each write() is one transaction holding its rows, vectors and
 * the indexer's checkpoint.
 */
import pg from "pg";
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
/** maintenance_work_mem for the HNSW build (ESCI_PG_BUILD_MEMORY overrides, e.g. "2GB"). */
const HNSW_BUILD_MEMORY = /^\d+\s*(kB|MB|GB)$/.test(process.env.ESCI_PG_BUILD_MEMORY ?? "") ? process.env.ESCI_PG_BUILD_MEMORY! : "512MB";
const DEFAULT_SCHEMA = "esci";
/** The text search configuration; "english" stems as SQLite's porter tokenizer does. */
const TS_CONFIG = "english";
const TSV_EXPR = `setweight(to_tsvector('${TS_CONFIG}', u.t), 'A') || setweight(to_tsvector('${TS_CONFIG}', u.bc), 'B') || setweight(to_tsvector('${TS_CONFIG}', u.d), 'C')`;

/** pgvector's text form; 9 significant digits round-trip a float32. */
export function vectorLiteral(v: Float32Array): string {
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i ? "," : "") + (Number.isFinite(v[i]) ? Number(v[i].toPrecision(9)) : 0);
  return s + "]";
}

export function parseVectorLiteral(s: string): Float32Array {
  const body = s.trim().replace(/^\[|\]$/g, "");
  return body === "" ? new Float32Array(0) : Float32Array.from(body.split(","), Number);
}

function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, "$1:***@");
}

function pgError(e: unknown, location: string): EsciError {
  if (e instanceof EsciError) return e;
  const err = e as Error & { code?: string };
  if (err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" || err.code === "ETIMEDOUT" || err.code === "EHOSTUNREACH") {
    return new EsciError("NETWORK", `cannot reach PostgreSQL for ${location} (${err.code}); is the server running? (scripts/search/postgres.sh start)`, { store: location }, { cause: e });
  }
  if (err.code === "3D000") return new EsciError("NOT_FOUND", `${location}: ${err.message}`, { store: location }, { cause: e });
  if (err.code === "28P01" || err.code === "28000") return new EsciError("UNAUTHORIZED", `${location}: ${err.message}`, { store: location }, { cause: e });
  return new EsciError("INTERNAL", `${location}: PostgreSQL error ${err.code ?? ""} ${err.message}`, { store: location }, { cause: e });
}

function ftsParts(p: CatalogProduct): [string, string, string] {
  return [p.title, [p.brand, p.color].filter(Boolean).join(" "), [p.bullet_points, p.description, attributesText(p)].filter(Boolean).join("\n")];
}

export class PostgresStore implements CatalogStore {
  readonly kind = "postgres" as const;
  private space: EmbeddingSpace | undefined;
  private readonly t: { meta: string; products: string; vectors: string };

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly schema: string,
  ) {
    const q = `"${schema}"`;
    this.t = { meta: `${q}.meta`, products: `${q}.products`, vectors: `${q}.vectors` };
  }

  static async open(spec: string, options: OpenStoreOptions = {}): Promise<PostgresStore> {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new EsciError("INVALID_ARGUMENT", `not a PostgreSQL URL: "${redact(spec)}" (expected postgres://user@host:port/db[?schema=NAME])`);
    }
    const schema = url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
    url.searchParams.delete("schema");
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new EsciError("INVALID_ARGUMENT", `schema "${schema}" must be lower-case letters, digits and _ (from ?schema=)`);
    const location = redact(spec);
    const pool = new pg.Pool({ connectionString: url.toString(), max: 4, idleTimeoutMillis: 10_000 });
    pool.on("error", () => {}); // an idle client's error (server restart) surfaces on the next query instead
    const store = new PostgresStore(pool, location, schema);
    try {
      await store.migrate(options.mustExist === true);
      store.space = await store.readMeta<EmbeddingSpace>("embedding");
    } catch (e) {
      await pool.end().catch(() => {});
      throw pgError(e, location);
    }
    return store;
  }

  private async migrate(mustExist: boolean): Promise<void> {
    const exists = await this.pool.query("SELECT to_regclass($1) IS NOT NULL AS e", [`${this.schema}.meta`]);
    if (!exists.rows[0].e) {
      if (mustExist) throw new EsciError("NOT_FOUND", `no store at ${this.location} (schema "${this.schema}" has no esci tables): build one with \`esci index\``, { store: this.location });
      await this.tx(async (c) => {
        // Serialise concurrent first opens of the same database (CREATE EXTENSION is not concurrency-safe).
        await c.query("SELECT pg_advisory_xact_lock(hashtext('esci-store-migrate'))");
        try {
          await c.query("CREATE EXTENSION IF NOT EXISTS vector");
        } catch (e) {
          const err = e as Error & { code?: string };
          throw new EsciError(
            "UNSUPPORTED",
            `${this.location}: the pgvector extension is not available on this server (${err.message}); install it (Debian: scripts/search/install-pgvector.sh) or ask the database owner to run CREATE EXTENSION vector`,
            { store: this.location },
            { cause: e },
          );
        }
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await c.query(`CREATE TABLE IF NOT EXISTS ${this.t.meta} (key text PRIMARY KEY, value text NOT NULL)`);
        await c.query(`CREATE TABLE IF NOT EXISTS ${this.t.products} (
          pk bigserial PRIMARY KEY,
          id text NOT NULL UNIQUE,
          doc jsonb NOT NULL,
          text_hash text NOT NULL,
          embedded boolean NOT NULL DEFAULT false,
          tsv tsvector NOT NULL)`);
        await c.query(`CREATE INDEX IF NOT EXISTS products_tsv ON ${this.t.products} USING gin (tsv)`);
        await c.query(`CREATE INDEX IF NOT EXISTS products_pending ON ${this.t.products} (id) WHERE NOT embedded`);
        await c.query(`INSERT INTO ${this.t.meta}(key, value) VALUES ('schema', $1) ON CONFLICT (key) DO NOTHING`, [SCHEMA_VERSION]);
      });
    }
    const v = await this.readMeta<string>("schema", false);
    if (v !== SCHEMA_VERSION) throw new EsciError("UNSUPPORTED", `${this.location}: store schema version ${v}; this esci reads version ${SCHEMA_VERSION}`, { store: this.location });
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const r = await fn(c);
      await c.query("COMMIT");
      return r;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw pgError(e, this.location);
    }
  }

  private async readMeta<T>(key: string, json = true, c: pg.Pool | pg.PoolClient = this.pool): Promise<T | undefined> {
    const r = await c.query(`SELECT value FROM ${this.t.meta} WHERE key = $1`, [key]);
    if (!r.rows.length) return undefined;
    return (json ? JSON.parse(r.rows[0].value) : r.rows[0].value) as T;
  }

  private async writeMeta(c: pg.Pool | pg.PoolClient, key: string, value: unknown): Promise<void> {
    await c.query(`INSERT INTO ${this.t.meta}(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, JSON.stringify(value)]);
  }

  /** Counts committed writes in meta "generation", inside the writing transaction. */
  private async bumpGeneration(c: pg.PoolClient): Promise<void> {
    await c.query(`INSERT INTO ${this.t.meta} AS m (key, value) VALUES ('generation', '1') ON CONFLICT (key) DO UPDATE SET value = (m.value::bigint + 1)::text`);
  }

  async generation(): Promise<string> {
    return this.run(async () => (await this.readMeta<string>("generation", false)) ?? "0");
  }

  async info(): Promise<StoreInfo> {
    return this.run(async () => {
      const r = await this.pool.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE embedded)::int AS e FROM ${this.t.products}`);
      const { n, e } = r.rows[0] as { n: number; e: number };
      return { kind: this.kind, location: this.location, embedding: this.space, products: n, embedded: e, pending: n - e, last_run: await this.readMeta<IndexCheckpoint>("last_run") };
    });
  }

  async embedding(): Promise<EmbeddingSpace | undefined> {
    return this.space;
  }

  async setEmbedding(space: EmbeddingSpace, options: { reset?: boolean } = {}): Promise<void> {
    if (!Number.isInteger(space.dimension) || space.dimension < 1 || space.dimension > 16000) {
      throw new EsciError("INVALID_ARGUMENT", `embedding dimension must be an integer from 1 to 16000 (pgvector's limit), got ${space.dimension}`);
    }
    if (this.space && sameSpace(this.space, space)) return;
    if (this.space && !options.reset) throw embeddingConflict(this.location, this.space, space);
    await this.run(() =>
      this.tx(async (c) => {
        await c.query(`DROP TABLE IF EXISTS ${this.t.vectors}`);
        await c.query(`CREATE TABLE ${this.t.vectors} (pk bigint PRIMARY KEY REFERENCES ${this.t.products}(pk) ON DELETE CASCADE, embedding vector(${space.dimension}) NOT NULL)`);
        await c.query(`UPDATE ${this.t.products} SET embedded = false WHERE embedded`);
        await this.writeMeta(c, "embedding", space);
        await this.bumpGeneration(c);
      }),
    );
    this.space = space;
  }

  private vectorText(v: Float32Array, id: string): string {
    if (!this.space) throw new EsciError("INVALID_ARGUMENT", `${this.location}: writing vectors needs an embedding model; none is recorded yet (index the catalog first)`);
    if (v.length !== this.space.dimension) throw new EsciError("INVALID_ARGUMENT", `vector of product "${id}" has ${v.length} values; the store's model makes ${this.space.dimension}`);
    return vectorLiteral(v);
  }

  async write(batch: readonly ProductWrite[], checkpoint?: IndexCheckpoint): Promise<void> {
    // One row per id (the last wins), as SQLite's row-by-row upsert would leave it.
    const byId = new Map<string, ProductWrite>();
    for (const w of batch) byId.set(w.product.id, w);
    const items = [...byId.values()];
    const vecs = items.map((w) => (w.vector ? this.vectorText(w.vector, w.product.id) : undefined));
    await this.run(() =>
      this.tx(async (c) => {
        const ids = items.map((w) => w.product.id);
        const old = new Map<string, { text_hash: string; embedded: boolean }>();
        if (ids.length) {
          const r = await c.query(`SELECT id, text_hash, embedded FROM ${this.t.products} WHERE id = ANY($1::text[]) FOR UPDATE`, [ids]);
          for (const row of r.rows) old.set(row.id, row);
        }
        const cols = { id: [] as string[], doc: [] as string[], h: [] as string[], e: [] as boolean[], t: [] as string[], bc: [] as string[], d: [] as string[] };
        const dropVector: string[] = [];
        items.forEach((w, i) => {
          const o = old.get(w.product.id);
          const keep = w.vector === undefined && o !== undefined && o.text_hash === w.textHash;
          const [t, bc, d] = ftsParts(w.product);
          cols.id.push(w.product.id);
          cols.doc.push(JSON.stringify(w.product));
          cols.h.push(w.textHash);
          cols.e.push(keep ? o!.embedded : vecs[i] !== undefined);
          cols.t.push(t);
          cols.bc.push(bc);
          cols.d.push(d);
          if (o && !keep && !vecs[i]) dropVector.push(w.product.id);
        });
        if (items.length) {
          const r = await c.query(
            `INSERT INTO ${this.t.products}(id, doc, text_hash, embedded, tsv)
             SELECT u.id, u.doc::jsonb, u.h, u.e, ${TSV_EXPR}
             FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::text[]) AS u(id, doc, h, e, t, bc, d)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, text_hash = excluded.text_hash, embedded = excluded.embedded, tsv = excluded.tsv
             RETURNING id, pk`,
            [cols.id, cols.doc, cols.h, cols.e, cols.t, cols.bc, cols.d],
          );
          const pkOf = new Map<string, string>(r.rows.map((x) => [x.id as string, x.pk as string]));
          if (this.space && dropVector.length) {
            await c.query(`DELETE FROM ${this.t.vectors} WHERE pk = ANY($1::bigint[])`, [dropVector.map((id) => pkOf.get(id))]);
          }
          const withVec = items.map((w, i) => [pkOf.get(w.product.id)!, vecs[i]] as const).filter((x): x is readonly [string, string] => x[1] !== undefined);
          if (withVec.length) {
            await c.query(
              `INSERT INTO ${this.t.vectors}(pk, embedding) SELECT * FROM unnest($1::bigint[], $2::vector[])
               ON CONFLICT (pk) DO UPDATE SET embedding = excluded.embedding`,
              [withVec.map((x) => x[0]), withVec.map((x) => x[1])],
            );
          }
        }
        if (checkpoint) await this.writeMeta(c, "last_run", checkpoint);
        await this.bumpGeneration(c);
      }),
    );
  }

  async delete(ids: readonly string[]): Promise<number> {
    if (!ids.length) return 0;
    return this.run(() =>
      this.tx(async (c) => {
        const n = (await c.query(`DELETE FROM ${this.t.products} WHERE id = ANY($1::text[])`, [ids])).rowCount ?? 0;
        await this.bumpGeneration(c);
        return n;
      }),
    );
  }

  async putVectors(items: readonly { id: string; textHash: string; vector: Float32Array }[]): Promise<void> {
    if (!items.length) return;
    const vecs = items.map((x) => this.vectorText(x.vector, x.id));
    await this.run(() =>
      this.tx(async (c) => {
        // Only products whose embedded text is still the one these vectors were made from.
        const r = await c.query(
          `WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::vector[]) AS u(id, h, v)),
                m AS (SELECT p.pk, u.v FROM u JOIN ${this.t.products} p ON p.id = u.id AND p.text_hash = u.h),
                ins AS (INSERT INTO ${this.t.vectors}(pk, embedding) SELECT pk, v FROM m ON CONFLICT (pk) DO UPDATE SET embedding = excluded.embedding RETURNING pk)
           UPDATE ${this.t.products} SET embedded = true WHERE pk IN (SELECT pk FROM ins)`,
          [items.map((x) => x.id), items.map((x) => x.textHash), vecs],
        );
        await this.bumpGeneration(c);
        return r;
      }),
    );
  }

  async states(ids: readonly string[]): Promise<Map<string, ProductState>> {
    const out = new Map<string, ProductState>();
    if (!ids.length) return out;
    const r = await this.run(() => this.pool.query(`SELECT id, text_hash, embedded FROM ${this.t.products} WHERE id = ANY($1::text[])`, [ids]));
    for (const row of r.rows) out.set(row.id, { textHash: row.text_hash, embedded: row.embedded });
    return out;
  }

  async get(ids: readonly string[]): Promise<CatalogProduct[]> {
    if (!ids.length) return [];
    const r = await this.run(() => this.pool.query(`SELECT id, doc FROM ${this.t.products} WHERE id = ANY($1::text[])`, [ids]));
    const byId = new Map<string, CatalogProduct>(r.rows.map((row) => [row.id as string, row.doc as CatalogProduct]));
    return ids.map((id) => byId.get(id)).filter((p): p is CatalogProduct => p !== undefined);
  }

  async pending(limit: number, afterId = ""): Promise<CatalogProduct[]> {
    const r = await this.run(() =>
      this.pool.query(`SELECT doc FROM ${this.t.products} WHERE NOT embedded AND id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, [afterId, limit]),
    );
    return r.rows.map((row) => row.doc as CatalogProduct);
  }

  async vectorOf(id: string): Promise<Float32Array | undefined> {
    if (!this.space) return undefined;
    const r = await this.run(() => this.pool.query(`SELECT v.embedding::text AS e FROM ${this.t.products} p JOIN ${this.t.vectors} v ON v.pk = p.pk WHERE p.id = $1`, [id]));
    return r.rows.length ? parseVectorLiteral(r.rows[0].e) : undefined;
  }

  async searchText(query: string, k: number): Promise<ScoredId[]> {
    const terms = queryTerms(query);
    if (!terms.length || k < 1) return [];
    const r = await this.run(() =>
      this.pool.query(
        `SELECT p.id, ts_rank(p.tsv, q, 1) AS score FROM ${this.t.products} p, to_tsquery('${TS_CONFIG}', $1) q
         WHERE p.tsv @@ q ORDER BY score DESC, p.id LIMIT $2`,
        [terms.join(" | "), k],
      ),
    );
    return r.rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  }

  async searchVector(vector: Float32Array, k: number): Promise<ScoredId[]> {
    if (!this.space || k < 1) return [];
    const v = this.vectorText(vector, "(query)");
    const rows = await this.run(() =>
      this.tx(async (c) => {
        await c.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, Math.max(200, 8 * k)))]);
        const r = await c.query(
          `WITH knn AS (SELECT pk, embedding <=> $1::vector AS d FROM ${this.t.vectors} ORDER BY embedding <=> $1::vector LIMIT $2)
           SELECT p.id, 1 - knn.d AS score FROM knn JOIN ${this.t.products} p ON p.pk = knn.pk ORDER BY knn.d, p.id`,
          [v, k],
        );
        return r.rows;
      }),
    );
    return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  }

  async lastRun(): Promise<IndexCheckpoint | undefined> {
    return this.run(() => this.readMeta<IndexCheckpoint>("last_run"));
  }

  async setLastRun(checkpoint: IndexCheckpoint): Promise<void> {
    await this.run(() => this.writeMeta(this.pool, "last_run", checkpoint));
  }

  async optimize(): Promise<void> {
    if (!this.space) return;
    await this.run(async () => {
      await this.tx(async (c) => {
        // pgvector builds HNSW much faster when the graph fits in maintenance_work_mem (default 64 MB;
        // 100k × 768 floats need ~400 MB); SET LOCAL lasts for this transaction only.
        await c.query(`SET LOCAL maintenance_work_mem = '${HNSW_BUILD_MEMORY}'`);
        await c.query(`CREATE INDEX IF NOT EXISTS vectors_hnsw ON ${this.t.vectors} USING hnsw (embedding vector_cosine_ops)`);
      });
      await this.pool.query(`ANALYZE ${this.t.products}`);
      await this.pool.query(`ANALYZE ${this.t.vectors}`);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
