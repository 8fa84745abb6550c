/**
 * log.jsonl: one JSON line per optimizer step ({"step", "loss", "lr", "grad_norm", "epoch"}) and
 * per validation ({"step", "eval_accuracy", "eval_micro_f1", …}), appended as training goes.
 *
 * A resumed run first cuts the log back to the checkpoint's step (dropping what the killed run
 * wrote after it, including a torn last line), so the finished log reads as one uninterrupted run.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";

export type LogEntry = { step: number } & Record<string, number | string | null>;

export class TrainLog {
  constructor(readonly path: string) {}

  append(entry: LogEntry): void {
    appendFileSync(this.path, JSON.stringify(entry) + "\n");
  }

  /** Keeps the complete entries with step ≤ `step` (everything when the log is new). */
  async truncateAfter(step: number): Promise<void> {
    if (!existsSync(this.path)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      try {
        const e = JSON.parse(line) as LogEntry;
        if (typeof e.step === "number" && e.step <= step) kept.push(line);
      } catch {
        // a torn line from a killed run
      }
    }
    await writeFileAtomic(this.path, kept.map((l) => l + "\n").join(""));
  }

  static read(path: string): LogEntry[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as LogEntry);
  }
}
