/**
 * Knowledge distillation of a cross-encoder: `distill(options)` scores every pair with the
 * teacher once (teacher.ts, cached and resumable), makes or loads the student (student.ts, or any
 * checkpoint), and runs the training loop (../loop.ts) with the distillation objective
 * (objective.ts) — so progress, log.jsonl, validation, the best checkpoint (by agreement with
 * the teacher), kill -9 + --resume and the Hugging Face output are fine-tuning's own.
 *
 * The data needs no labels: a query log × catalogue pair file is enough. Where every pair has a
 * gold label, validation also reports micro-F1 against it and --alpha may add cross-entropy on it.
 * The teacher's logit columns are reordered to the student's id2label, so a student whose head
 * orders the ESCI labels differently is trained on the right targets.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { EsciError } from "../../errors/index.js";
import { parseEsciLabel, type EsciLabel } from "../../esci/labels.js";
import { resolveModel } from "../../hub/resolve.js";
import { readConfig } from "../../models/config.js";
import { familyFor } from "../../models/registry.js";
import { loadTokenizer } from "../../tokenizer/index.js";
import { EncodedDataset, holdOutGroups, readPairs, type LabeledPair, type MaybeLabeledPair } from "../data.js";
import { checkFreshOutput, runTraining, type TrainSummary } from "../loop.js";
import { initialModel } from "../model.js";
import { resolveOptions, type TrainOptions } from "../options.js";
import type { TrainHooks } from "../index.js";
import { argmax, distillObjective } from "./objective.js";
import { distillFingerprint, resolveDistillSettings, type DistillSettings } from "./options.js";
import { writeStudentFromTeacher } from "./student.js";
import { teacherLogits } from "./teacher.js";

export { DISTILL_DEFAULTS, resolveDistillSettings, type DistillLoss, type DistillSettings } from "./options.js";
export { distillLoss, distillObjective, TEACHER_INPUT, type DistillTargets, type LossSettings } from "./objective.js";
export { keptLayers, writeStudentFromTeacher } from "./student.js";
export { PART as TEACHER_PART, teacherLogits, type TeacherLogits, type TeacherPass } from "./teacher.js";

export type DistillOptions = Partial<Omit<TrainOptions, "base" | "labels">> &
  Pick<TrainOptions, "data" | "output"> &
  Partial<DistillSettings> &
  Pick<DistillSettings, "teacher">;

export interface DistillHooks extends TrainHooks {
  /** Teacher pass: pairs scored (cached ones included) of total. */
  onTeacher?: (done: number, total: number) => void;
  /** After teacher part `index` is on disk. */
  onTeacherPart?: (index: number) => void;
}

/** Where a student made from the teacher is written (inside the output, so --resume finds it). */
export const STUDENT_INIT = "student-init";

type Row = MaybeLabeledPair & { index: number };

