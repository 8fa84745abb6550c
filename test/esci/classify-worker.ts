/**
 * A tiny classify process for the kill -9 test (not a test file itself): scores argv[2] into
 * argv[3] with the slowed-down FakeScorer, resuming when argv[4] is "resume", and prints the
 * result as JSON when it finishes. The test kills it at random moments and restarts it.
 */
import { classifyFile } from "../../src/esci/index.js";
import { FakeScorer } from "./helpers.js";

const [input, output, mode, interval] = process.argv.slice(2);
const result = await classifyFile(new FakeScorer({ delayMs: 1 }), {
  input,
  output,
  resume: mode === "resume",
  onError: "skip",
  chunkSize: 16,
  commitIntervalMs: Number(interval ?? 0),
});
process.stdout.write(JSON.stringify(result) + "\n");
