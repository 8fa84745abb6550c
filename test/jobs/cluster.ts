/**
 * Test helpers for the job queue: the Redis the suite runs against (ESCI_TEST_REDIS_URL, one
 * database per test), and esci CLI processes — coordinators and workers — started, awaited and
 * always stopped. Not a test file itself.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { REPO_ROOT } from "../helpers/paths.js";

export const CLI = join(REPO_ROOT, "dist", "src", "cli", "main.js");
export const REDIS_SH = join(REPO_ROOT, "scripts", "jobs", "redis.sh");

/** Why the suite cannot run, or undefined when ESCI_TEST_REDIS_URL answers PING. */
export async function redisProblem(url: string | undefined): Promise<string | undefined> {
  if (!url) return "ESCI_TEST_REDIS_URL is not set (start a server with `bash scripts/jobs/redis.sh start` and export the URL it prints)";
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (e) {
    return `cannot reach ${url} (${(e as Error).message})`;
  } finally {
    r.disconnect();
  }
}

/** `base` with database `db`, emptied first. */
export async function freshDb(base: string, db: number): Promise<string> {
  const u = new URL(base);
  u.pathname = `/${db}`;
  const r = new Redis(u.toString());
  await r.flushdb();
  r.disconnect();
  return u.toString();
}

// Job ids are "<run>-<first row>"; BullMQ's own throttle key "stalled-check" (a TTL a worker sets
// each stalled-job scan) has a hyphen too, but belongs to the queue, not to a job.
async function jobKeysOf(r: Redis): Promise<string[]> {
  return (await r.keys("bull:esci-shards:*-*")).filter((k) => !k.endsWith(":stalled-check"));
}

/** Keys in `url`'s database that belong to jobs (not the queue's own bookkeeping). */
export async function jobKeys(url: string): Promise<string[]> {
  const r = new Redis(url);
  const keys = await jobKeysOf(r);
  r.disconnect();
  return keys;
}

/** BullMQ options of every job in `url`'s database. */
export async function jobOptions(url: string): Promise<Record<string, unknown>[]> {
  const r = new Redis(url);
  const out: Record<string, unknown>[] = [];
  for (const k of await jobKeysOf(r)) {
    if ((await r.type(k)) !== "hash") continue;
    out.push(JSON.parse((await r.hget(k, "opts")) ?? "{}") as Record<string, unknown>);
  }
  r.disconnect();
  return out;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export class Procs {
  private readonly children = new Set<ChildProcess>();
  readonly cache = mkdtempSync(join(tmpdir(), "esci-jobs-cache-"));

  /** Start `esci …args` with extra environment; `exit` resolves when it ends. */
  start(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT): { child: ChildProcess; exit: Promise<Exit>; stderr: () => string } {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, ESCI_CACHE: this.cache, ESCI_JOBS_LOCK_MS: "2000", HF_HUB_OFFLINE: "1", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.children.add(child);
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exit = new Promise<Exit>((res) =>
      child.on("exit", (code, signal) => {
        this.children.delete(child);
        res({ code, signal, stderr });
      }),
    );
    return { child, exit, stderr: () => stderr };
  }

  worker(url: string, env: Record<string, string> = {}, cwd?: string) {
    return this.start(["worker", "--queue", url, "--threads", "1"], env, cwd);
  }

  /** SIGTERM a worker and wait until it has finished its shards and exited. */
  async stop(p: { child: ChildProcess; exit: Promise<Exit> }): Promise<Exit> {
    p.child.kill("SIGTERM");
    return p.exit;
  }

  run(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ESCI_CACHE: this.cache, HF_HUB_OFFLINE: "1", ...env }, encoding: "utf8" });
  }

  /** Kill whatever is still running and delete the cache. */
  async cleanup(): Promise<void> {
    const left = [...this.children].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : (c.once("exit", r), c.kill("SIGKILL")))));
    await Promise.all(left);
    rmSync(this.cache, { recursive: true, force: true });
  }
}
