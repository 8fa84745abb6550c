// Shared by the scale-out scripts: a throwaway Redis (scripts/jobs/redis.sh in its own directory),
// esci worker processes, and timed esci CLI runs. Every process started here is stopped on exit.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const REDIS_SH = join(ROOT, "scripts", "jobs", "redis.sh");

const children = new Set();
let redisDir;

export function startRedis() {
  redisDir = mkdtempSync(join(tmpdir(), "esci-redis-bench-"));
  const r = spawnSync("bash", [REDIS_SH, "start"], { env: { ...process.env, ESCI_REDIS_DIR: redisDir }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`redis.sh start failed: ${r.stderr}`);
  return r.stdout.trim();
}

function stopRedis() {
  if (redisDir) spawnSync("bash", [REDIS_SH, "stop"], { env: { ...process.env, ESCI_REDIS_DIR: redisDir } });
  redisDir = undefined;
}

/** `esci worker --queue url --threads 1`; resolves when it has said it is waiting. */
export function startWorker(url, env = {}) {
  const child = spawn(process.execPath, [CLI, "worker", "--queue", url, "--threads", "1"], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return new Promise((res, rej) => {
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      if (err.includes("waiting for shards")) res(child);
    });
    child.on("exit", (code) => rej(new Error(`worker exited (${code}): ${err}`)));
  });
}

export async function stopWorker(child) {
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await done;
}

/** Run `esci …args` to completion; returns seconds taken (throws on a non-zero exit). */
export function timed(args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`esci ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return s;
}

export function scratch(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => rmSync(d, { recursive: true, force: true }));
  return d;
}

function cleanup() {
  for (const c of children) c.kill("SIGKILL");
  stopRedis();
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));
