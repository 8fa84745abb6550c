/**
 * A minimal protobuf writer for the parts of onnx.proto that esci emits (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto with raw or external data, ValueInfoProto).
 *
 * Why not protobufjs/onnx-proto: the graph itself is tiny (a few hundred nodes) because weights
 * live in an external data file, so a hundred lines of varint/length-delimited encoding replace a
 * dependency tree. Field numbers follow onnx/onnx.proto (proto2; repeated scalars written
 * unpacked, which every protobuf parser accepts).
 */

export const enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
}

export type AttributeValue = number | string | number[] | TensorProto | { float: number } | { floats: number[] } | { graph: GraphProto };

export interface TensorProto {
  name: string;
  dataType: DataType;
  dims: number[];
  /** Inline little-endian bytes. */
  rawData?: Uint8Array;
  /** Weights stored in a side file next to the model (ONNX external data). */
  external?: { location: string; offset: number; length: number };
}

export interface NodeProto {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  elemType: DataType;
  /** Numbers are fixed sizes; strings are symbolic dims such as "batch"; absent: shape unknown. */
  dims?: Array<number | string>;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelProto {
  irVersion: number;
  opsets: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
}

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number | bigint): void {
    // int64 fields: negative numbers are encoded as 10-byte two's complement.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  message(field: number, fill: (w: Writer) => void): void {
    const inner = new Writer();
    fill(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function writeTensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.rawData) w.bytes(9, t.rawData);
  if (t.external) {
    const entries: Array<[string, string]> = [
      ["location", t.external.location],
      ["offset", String(t.external.offset)],
      ["length", String(t.external.length)],
    ];
    for (const [k, v] of entries)
      w.message(13, (e) => {
        e.string(1, k);
        e.string(2, v);
      });
    w.int(14, 1); // data_location = EXTERNAL
  }
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_TENSOR = 4, ATTR_GRAPH = 5, ATTR_FLOATS = 6, ATTR_INTS = 7;

function writeAttribute(w: Writer, name: string, v: AttributeValue): void {
  w.string(1, name);
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {float: x} for float attributes`);
    w.int(3, v);
    w.int(20, ATTR_INT);
  } else if (typeof v === "string") {
    w.string(4, v);
    w.int(20, ATTR_STRING);
  } else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, ATTR_INTS);
  } else if ("float" in v) {
    w.float(2, v.float);
    w.int(20, ATTR_FLOAT);
  } else if ("floats" in v) {
    for (const x of v.floats) w.float(7, x);
    w.int(20, ATTR_FLOATS);
  } else if ("graph" in v) {
    w.message(6, (g) => writeGraph(g, v.graph));
    w.int(20, ATTR_GRAPH);
  } else {
    w.message(5, (t) => writeTensor(t, v));
    w.int(20, ATTR_TENSOR);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      const dims = v.dims;
      if (dims)
        tensor.message(2, (shape) => {
          for (const d of dims) shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
        });
    }),
  );
}

/** A GraphProto's fields: the model's main graph, or a subgraph attribute (If branches). */
function writeGraph(g: Writer, graph: GraphProto): void {
  for (const n of graph.nodes)
    g.message(1, (nw) => {
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      if (n.name) nw.string(3, n.name);
      nw.string(4, n.opType);
      for (const [k, v] of Object.entries(n.attributes ?? {})) nw.message(5, (a) => writeAttribute(a, k, v));
      if (n.domain) nw.string(7, n.domain);
    });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
  for (const i of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, i));
  for (const o of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, o));
}

export function encodeModel(m: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (g) => writeGraph(g, m.graph));
  for (const o of m.opsets)
    w.message(8, (ow) => {
      if (o.domain) ow.string(1, o.domain);
      ow.int(2, o.version);
    });
  return w.finish();
}
