/**
 * One safetensors file, opened for random access by tensor name.
 *
 * `open` reads only the 8-byte length prefix and the header through a file descriptor — never the
 * whole file — because checkpoints run to hundreds of MB and peak memory matters when a model is
 * built tensor by tensor. Each read then fetches exactly one tensor's byte range with a positioned
 * `readSync`; float32 conversion streams through a bounded scratch buffer, so reading an F16
 * tensor costs its float32 output plus at most CHUNK_BYTES, not a second full copy.
 *
 * The descriptor stays open until `close()`: a file replaced on disk meanwhile is still read
 * consistently, and one truncated meanwhile is reported as CORRUPT_FILE, not returned short.
 */

import { closeSync, fstatSync, openSync } from "node:fs";
import { constants as bufferConstants } from "node:buffer";
import { endianness } from "node:os";
import { EsciError } from "../errors/index.js";
import { DTYPES } from "./dtypes.js";
import { TO_FLOAT32, TYPED_VIEWS } from "./convert.js";
import { checkHeaderLength, corrupt, parseHeader, show } from "./header.js";
import { ioError, readFully } from "./io.js";
import type { ReadFloat32Options, TensorInfo, TensorReader, TypedTensorData } from "./types.js";

/** Bytes converted per step when widening to float32 (a multiple of every dtype size). */
const CHUNK_BYTES = 1 << 24;

export class SafetensorsFile implements TensorReader {
  readonly path: string;
  /** File size in bytes when opened. */
  readonly size: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  private fd: number | undefined;

  private constructor(path: string, fd: number, size: number, tensors: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates `path`; CORRUPT_FILE naming the file (and tensor) when the header is bad. */
  static open(path: string): SafetensorsFile {
    // Tensor bytes are viewed in place as typed arrays, which use the host's byte order.
    if (endianness() !== "LE") {
      throw new EsciError("UNSUPPORTED", `cannot read ${path}: safetensors data is little-endian and this host is big-endian`);
    }
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw ioError(path, e);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new EsciError("NOT_FOUND", `${path} is not a regular file`, { file: path });
      const size = stat.size;
      if (size < 8) throw corrupt(path, `is ${size} bytes long, too short for the 8-byte header length`);
      const prefix = Buffer.alloc(8);
      readFully(fd, prefix, 0, path, "the header length");
      const headerLength = checkHeaderLength(prefix.readBigUInt64LE(0), size, path);
      const header = Buffer.allocUnsafe(headerLength);
      readFully(fd, header, 8, path, "the header");
      const { tensors, metadata } = parseHeader(header, size, path);
      return new SafetensorsFile(path, fd, size, tensors, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  tensorNames(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) {
      throw new EsciError("NOT_FOUND", `tensor ${show(name)} is not in ${this.path} (it has ${this.tensors.size} tensors)`, {
        file: this.path,
        tensor: name,
      });
    }
    return info;
  }

  /** Buffer.allocUnsafeSlow gives the result its own ArrayBuffer at offset 0, so typed views are aligned. */
  readRaw(name: string): Buffer {
    const info = this.info(name);
    checkAllocatable(info.byteLength, this.path, name);
    const out = Buffer.allocUnsafeSlow(info.byteLength);
    readFully(this.descriptor(name), out, info.byteOffset, this.path, `tensor ${show(name)}`, name);
    return out;
  }

  readTyped(name: string): TypedTensorData {
    const info = this.info(name);
    const raw = this.readRaw(name);
    return TYPED_VIEWS.get(info.dtype)!(raw.buffer, raw.byteOffset, info.byteLength / DTYPES.get(info.dtype)!.size);
  }

  readFloat32(name: string, options: ReadFloat32Options = {}): Float32Array {
    const info = this.info(name);
    const { size, float32 } = DTYPES.get(info.dtype)!;
    const convert = TO_FLOAT32.get(info.dtype);
    if (!convert || (float32 === "int" && !options.integers)) {
      const hint = convert ? "; pass { integers: true } to convert it anyway" : "";
      throw new EsciError(
        "UNSUPPORTED",
        `tensor ${show(name)} in ${this.path} has dtype ${info.dtype}, which readFloat32 does not convert${hint}`,
        { file: this.path, tensor: name, dtype: info.dtype },
      );
    }
    const count = info.byteLength / size;
    checkAllocatable(count * 4, this.path, name);
    const out = new Float32Array(count);
    const fd = this.descriptor(name);
    const what = `tensor ${show(name)}`;
    if (info.dtype === "F32") {
      // Read straight into the result: no scratch, no copy.
      readFully(fd, new Uint8Array(out.buffer), info.byteOffset, this.path, what, name);
      return out;
    }
    const scratch = Buffer.allocUnsafeSlow(Math.min(CHUNK_BYTES, info.byteLength));
    for (let done = 0; done < info.byteLength; done += scratch.length) {
      const bytes = Math.min(scratch.length, info.byteLength - done);
      readFully(fd, scratch.subarray(0, bytes), info.byteOffset + done, this.path, what, name);
      const src = TYPED_VIEWS.get(info.dtype)!(scratch.buffer, scratch.byteOffset, bytes / size);
      convert(src, out.subarray(done / size, (done + bytes) / size));
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private descriptor(tensor: string): number {
    if (this.fd === undefined) {
      throw new EsciError("INVALID_ARGUMENT", `cannot read tensor ${show(tensor)}: ${this.path} was closed`, { file: this.path, tensor });
    }
    return this.fd;
  }
}

/** UNSUPPORTED when one buffer of `bytes` would exceed what this Node can allocate. */
function checkAllocatable(bytes: number, file: string, tensor: string): void {
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new EsciError(
      "UNSUPPORTED",
      `tensor ${show(tensor)} in ${file} needs ${bytes} bytes in one buffer; this Node allows at most ${bufferConstants.MAX_LENGTH}`,
      { file, tensor },
    );
  }
}
