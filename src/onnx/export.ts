/**
 * Write a GraphBuilder to disk as `model.onnx` + `model.onnx.data` (ONNX external data).
 *
 * Lazy weights are produced and appended one at a time, so peak memory is one tensor, not the
 * model. Each tensor starts at a 64 KiB boundary so ONNX Runtime can memory-map it. The directory
 * is written under a temporary name and renamed into place: a crash mid-write never leaves a
 * half-built model that a later run would trust.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { moveIntoPlaceSync, syncDirectory, tempSibling, writeFileAtomicSync } from "../io/atomic.js";
import type { GraphBuilder } from "./graph.js";
import { encodeModel, type TensorProto } from "./proto.js";

export const MODEL_FILE = "model.onnx";
export const DATA_FILE = "model.onnx.data";
const ALIGN = 64 * 1024;

export interface ExportOptions {
  opset?: number;
  producerVersion?: string;
  /** Called after each weight is written: (index, count). */
  onProgress?: (done: number, total: number) => void;
}

export const OPSET = 17;
export const IR_VERSION = 8;

/** Serialize `g` into `dir` (created atomically; a complete `dir` made meanwhile by another process is kept). */
export function exportGraph(g: GraphBuilder, dir: string, opts: ExportOptions = {}): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    const initializers: TensorProto[] = [];
    const fd = openSync(join(tmp, DATA_FILE), "w");
    let offset = 0;
    try {
      g.lazy.forEach((t, i) => {
        const data = t.produce();
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const expected = t.dims.reduce((a, b) => a * b, 1) * data.BYTES_PER_ELEMENT;
        if (bytes.byteLength !== expected) {
          throw new Error(`weight ${t.name}: produced ${bytes.byteLength} bytes, dims [${t.dims}] need ${expected}`);
        }
        const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
        if (pad) {
          writeSync(fd, new Uint8Array(pad));
          offset += pad;
        }
        writeSync(fd, bytes);
        initializers.push({ name: t.name, dataType: t.dataType, dims: t.dims, external: { location: DATA_FILE, offset, length: bytes.byteLength } });
        offset += bytes.byteLength;
        opts.onProgress?.(i + 1, g.lazy.length);
      });
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const model = encodeModel({
      irVersion: IR_VERSION,
      opsets: [
        { domain: "", version: opts.opset ?? OPSET },
        { domain: "com.microsoft", version: 1 },
      ],
      producerName: "esci",
      producerVersion: opts.producerVersion ?? "0",
      graph: g.toGraphProto(initializers),
    });
    writeFileAtomicSync(join(tmp, MODEL_FILE), model);
    syncDirectory(tmp);
    try {
      moveIntoPlaceSync(tmp, dir);
    } catch (e) {
      // Another process finished the same build first: keep its copy (it may be in use).
      if (!existsSync(join(dir, MODEL_FILE))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
