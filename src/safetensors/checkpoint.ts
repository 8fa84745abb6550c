/**
 * A model checkpoint as one tensor namespace, whether it is one `model.safetensors` or shards
 * listed by `model.safetensors.index.json` (the layout transformers' `save_pretrained` writes once
 * a model exceeds `max_shard_size`).
 *
 * Resolution mirrors transformers' `from_pretrained`: `model.safetensors` first, then the index.
 * The index's `weight_map` (tensor name → shard file) is authoritative — a tensor a shard holds
 * but the index does not list is not exposed, as in transformers. Every shard it names is opened
 * (headers only) and every tensor it lists is checked to be in its shard when the checkpoint
 * opens, so a broken download fails at load time with the tensor and shard named, not halfway
 * through building a model. Shard names are resolved inside the checkpoint directory only;
 * an index pointing elsewhere ("../x", "/etc/x") is CORRUPT_FILE.
 */

import { readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { EsciError } from "../errors/index.js";
import { SafetensorsFile } from "./file.js";
import { show } from "./header.js";
import { ioError } from "./io.js";
import type { ReadFloat32Options, TensorInfo, TensorReader, TypedTensorData } from "./types.js";

/** transformers' SAFE_WEIGHTS_NAME and SAFE_WEIGHTS_INDEX_NAME. */
export const SAFE_WEIGHTS_NAME = "model.safetensors";
export const SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json";

/** An index file this large is not an index; refuse it before reading it into memory. */
const MAX_INDEX_BYTES = 100_000_000;

export interface CheckpointTensorInfo extends TensorInfo {
  /** The shard (safetensors file) holding the tensor; byteOffset is within it. */
  readonly file: string;
}

export class Checkpoint implements TensorReader {
  /** The directory the checkpoint lives in. */
  readonly dir: string;
  /** The index file for a sharded checkpoint, undefined for a single file. */
  readonly indexFile: string | undefined;
  /** Tensor name → info (with its shard), in weight_map order for shards, file order otherwise. */
  readonly tensors: ReadonlyMap<string, CheckpointTensorInfo>;
  /** The `__metadata__` of the first shard (transformers writes the same {"format": "pt"} in each). */
  readonly metadata: Readonly<Record<string, string>>;
  private readonly shards: readonly SafetensorsFile[];
  private readonly shardOf: ReadonlyMap<string, SafetensorsFile>;

  constructor(dir: string, indexFile: string | undefined, shards: SafetensorsFile[], shardOf: Map<string, SafetensorsFile>) {
    this.dir = dir;
    this.indexFile = indexFile;
    this.shards = shards;
    this.shardOf = shardOf;
    this.metadata = shards[0]?.metadata ?? {};
    const tensors = new Map<string, CheckpointTensorInfo>();
    for (const [name, shard] of shardOf) tensors.set(name, { ...shard.info(name), file: shard.path });
    this.tensors = tensors;
  }

  /** The safetensors files, in the order they were opened. */
  get files(): string[] {
    return this.shards.map((s) => s.path);
  }

  tensorNames(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): CheckpointTensorInfo {
    const info = this.tensors.get(name);
    if (!info) {
      const where = this.indexFile ?? this.shards[0]?.path ?? this.dir;
      throw new EsciError("NOT_FOUND", `tensor ${show(name)} is not in checkpoint ${where}`, { file: where, tensor: name });
    }
    return info;
  }

  readRaw(name: string): Buffer {
    return this.shard(name).readRaw(name);
  }

  readTyped(name: string): TypedTensorData {
    return this.shard(name).readTyped(name);
  }

  readFloat32(name: string, options?: ReadFloat32Options): Float32Array {
    return this.shard(name).readFloat32(name, options);
  }

  close(): void {
    for (const s of this.shards) s.close();
  }

  private shard(name: string): SafetensorsFile {
    this.info(name);
    return this.shardOf.get(name)!;
  }
}

/**
 * Opens the checkpoint at `path`: a directory holding `model.safetensors` or
 * `model.safetensors.index.json`, or the path of either file itself.
 */
export function openCheckpoint(path: string): Checkpoint {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw ioError(path, e);
  }
  if (!isDir) {
    return path.endsWith(".json") ? openSharded(dirname(path), path) : openSingle(dirname(path), path);
  }
  const single = join(path, SAFE_WEIGHTS_NAME);
  if (isFile(single)) return openSingle(path, single);
  const index = join(path, SAFE_WEIGHTS_INDEX_NAME);
  if (isFile(index)) return openSharded(path, index);
  throw new EsciError("NOT_FOUND", `${path} has neither ${SAFE_WEIGHTS_NAME} nor ${SAFE_WEIGHTS_INDEX_NAME}`, { file: path });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function openSingle(dir: string, file: string): Checkpoint {
  const f = SafetensorsFile.open(file);
  return new Checkpoint(dir, undefined, [f], new Map(f.tensorNames().map((n) => [n, f])));
}

function indexError(index: string, problem: string, tensor?: string): EsciError {
  const details = tensor === undefined ? { file: index } : { file: index, tensor };
  return new EsciError("CORRUPT_FILE", `checkpoint index ${index}: ${problem}`, details);
}

/** weight_map as [tensor, shard file name] pairs, after checking the index's shape. */
function readWeightMap(index: string): Array<[string, string]> {
  let text: string;
  try {
    if (statSync(index).size > MAX_INDEX_BYTES) throw indexError(index, `is larger than ${MAX_INDEX_BYTES} bytes`);
    text = readFileSync(index, "utf8");
  } catch (e) {
    throw ioError(index, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw indexError(index, `is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw indexError(index, 'has no "weight_map" object (tensor name → shard file)');
  }
  const entries = Object.entries(weightMap);
  for (const [name, shard] of entries) {
    if (typeof shard !== "string" || shard === "") {
      throw indexError(index, `weight_map entry for tensor ${show(name)} is ${show(shard)}, not a shard file name`, name);
    }
  }
  return entries as Array<[string, string]>;
}

function openSharded(dir: string, index: string): Checkpoint {
  const entries = readWeightMap(index);
  const root = resolve(dir);
  const opened = new Map<string, SafetensorsFile>(); // shard name → file
  const shardOf = new Map<string, SafetensorsFile>();
  try {
    for (const [name, shardName] of entries) {
      let shard = opened.get(shardName);
      if (!shard) {
        const shardPath = resolve(root, shardName);
        const rel = relative(root, shardPath);
        if (isAbsolute(shardName) || rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
          throw indexError(index, `shard ${show(shardName)} (for tensor ${show(name)}) is outside the checkpoint directory`, name);
        }
        if (!isFile(shardPath)) {
          throw new EsciError(
            "NOT_FOUND",
            `checkpoint index ${index} lists shard ${show(shardName)} (for tensor ${show(name)}), but ${shardPath} does not exist; download the missing shard`,
            { file: shardPath, tensor: name },
          );
        }
        shard = SafetensorsFile.open(join(dir, rel));
        opened.set(shardName, shard);
      }
      if (!shard.has(name)) {
        throw new EsciError(
          "CORRUPT_FILE",
          `checkpoint index ${index} maps tensor ${show(name)} to ${basename(shard.path)}, but that shard has no such tensor`,
          { file: shard.path, tensor: name },
        );
      }
      shardOf.set(name, shard);
    }
  } catch (e) {
    for (const s of opened.values()) s.close();
    throw e;
  }
  return new Checkpoint(dir, index, [...opened.values()], shardOf);
}
