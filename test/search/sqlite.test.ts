/** The conformance suite on the embedded SQLite store (a new file per store). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeConformance } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "esci-sqlite-store-"));
let n = 0;

storeConformance("sqlite", {
  newSpec: async () => `sqlite:${join(dir, `store-${++n}.db`)}`,
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
