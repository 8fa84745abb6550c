/**
 * `esci predict`: score a pair file with a cross-encoder (or embed a text file with a bi-encoder)
 * into JSONL, one output row per input row in input order.
 */
import { EsciError } from "../errors/index.js";
import { classifyFile } from "../esci/classify.js";
import { embedFile } from "../esci/embed.js";
import { checkOutputPath } from "../io/output-path.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import { explainKeptPartial, modelFingerprint } from "./classify.js";
import type { Command } from "./command.js";
import { DEFAULT_BI_ENCODER, loadBiEncoder, loadCrossEncoder, MODEL_FLAGS, MODEL_FLAGS_HELP } from "./model-flags.js";
import { ProgressBar } from "./progress.js";
import { openQueuedClassify, QUEUE_FLAGS, QUEUE_FLAGS_HELP } from "./queue-flags.js";

const HELP = `Usage:
  esci predict --model M --input FILE --output FILE [--resume] [--batch-size N] [--max-length N] [--labels a,b,…]
  esci predict --task embed --model B --input FILE --output FILE
  esci predict --model M --input FILE --output FILE --queue redis://HOST:PORT[/DB] [--shard-size N]

Reads JSONL, CSV or Parquet. The classify task (default) needs "query" and "product" fields and
writes each input row's fields plus "logits" (label-id order), "probs" ({label: p}: softmax, or the
sigmoid of a one-logit head) and "label" (the arg-max name). The embed task needs "text" and writes
"embedding" (default model: ${DEFAULT_BI_ENCODER}).

Flags:
  --task classify|embed
  --input FILE         rows to score
  --output FILE        JSONL output (appears when complete; until then FILE.partial and
                       FILE.progress.json record the rows done)
  --resume             classify: continue an interrupted or failed run with the same input and settings
${MODEL_FLAGS_HELP}
${QUEUE_FLAGS_HELP}`;

export const predictCommand: Command = {
  name: "predict",
  summary: "score query–product pairs (or embed texts) from a file into JSONL",
  help: HELP,
  async run(argv) {
    const p = parseFlags(argv, { ...MODEL_FLAGS, ...QUEUE_FLAGS, task: { type: "string" }, input: { type: "string" }, output: { type: "string" }, resume: { type: "boolean" } });
    const task = str(p, "task") ?? "classify";
    if (task !== "classify" && task !== "embed") throw new EsciError("INVALID_ARGUMENT", `--task must be classify or embed, got "${task}"`);
    const input = requireStr(p, "input");
    const output = requireStr(p, "output");
    const batchSize = num(p, "batch-size", { integer: true, min: 1 });
    const maxLength = num(p, "max-length", { integer: true, min: 2 });
    await checkOutputPath(output, { inputs: [input, str(p, "model")], label: "--output" });
    const bar = new ProgressBar({ label: task === "embed" ? "embedding" : "scoring", unit: task === "embed" ? "texts" : "pairs", quiet: bool(p, "quiet") });
    if (task === "embed" && str(p, "queue") !== undefined) throw new EsciError("INVALID_ARGUMENT", "--queue scores pairs (the classify task); embed a catalog on workers with esci index --queue");
    if (task === "embed") {
      if (bool(p, "resume")) throw new EsciError("INVALID_ARGUMENT", "--resume applies to the classify task; an embed run writes its output in one go");
      const be = await loadBiEncoder(p);
      try {
        const r = await embedFile(be, { input, output, batchSize, maxLength, onProgress: (d, t) => bar.update(d, t) });
        bar.finish();
        process.stderr.write(`esci: wrote ${r.written} embeddings (${be.dimension} dims) to ${output}\n`);
      } finally {
        await be.dispose();
      }
      return 0;
    }
    const queued = await openQueuedClassify(p, { onError: "fail", batchSize, maxLength, bar, quiet: bool(p, "quiet") });
    const ce = queued ? undefined : await loadCrossEncoder(p);
    try {
      const r = await classifyFile(queued?.runner ?? ce!, {
        input,
        output,
        batchSize,
        maxLength,
        resume: bool(p, "resume"),
        fingerprint: modelFingerprint(p, queued?.labels ?? ce!.labels, ce?.calibration),
        onProgress: (d, t) => bar.update(d, t),
        onResume: (d) => bar.resumeAt(d),
      }).catch(async (e: unknown) => {
        throw await explainKeptPartial(e, output);
      });
      bar.finish();
      await queued?.runner.close(Number.MAX_SAFE_INTEGER);
      process.stderr.write(`esci: wrote ${r.written} predictions to ${output}\n`);
    } finally {
      await ce?.dispose();
      await queued?.runner.close();
    }
    return 0;
  },
};
