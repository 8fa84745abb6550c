/**
 * `esci distill`: knowledge distillation of a cross-encoder into a smaller one. This file parses
 * flags and draws progress; the teacher pass, the student and the objective live in
 * train/distill/, the loop is `esci train`'s.
 *
 * Test hooks (the kill -9 / --resume tests stop the process at a named point, not at a random
 * time): ESCI_TEST_KILL_AT_STEP=k sends SIGKILL to this process right after optimizer step k is
 * logged, ESCI_TEST_KILL_AT_TEACHER_PART=k right after teacher part k is on disk.
 */
import { checkOutputPath } from "../io/output-path.js";
import { distill, DISTILL_DEFAULTS } from "../train/distill/index.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";
import { testKillPoint } from "./test-kill.js";
import { RECIPE_FLAGS, RECIPE_HELP, recipeOptions, runDisplay } from "./train-flags.js";

const D = DISTILL_DEFAULTS;

const HELP = `Usage:
  esci distill --teacher T --data D --output DIR (--student S | --layers N [--hidden H]) [flags]

Trains a smaller cross-encoder (the student) to reproduce the teacher's logits. The teacher scores
every pair of D once; its logits are cached on disk (keyed by the teacher's weights, the pairs and
the settings), and a killed teacher pass resumes where it stopped.

The student is a checkpoint (--student S: a classifier with the teacher's ESCI labels, or a bare
encoder, which gets a new head), or made from the teacher: --layers N keeps N of its layers,
evenly spaced, first and last included, with their weights (DistilBERT's initialisation);
--hidden H also makes it H wide, with fresh weights and the teacher's tokenizer.

D is an ESCI dataset directory or a JSONL/CSV/Parquet pair file with "query" and "product"; labels
are optional. With gold labels on every pair, validation also reports micro-F1 against them and
--alpha adds cross-entropy on them.

DIR becomes a Hugging Face checkpoint of the best student by validation agreement with the
teacher's labels (of the last step when validation is off), plus log.jsonl and checkpoints/ as
esci train writes them; --resume continues a killed run to the same final weights.

Flags:
  --teacher T          the teacher: a sequence classifier (local directory or hub id)
  --data D             pairs to distil on
  --output DIR         output directory
  --student S          student checkpoint (local directory or hub id)
  --layers N           student of N of the teacher's layers
  --hidden H           with --layers: H wide, fresh weights (H divisible by the teacher's heads)
  --loss mse|kl        MSE on logits, or KL at temperature τ, τ²-scaled (default ${D.distillLoss})
  --temperature X      τ of the KL loss (default ${D.temperature})
  --alpha X            weight of the cross-entropy on gold labels added to the loss (default ${D.alpha})
  --teacher-quantize int8   run the teacher with dynamic int8 weights (faster; other logits, other cache entry)
  --teacher-cache DIR  teacher logit cache (default: teacher-logits/ in esci's cache, $ESCI_CACHE or ~/.cache/esci)
${RECIPE_HELP}`;

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    teacher: { type: "string" },
    data: { type: "string" },
    output: { type: "string" },
    student: { type: "string" },
    layers: { type: "string" },
    hidden: { type: "string" },
    loss: { type: "string" },
    temperature: { type: "string" },
    alpha: { type: "string" },
    "teacher-quantize": { type: "string" },
    "teacher-cache": { type: "string" },
    ...RECIPE_FLAGS,
  });
  const quiet = bool(p, "quiet");
  const display = runDisplay("distill", quiet, (m) =>
    [`agreement ${m.agreement.toFixed(4)}`, m.micro_f1 !== undefined ? `micro-F1 ${m.micro_f1.toFixed(4)}` : "", `distillation loss ${m.distill_loss.toFixed(4)}`].filter(Boolean).join(", "),
  );
  let teacherBar: ProgressBar | undefined;
  const teacher = requireStr(p, "teacher");
  const data = requireStr(p, "data");
  const output = requireStr(p, "output");
  await checkOutputPath(output, { kind: "directory", inputs: [teacher, data, str(p, "student"), str(p, "validation")], label: "--output" });
  const summary = await distill(
    {
      teacher,
      data,
      output,
      student: str(p, "student"),
      layers: num(p, "layers", { integer: true, min: 1 }),
      hidden: num(p, "hidden", { integer: true, min: 1 }),
      distillLoss: str(p, "loss") as "mse" | "kl" | undefined,
      temperature: num(p, "temperature"),
      alpha: num(p, "alpha", { min: 0 }),
      teacherQuantize: str(p, "teacher-quantize") as "int8" | undefined,
      teacherCache: str(p, "teacher-cache"),
      ...recipeOptions(p),
    },
    {
      ...display.hooks,
      onTeacher: (done, total) => {
        teacherBar ??= new ProgressBar({ label: "teacher", total, unit: "pairs", quiet });
        teacherBar.update(done);
        if (done === total) {
          teacherBar.finish();
          teacherBar = undefined; // the validation file's pass draws its own bar
        }
      },
      onTeacherPart: (k) => testKillPoint("ESCI_TEST_KILL_AT_TEACHER_PART", k),
      onStep: (s) => {
        display.hooks.onStep?.(s);
        testKillPoint("ESCI_TEST_KILL_AT_STEP", s.step);
      },
    },
  );
  display.finish();
  const best = summary.best ? `best agreement ${summary.best.agreement.toFixed(4)} at step ${summary.best.step}` : "last step's weights";
  process.stdout.write(`${summary.output}: ${best} (${summary.steps} steps)\n`);
  return 0;
}

export const distillCommand: Command = {
  name: "distill",
  summary: "distil a cross-encoder into a smaller student (teacher logits cached)",
  help: HELP,
  run,
};