export async function distill(partial: DistillOptions, hooks: DistillHooks = {}): Promise<TrainSummary> {
  const local = (p: string) => (existsSync(p) ? resolve(p) : p); // hub ids stay ids
  const settings = resolveDistillSettings({ ...partial, teacher: local(partial.teacher), student: partial.student && local(partial.student), teacherCache: partial.teacherCache && resolve(partial.teacherCache) });
  const output = resolve(partial.output);
  const base = settings.student ?? join(output, STUDENT_INIT);
  const o = resolveOptions({ ...partial, base, data: resolve(partial.data), output, validation: partial.validation && resolve(partial.validation), labels: undefined });
  checkFreshOutput(o);

  // ---- the student
  if (settings.layers !== undefined) {
    const made = await writeStudentFromTeacher(settings.teacher, base, { layers: settings.layers, hidden: settings.hidden, seed: o.seed });
    hooks.onNote?.(made);
  }
  const teacherDir = (await resolveModel(settings.teacher)).dir;
  const teacherCfg = readConfig(teacherDir);
  const teacherLabels = esciLabels(teacherCfg.id2label, `${settings.teacher} (teacher id2label)`);
  const studentCfg = readConfig((await resolveModel(base)).dir);
  // a head whose names are no ESCI labels (LABEL_i, or a bare encoder's default) takes the teacher's
  const named = studentCfg.id2label.every((l) => parseEsciLabel(l) !== undefined);
  const model = await initialModel(base, { labels: named ? undefined : teacherCfg.id2label, seed: o.seed });
  try {
    const C = teacherLabels.length;
    if (model.labels.length !== C) {
      throw new EsciError("INVALID_ARGUMENT", `the student ${base} has ${model.labels.length} labels (${model.labels.join(", ")}) but the teacher has ${C} (${teacherCfg.id2label.join(", ")})`);
    }
    // column k of the student ← the teacher's column of the same ESCI label
    const fromTeacher = model.labels.map((l) => {
      const k = teacherLabels.indexOf(parseEsciLabel(l)!);
      if (k < 0) throw new EsciError("INVALID_ARGUMENT", `the student's label "${l}" is not one of the teacher's (${teacherCfg.id2label.join(", ")})`);
      return k;
    });
    const maxTokens = Math.min(model.family.maxTokens(model.config), familyFor(teacherCfg.modelType, join(teacherDir, "config.json")).maxTokens(teacherCfg));
    const maxLength = Math.min(o.maxLength, maxTokens);
    if (maxLength < o.maxLength) hooks.onNote?.(`max length ${o.maxLength} > the models' ${maxTokens} positions: using ${maxLength}`);

    // ---- the data and the teacher's logits (one cached pass per file)
    const pairs: Row[] = (await readPairs(o.data)).map((r, index) => ({ ...r, index }));
    let trainRows = pairs;
    let validRows: Row[] | undefined;
    let validSource = pairs;
    if (o.evalEvery > 0) {
      if (o.validation) validRows = validSource = (await readPairs(o.validation)).map((r, index) => ({ ...r, index }));
      else ({ train: trainRows, validation: validRows } = holdOutGroups(pairs, o.validationFraction, o.seed));
    }
    const pass = { teacher: settings.teacher, quantize: settings.teacherQuantize, maxLength, threads: o.threads, cacheDir: settings.teacherCache };
    const score = async (rows: readonly Row[], what: string) => {
      const t = await teacherLogits(rows.map((r) => [r.query, r.product] as const), pass, { onProgress: hooks.onTeacher, onPart: hooks.onTeacherPart });
      hooks.onNote?.(`teacher logits of ${rows.length} ${what} pairs: ${t.cached === rows.length ? "from the cache" : t.cached ? `${t.cached} from the cache, the rest computed` : "computed"} (${t.dir})`);
      return t.logits;
    };
    const dataLogits = await score(pairs, "data");
    const validLogits = validSource === pairs ? dataLogits : await score(validSource, "validation");

    /** Teacher logits of `rows` (by their index into `all`), in the student's label order. */
    const gather = (rows: readonly Row[], all: Float32Array) => {
      const out = new Float32Array(rows.length * C);
      rows.forEach((r, i) => fromTeacher.forEach((k, c) => (out[i * C + c] = all[r.index * C + k])));
      return out;
    };
    const trainTargets = gather(trainRows, dataLogits);
    const validTargets = validRows && gather(validRows, validLogits);
    const trainGold = trainRows.every((r) => r.label !== undefined);
    if (settings.alpha > 0 && !trainGold) {
      const r = trainRows.find((x) => x.label === undefined)!;
      throw new EsciError("INVALID_INPUT", `${r.file}, row ${r.row}: no label, but \`alpha: ${settings.alpha}\` adds cross-entropy on gold labels (label every row, or use \`alpha: 0\`)`, {
        file: r.file,
        row: r.row,
        option: "alpha",
      });
    }
    const validGold = validRows !== undefined && validRows.every((r) => r.label !== undefined);
    // rows without gold carry the teacher's arg-max (the loop feeds labels; the loss reads them only with alpha > 0)
    const labelled = (rows: readonly Row[], targets: Float32Array, gold: boolean): LabeledPair[] =>
      rows.map((r, i) => ({ query: r.query, product: r.product, group: r.group, label: gold ? r.label! : parseEsciLabel(model.labels[argmax(targets.subarray(i * C, (i + 1) * C))])! }));
    hooks.onNote?.(
      `${trainRows.length} training pairs${trainGold ? " (gold labels)" : ""}` +
        (validRows ? `, ${validRows.length} validation pairs${validGold ? " (gold labels)" : " (agreement with the teacher only)"}` : ", no validation"),
    );
    const tokenizer = await loadTokenizer(model.baseDir, { maxPositions: model.family.maxTokens(model.config) });
    const train = EncodedDataset.encode(labelled(trainRows, trainTargets, trainGold), tokenizer, maxLength, model.labelIds, hooks.onTokenize);
    const validation = validRows && EncodedDataset.encode(labelled(validRows, validTargets!, validGold), tokenizer, maxLength, model.labelIds);
    const objective = distillObjective(settings, C, { train: trainTargets, validation: validTargets, validationHasGold: validGold }, distillFingerprint(settings));
    return await runTraining({ options: o, model, train, validation, padId: tokenizer.padTokenId, objective, ...hooks });
  } finally {
    model.source.close();
  }
}

function esciLabels(names: readonly string[], where: string): EsciLabel[] {
  return names.map((n, i) => {
    const l = parseEsciLabel(n);
    if (l === undefined) throw new EsciError("INVALID_ARGUMENT", `${where}: label "${n}" (id ${i}) is not an ESCI label; distillation maps the teacher's and the student's heads by ESCI label`);
    return l;
  });
}
