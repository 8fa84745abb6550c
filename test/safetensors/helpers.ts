/**
 * Shared fixtures for the safetensors tests: a temp directory per test file, a builder for
 * hand-made files (prefix + header text + data, no writer involved), and an assertion that a call
 * fails with an EsciError of a given code naming the file and, where given, the tensor.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EsciError, type ErrorCode } from "../../src/errors/index.js";

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `esci-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A file from its parts: the u64 prefix says `headerLength` (default: the header's byte length). */
export function buildFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Buffer {
  const json = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

/** Header text for tensors given as [name, dtype, shape, begin, end]. */
export function headerOf(entries: Array<[string, string, number[], number, number]>, metadata?: Record<string, unknown>): string {
  const parts = entries.map(
    ([n, d, s, b, e]) => `${JSON.stringify(n)}:{"dtype":"${d}","shape":${JSON.stringify(s)},"data_offsets":[${b},${e}]}`,
  );
  if (metadata) parts.unshift(`"__metadata__":${JSON.stringify(metadata)}`);
  return `{${parts.join(",")}}`;
}

export function assertEsciError(fn: () => unknown, code: ErrorCode, file: string, tensor?: string): EsciError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof EsciError, `expected an EsciError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(file), `message should name ${file}: ${caught.message}`);
  if (tensor !== undefined) {
    assert.ok(caught.message.includes(JSON.stringify(tensor)), `message should name tensor ${tensor}: ${caught.message}`);
    assert.equal(caught.details?.tensor, tensor);
  }
  return caught;
}

/** Seeded PRNG (mulberry32): the fuzz test replays the same mutations on every run. */
export { mulberry32 as prng } from "../../src/models/random-checkpoint.js";
