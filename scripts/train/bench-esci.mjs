/**
 * esci side of scripts/train/bench.mjs: optimizer steps of esci's trainer (runTraining: ONNX
 * Runtime forward + backward, gradient averaging, clipping, AdamW) on a DistilRoBERTa-sized
 * checkpoint, batches of `batch` pairs of exactly `length` tokens (no padding), as the PyTorch side.
 *
 * One JSON settings argument in, one JSON result line out; peak RSS is this whole process's,
 * the final checkpoint and export included.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EncodedDataset, initialModel, resolveOptions, runTraining } from "../../dist/src/train/index.js";
import { mulberry32 } from "../../dist/src/models/random-checkpoint.js";

const cfg = JSON.parse(process.argv[2]);
const out = mkdtempSync(join(tmpdir(), "esci-train-bench-"));
try {
  const model = await initialModel(cfg.modelDir, { seed: 0 });
  const rand = mulberry32(0);
  const total = cfg.warmup + cfg.steps;
  const encodings = Array.from({ length: total * cfg.batch }, () => {
    const ids = Array.from({ length: cfg.length }, () => 3 + Math.floor(rand() * (model.config.vocabSize - 3)));
    ids[0] = 0;
    ids[cfg.length - 1] = 2;
    return { inputIds: ids, tokenTypeIds: new Array(cfg.length).fill(0) };
  });
  const train = EncodedDataset.fromEncodings(encodings, encodings.map((_, i) => i % 4));
  const options = resolveOptions({
    base: cfg.modelDir,
    data: "(random ids)",
    output: out,
    batchSize: cfg.batch,
    epochs: 1,
    maxSteps: total,
    evalEvery: 0,
    shuffle: false,
    dropout: cfg.dropout,
    threads: cfg.threads,
    saveEvery: 10 ** 9,
  });
  const stepMs = [];
  const cpuMs = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  await runTraining({
    options,
    model,
    train,
    padId: 1,
    onStart: () => {
      last = performance.now();
      lastCpu = process.cpuUsage();
    },
    onStep: () => {
      const now = performance.now();
      const c = process.cpuUsage(lastCpu);
      stepMs.push(now - last);
      cpuMs.push((c.user + c.system) / 1000);
      last = now;
      lastCpu = process.cpuUsage();
    },
  });
  const times = stepMs.slice(cfg.warmup).sort((a, b) => a - b);
  const med = times[(times.length - 1) >> 1];
  const cpuSteps = cpuMs.slice(cfg.warmup).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      engine: `esci${cfg.dropout ? ` dropout ${cfg.dropout}` : ""}`,
      msPerStep: med,
      tokensPerSec: (cfg.batch * cfg.length * 1000) / med,
      stepMs: times.map(Math.round),
      cpuMsPerStep: cpuSteps[(cpuSteps.length - 1) >> 1],
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ownCpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    }),
  );
  model.source.close();
} finally {
  rmSync(out, { recursive: true, force: true });
}
