/**
 * The one BullMQ queue that coordinators and workers share, and how a `redis://` URL becomes its
 * connection.
 *
 * Every esci job (scoring pairs, embedding texts) goes to one queue, `esci-shards`, so a worker
 * started with just `--queue URL` serves whatever coordinator uses the same Redis database.
 * Connections retry forever (`maxRetriesPerRequest: null`, as BullMQ requires of workers): a Redis
 * restart stalls the work rather than failing it, and it resumes when the server is back. The
 * lock and stalled-check interval (BullMQ's `lockDuration` / `stalledInterval`, 30 s by default)
 * can be shortened through ESCI_JOBS_LOCK_MS so tests see a killed worker's shard retried quickly.
 */
import { Queue } from "bullmq";
import { EsciError } from "../errors/index.js";

export const QUEUE_NAME = "esci-shards";

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
}

/** redis://[user:pass@]HOST[:PORT][/DB] (or rediss:// for TLS) → ioredis options. */
export function parseQueueUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EsciError("INVALID_ARGUMENT", `\`url\` must be a URL like redis://HOST:PORT/DB, got "${url}"`, { option: "url", value: displayUrl(url) });
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new EsciError("INVALID_ARGUMENT", `\`url\` must be a redis:// or rediss:// URL, got "${url}"`, { option: "url", value: displayUrl(url) });
  }
  const dbPart = u.pathname.replace(/^\//, "");
  const db = dbPart === "" ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0) throw new EsciError("INVALID_ARGUMENT", `\`url\` ${url}: the path must be a database number, got "/${dbPart}"`, { option: "url", value: displayUrl(url) });
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** The URL without its password, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** How long a worker's lock on a shard lasts before the shard counts as stalled (ms). */
export function lockMs(): number {
  const v = Number(process.env.ESCI_JOBS_LOCK_MS ?? "");
  return Number.isInteger(v) && v >= 200 ? v : 30_000;
}

/** Open the shared queue and wait until Redis answers (UNAVAILABLE naming the URL if it does not). */
export async function openQueue(url: string, timeoutMs = 10_000): Promise<Queue> {
  const queue = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url) });
  queue.on("error", () => {}); // reconnects are retried; the caller reports lasting failures
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    await queue.close().catch(() => {});
    throw new EsciError("UNAVAILABLE", `cannot reach Redis at ${displayUrl(url)} (${(e as Error).message}); start redis-server there or fix \`url\``, { option: "url", url: displayUrl(url) });
  } finally {
    clearTimeout(timer);
  }
  return queue;
}
