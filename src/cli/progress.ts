/**
 * A terminal progress bar for long work (downloads, scoring files, indexing, training).
 *
 * Library code below cli/ never prints: it takes an `onProgress` callback, and the commands pass
 * `bar.update` to it. The bar writes to stderr (stdout may carry results), redraws at most ~10
 * times a second, and shows done/total, rate, ETA and free-form fields such as `loss=0.31`.
 * When stderr is not a TTY it prints a plain line every few seconds instead of redrawing.
 * A resumed run starts the bar at the work already done (`resumeAt`): the rate and ETA count only
 * what this run does, not the rows it skipped.
 */

export interface ProgressOptions {
  label: string;
  total?: number;
  unit?: string; // "pairs", "B" (bytes are shown as KiB/MiB/GiB), "steps"…
  stream?: NodeJS.WriteStream;
  /** Silence the bar entirely (e.g. --quiet). */
  quiet?: boolean;
}

function formatCount(n: number, unit: string): string {
  if (unit === "B") {
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
  return `${Math.round(n).toLocaleString("en-US")} ${unit}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private done = 0;
  /** Work done before this run (a resume): shown in the count, left out of the rate. */
  private base = 0;
  private total: number | undefined;
  private start = Date.now();
  private lastDraw = 0;
  private fields: Record<string, string | number> = {};
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private finished = false;
  /** `done` at the last line written, so finish() does not repeat an identical line. */
  private drawnDone = -1;

  constructor(private readonly opts: ProgressOptions) {
    this.total = opts.total;
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Set the absolute amount done (and optionally the total and extra fields). */
  update(done: number, total?: number, fields?: Record<string, string | number>): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    if (fields) this.fields = { ...this.fields, ...fields };
    this.draw(false);
  }

  /** This run continues after `done` units of an earlier one; the clock restarts here. */
  resumeAt(done: number): void {
    this.base = this.done = done;
    this.start = Date.now();
  }

  increment(by = 1, fields?: Record<string, string | number>): void {
    this.update(this.done + by, undefined, fields);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true);
    if (this.tty && !this.opts.quiet) this.stream.write("\n");
  }

  /** The line the bar would print now; exposed for tests. */
  render(width = 30): string {
    const unit = this.opts.unit ?? "";
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? (this.done - this.base) / elapsed : 0;
    const parts = [this.opts.label];
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, this.done / this.total);
      const filled = Math.round(frac * width);
      parts.push(`[${"#".repeat(filled)}${"-".repeat(width - filled)}]`);
      parts.push(`${(frac * 100).toFixed(1).padStart(5)}%`);
      parts.push(`${formatCount(this.done, unit)}/${formatCount(this.total, unit)}`);
      const eta = rate > 0 ? (this.total - this.done) / rate : NaN;
      parts.push(`${formatCount(rate, unit)}/s`, `ETA ${formatDuration(eta)}`);
    } else {
      parts.push(formatCount(this.done, unit), `${formatCount(rate, unit)}/s`, formatDuration(elapsed));
    }
    for (const [k, v] of Object.entries(this.fields)) parts.push(`${k}=${v}`);
    return parts.join(" ");
  }

  private draw(force: boolean): void {
    if (this.opts.quiet) return;
    const now = Date.now();
    const every = this.tty ? 100 : 5000;
    if (!force && now - this.lastDraw < every) return;
    if (force && !this.tty && this.drawnDone === this.done) return;
    this.lastDraw = now;
    this.drawnDone = this.done;
    const line = this.render();
    if (this.tty) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }
}
