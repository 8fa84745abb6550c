/**
 * A tiny classify process for the kill -9 test (not a test file itself): scores argv[2] into
 * argv[3] with the slowed-down FakeScorer, resuming when argv[4] is "resume", and prints the
 * result as JSON when it finishes.
 *
 * Test-only kill point: with ESCI_TEST_KILL_AFTER_ROWS=N the process sends itself SIGKILL as soon
 * as classifyFile reports N or more rows done (its progress callback runs after each chunk is
 * written, and committed when the commit interval says so). A kill at a counted row, not after a
 * random delay, makes the test independent of machine speed and load.
 */
import { classifyFile } from "../../src/esci/index.js";
import { FakeScorer } from "./helpers.js";

const [input, output, mode, interval] = process.argv.slice(2);
const killAfter = process.env.ESCI_TEST_KILL_AFTER_ROWS === undefined ? Infinity : Number(process.env.ESCI_TEST_KILL_AFTER_ROWS);
const result = await classifyFile(new FakeScorer({ delayMs: 1 }), {
  input,
  output,
  resume: mode === "resume",
  onError: "skip",
  chunkSize: 16,
  commitIntervalMs: Number(interval ?? 0),
  // SIGKILL keeps the page cache, so what the test checks does not need fsync (which guards
  // against power loss); without it, each of a run's ~190 commits does not wait for the disk.
  durable: false,
  onProgress: (done) => {
    if (done >= killAfter) process.kill(process.pid, "SIGKILL");
  },
});
process.stdout.write(JSON.stringify(result) + "\n");
