#!/usr/bin/env node
// Runs the tests that once failed at random (issue 14 item 11: kill -9 at a random moment,
// wall-clock assertions, sibling folders, load-dependent transfers) N times while busy loops hold
// the CPU, and prints how often each failed. A test that passes here only because the machine was
// idle is a test that will fail in CI.
//
//   npm run build && node scripts/reliability/stress.mjs [--runs 30] [--loops 2] [--json FILE] [paths…]
//
// paths: compiled test files (default: the list below). Each run is one `node --test` process per
// file, in order; the busy loops are child processes spinning on a core each, stopped on exit,
// Ctrl-C included. The job-queue test joins the list when ESCI_TEST_REDIS_URL is set.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");
const DEFAULT = [
  "dist/test/esci/classify.test.js", // kill -9 of classify at a counted row, then --resume
  "dist/test/train/resume.test.js", // kill -9 of train at a counted step, then --resume
  "dist/test/train/distill/resume.test.js", // the same for distill
  "dist/test/search/cli.test.js", // esci index killed mid-catalog, then resumed
  "dist/test/server/queue.test.js", // the batching queue (once asserted wall-clock times)
  "dist/test/server/timeouts.test.js", // header/body/idle timeouts with short limits
  "dist/test/hub/transfer.test.js", // interrupted downloads against a loopback server
  "dist/test/hub/settings.test.js", // once failed when ../nope existed
  ...(process.env.ESCI_TEST_REDIS_URL ? ["dist/test/jobs/queue.test.js"] : []), // worker kill -9, Redis restart
];

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "30" }, loops: { type: "string", default: "2" }, json: { type: "string" } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const files = positionals.length ? positionals : DEFAULT;

const loops = Array.from({ length: Number(values.loops) }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopLoops = () => loops.forEach((l) => l.kill("SIGKILL"));
process.on("exit", stopLoops);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

const results = Object.fromEntries(files.map((f) => [f, { pass: 0, fail: 0, failures: [] }]));
const started = Date.now();
const loads = [];
for (let run = 1; run <= runs; run++) {
  for (const file of files) {
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=dot", join(ROOT, file)], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
    const ok = r.status === 0;
    results[file][ok ? "pass" : "fail"]++;
    if (!ok) results[file].failures.push({ run, status: r.status, tail: (r.stdout + r.stderr).slice(-2000) });
    process.stderr.write(ok ? "." : "F");
  }
  loads.push(loadavg()[0]);
  process.stderr.write(` run ${run}/${runs} (load ${loadavg()[0].toFixed(1)}, ${((Date.now() - started) / 60000).toFixed(1)} min)\n`);
}
stopLoops();

const total = Object.values(results).reduce((a, r) => a + r.fail, 0);
console.log(`\n${runs} runs with ${loops.length} busy loops, load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log("| test file | passed | failed |\n|---|---|---|");
for (const [f, r] of Object.entries(results)) console.log(`| ${f.replace(/^dist\//, "").replace(/\.js$/, ".ts")} | ${r.pass} | ${r.fail} |`);
for (const [f, r] of Object.entries(results)) for (const x of r.failures) console.log(`\n--- ${f}, run ${x.run} (exit ${x.status}):\n${x.tail}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), runs, loops: loops.length, loadavg: loads, results }, null, 2));
process.exitCode = total ? 1 : 0;
