/**
 * An output file that survives `kill -9` and resumes to the same bytes.
 *
 * Rows are appended to `OUT.partial`; every commit first makes those bytes durable (fsync), then
 * atomically replaces the marker `OUT.progress.json` with {bytes, consumed, state}. On resume the
 * partial file is truncated back to the marker's byte count — dropping whatever was written after
 * the last commit, including a half-written line — and the caller skips the `consumed` input
 * records and goes on. Finishing renames the partial file over OUT (so OUT is only ever absent or
 * complete) and then deletes the marker. A marker left without a partial file means that rename
 * happened: the run is already complete.
 *
 * The marker carries a fingerprint of the input and settings (a JSON object); resuming with
 * different ones is a CONFLICT rather than a file that mixes two runs, and the message lists each
 * setting that differs with the interrupted run's value and this run's.
 */
import { mkdir, open, readFile, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { EsciError } from "../errors/index.js";
import { moveIntoPlace, writeFileAtomic } from "./atomic.js";

export interface Marker<S> {
  version: 1;
  fingerprint: string;
  /** Bytes of committed output in the partial file. */
  bytes: number;
  /** Input records consumed up to the commit (the caller's unit). */
  consumed: number;
  /** Caller state at the commit (e.g. skipped-row log). */
  state?: S;
}

export interface ResumeInfo<S> {
  consumed: number;
  state?: S;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface SettingDifference {
  setting: string;
  /** The interrupted run's value, as JSON ("absent" when it had none). */
  before: string;
  after: string;
}

/** Flatten a fingerprint to setting → JSON value; nested objects become "a.b" settings. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) out.set(prefix, JSON.stringify(value));
}

function parseFingerprint(fp: string): Map<string, string> | undefined {
  try {
    const out = new Map<string, string>();
    flatten(JSON.parse(fp), "", out);
    return out;
  } catch {
    return undefined;
  }
}

/** Which settings differ between two fingerprints (empty when either is not JSON). */
export function settingDifferences(before: string, after: string): SettingDifference[] {
  const a = parseFingerprint(before);
  const b = parseFingerprint(after);
  if (!a || !b) return [];
  const out: SettingDifference[] = [];
  for (const setting of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(setting) ?? "absent";
    const y = b.get(setting) ?? "absent";
    if (x !== y) out.push({ setting, before: x, after: y });
  }
  return out;
}

export class ResumableOutput<S = unknown> {
  private pending: string[] = [];
  private bytes: number;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle | undefined,
    private readonly fingerprint: string,
    start: number,
    /** Where a resumed run starts; undefined for a fresh run. */
    readonly resumed: ResumeInfo<S> | undefined,
    /** True when a previous run had already finished (nothing to do but finish()). */
    readonly alreadyComplete: boolean,
    private readonly durable: boolean,
  ) {
    this.bytes = start;
  }

  static partialPath(path: string): string {
    return `${path}.partial`;
  }

  static markerPath(path: string): string {
    return `${path}.progress.json`;
  }

  /**
   * Open OUT for writing. With `resume`, continue from the last commit of an interrupted run with
   * the same fingerprint; otherwise (or when there is nothing to resume) start empty.
   */
  static async open<S>(path: string, options: { resume?: boolean; fingerprint: string; durable?: boolean }): Promise<ResumableOutput<S>> {
    await mkdir(dirname(path), { recursive: true });
    const partial = ResumableOutput.partialPath(path);
    const markerPath = ResumableOutput.markerPath(path);
    const durable = options.durable ?? true;
    let marker: Marker<S> | undefined;
    if (options.resume && (await exists(markerPath))) {
      try {
        marker = JSON.parse(await readFile(markerPath, "utf8")) as Marker<S>;
      } catch (e) {
        throw new EsciError("CORRUPT_FILE", `${markerPath}: unreadable progress marker (${(e as Error).message}); delete it to start over`, { file: markerPath });
      }
      if (marker.fingerprint !== options.fingerprint) {
        const differences = settingDifferences(marker.fingerprint, options.fingerprint);
        const what = differences.length
          ? differences.map((d) => `${d.setting} was ${d.before}, now ${d.after}`).join("; ")
          : "a different input or settings";
        throw new EsciError(
          "CONFLICT",
          `${path}: cannot resume, the interrupted run differs: ${what}. Rerun without \`resume: true\` to start over (or delete ${markerPath})`,
          { file: markerPath, differences, options: ["resume"] },
        );
      }
      if (!(await exists(partial))) {
        if (await exists(path)) return new ResumableOutput<S>(path, undefined, options.fingerprint, 0, { consumed: marker.consumed, state: marker.state }, true, durable);
        marker = undefined; // nothing left to resume from
      }
    }
    if (!marker) {
      await unlink(markerPath).catch(() => {});
      const fh = await open(partial, "w");
      return new ResumableOutput<S>(path, fh, options.fingerprint, 0, undefined, false, durable);
    }
    const fh = await open(partial, "r+");
    const { size } = await fh.stat();
    if (size < marker.bytes) {
      await fh.close();
      throw new EsciError("CORRUPT_FILE", `${partial}: shorter (${size} B) than its progress marker says (${marker.bytes} B); rerun without \`resume: true\``, {
        file: partial,
        options: ["resume"],
      });
    }
    await fh.truncate(marker.bytes);
    return new ResumableOutput<S>(path, fh, options.fingerprint, marker.bytes, { consumed: marker.consumed, state: marker.state }, false, durable);
  }

  /** Queue text for the next commit (nothing reaches the file before then). */
  write(text: string): void {
    this.pending.push(text);
  }

  /** Write the queued text, make it durable, then record `consumed` and `state` in the marker. */
  async commit(consumed: number, state?: S): Promise<void> {
    if (!this.fh) return;
    if (this.pending.length) {
      const buf = Buffer.from(this.pending.join(""), "utf8");
      this.pending = [];
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, this.bytes + off);
        off += bytesWritten;
      }
      this.bytes += buf.length;
      if (this.durable) await this.fh.datasync();
    }
    const marker: Marker<S> = { version: 1, fingerprint: this.fingerprint, bytes: this.bytes, consumed, state };
    await writeFileAtomic(ResumableOutput.markerPath(this.path), JSON.stringify(marker));
  }

  /** Commit, then move the partial file over OUT and drop the marker. */
  async finish(consumed: number, state?: S): Promise<void> {
    if (this.fh) {
      await this.commit(consumed, state);
      await this.fh.close();
      this.closed = true;
      await moveIntoPlace(ResumableOutput.partialPath(this.path), this.path);
    }
    await unlink(ResumableOutput.markerPath(this.path)).catch(() => {});
  }

  /** Close without finishing (after an error): the last commit stays resumable. */
  async close(): Promise<void> {
    if (this.fh && !this.closed) {
      this.closed = true;
      await this.fh.close();
    }
  }
}
