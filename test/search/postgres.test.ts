/**
 * The conformance suite on PostgreSQL + pgvector: one schema per store in the database named by
 * ESCI_TEST_POSTGRES_URL (`scripts/search/postgres.sh start` prints one; .ci/run exports it).
 * Outside CI, no URL or no server skips the suite with a message; in CI (CI=true) it must run.
 */
import { describe, it } from "node:test";
import pg from "pg";
import { storeConformance } from "./conformance.js";

const url = process.env.ESCI_TEST_POSTGRES_URL;
const inCi = process.env.CI === "true";

async function reachable(u: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: u, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const r = await c.query("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'vector'");
    if (r.rows[0].n === 0) return "the server has no pgvector extension (run scripts/search/install-pgvector.sh)";
    return undefined;
  } catch (e) {
    return `cannot connect (${(e as Error).message})`;
  } finally {
    await c.end().catch(() => {});
  }
}

const problem = url ? await reachable(url) : "ESCI_TEST_POSTGRES_URL is not set (start a server with `bash scripts/search/postgres.sh start` and export the URL it prints)";

if (problem && !inCi) {
  describe("postgres store conformance", () => {
    it(`skipped: ${problem}`, { skip: `PostgreSQL unavailable: ${problem}` }, () => {});
  });
} else if (problem) {
  describe("postgres store conformance", () => {
    it("needs PostgreSQL + pgvector in CI", () => {
      throw new Error(`CI=true but PostgreSQL is unavailable: ${problem}`);
    });
  });
} else {
  const prefix = `esci_t${process.pid}_${Date.now().toString(36)}`;
  const schemas: string[] = [];
  const withSchema = (s: string) => {
    const u = new URL(url!);
    u.searchParams.set("schema", s);
    return u.toString();
  };
  storeConformance("postgres", {
    newSpec: async () => {
      const s = `${prefix}_${schemas.length + 1}`;
      schemas.push(s);
      return withSchema(s);
    },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  });
}
