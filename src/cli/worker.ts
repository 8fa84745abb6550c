/**
 * `esci worker`: serve the shards of `esci classify|predict|index --queue` from a Redis (BullMQ)
 * queue until SIGINT/SIGTERM, which lets the shards in hand finish first (a worker that dies
 * instead has its shards retried elsewhere once their lock expires).
 */
import { startWorker } from "../jobs/worker.js";
import { displayUrl, parseQueueUrl } from "../jobs/connection.js";
import { bool, num, parseFlags, requireStr } from "./args.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";

const HELP = `Usage:
  esci worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--threads N] [--quiet]

Takes shards that coordinators (esci classify|predict|index --queue) put on the queue, loads the
model each names (hub id or path — a path must hold the same checkpoint on every machine; a
worker whose weights' sha256 differs from the job's refuses the shard, and the coordinator shows
why), scores or embeds the shard and returns the result. Run one per machine, or several with
--threads 1 on one machine. SIGINT/SIGTERM finish the shards in hand, then exit.

Flags:
  --queue URL          the coordinators' Redis (same database number)
  --concurrency N      shards processed at once by this process (default 1)
  --threads N          ONNX Runtime threads per model (default: all cores)
  --quiet              no progress line`;

export const workerCommand: Command = {
  name: "worker",
  summary: "score or embed shards from a Redis (BullMQ) queue for classify/predict/index --queue",
  help: HELP,
  async run(argv) {
    const p = parseFlags(argv, { queue: { type: "string" }, concurrency: { type: "string" }, threads: { type: "string" }, quiet: { type: "boolean" } });
    const url = requireStr(p, "queue");
    parseQueueUrl(url);
    const quiet = bool(p, "quiet");
    const bar = new ProgressBar({ label: "worker", unit: "rows", quiet });
    let rows = 0;
    let shards = 0;
    let failures = 0;
    const worker = await startWorker({
      url,
      concurrency: num(p, "concurrency", { integer: true, min: 1 }),
      threads: num(p, "threads", { integer: true, min: 1 }),
      onShard: (_kind, n) => bar.update((rows += n), undefined, { shards: ++shards, failed: failures }),
      onFailure: (first, reason) => {
        failures++;
        if (!quiet) process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}esci: shard from record ${first + 1} failed: ${reason}\n`);
      },
    });
    if (!quiet) process.stderr.write(`esci: ${worker.name} waiting for shards on ${displayUrl(url)}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
    });
    if (!quiet) process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}esci: ${signal}: finishing the shards in hand…\n`);
    await worker.close();
    bar.finish();
    return 0;
  },
};
