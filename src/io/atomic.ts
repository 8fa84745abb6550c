/**
 * Atomic file replacement: write `path.tmp`, fsync, rename over `path`.
 *
 * A reader (or a crash) then sees either the old file or the complete new one, never a truncated
 * report. rename(2) is atomic within one filesystem, which holds since the temporary file sits
 * next to the target.
 */
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}
