/**
 * Adapting per-file download events to one overall bar. resolveModel reports bytes per file
 * (files may download concurrently and a retry may restart one), while a progress bar wants
 * "done of total"; this keeps the latest count per file and reports the sums. It prints nothing:
 * cli/ passes its ProgressBar (or anything with the same `update`).
 */
import type { DownloadProgress } from "./download.js";

/** The part of cli/progress.ts' ProgressBar this needs; structural, so hub/ does not import cli/. */
export interface ProgressSink {
  update(done: number, total?: number, fields?: Record<string, string | number>): void;
}

/** An `onProgress` callback for resolveModel that drives `sink` with bytes done / bytes known in total. */
export function downloadProgressTo(sink: ProgressSink): (p: DownloadProgress) => void {
  const files = new Map<string, { loaded: number; total?: number }>();
  return (p) => {
    files.set(p.file, { loaded: p.loaded, total: p.total });
    let done = 0;
    let total = 0;
    let totalKnown = true;
    for (const f of files.values()) {
      done += f.loaded;
      if (f.total === undefined) totalKnown = false;
      else total += f.total;
    }
    sink.update(done, totalKnown ? total : undefined, { file: p.file });
  };
}
