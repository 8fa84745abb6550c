/**
 * Hand-made Parquet files for the reader's damaged-file tests: one nullable string column "query",
 * one row group, whose pages are given byte for byte (headers written with hyparquet-writer's own
 * Thrift code), so a test can put exactly the defect it is about into an otherwise valid file.
 */
import { writeFileSync } from "node:fs";
import { ByteWriter } from "hyparquet-writer";
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";

// hyparquet-writer's own (nested) hyparquet types, which its functions take
type PageHeader = Parameters<typeof writePageHeader>[1];
type FileMetaData = Parameters<typeof writeMetadata>[1];
type CompressionCodec = FileMetaData["row_groups"][number]["columns"][number]["meta_data"] extends infer M ? (M extends { codec: infer C } ? C : never) : never;

export interface CraftedPage {
  header: PageHeader;
  /** The page's bytes after the header: compressed_page_size of them. */
  body: Uint8Array;
}

/** A page header whose sizes are the body's (UNCOMPRESSED): `header` fills in the rest. */
export function page(header: Omit<PageHeader, "compressed_page_size" | "uncompressed_page_size">, body: number[] | Uint8Array): CraftedPage {
  const bytes = Uint8Array.from(body);
  return { header: { compressed_page_size: bytes.length, uncompressed_page_size: bytes.length, ...header }, body: bytes };
}

/** PLAIN BYTE_ARRAY values: u32 length + UTF-8 bytes each. */
export function plainStrings(values: string[]): number[] {
  const out: number[] = [];
  for (const v of values) {
    const b = Buffer.from(v, "utf8");
    out.push(b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  return out;
}

/**
 * Writes "PAR1", the pages, and a footer that describes them as the one column chunk of one row
 * group of `rows` rows (`footerRows` overrides the file's num_rows). Returns the bytes written.
 */
export function writeCraftedParquet(
  path: string,
  pages: CraftedPage[],
  o: { rows: number; footerRows?: bigint; codec?: CompressionCodec; dictionary?: boolean; /** Bytes after the last page, inside the chunk. */ trailing?: number[] },
): Uint8Array {
  const w = new ByteWriter();
  w.appendUint32(0x31524150);
  for (const p of pages) {
    writePageHeader(w, p.header);
    w.appendBytes(p.body);
  }
  if (o.trailing) w.appendBytes(Uint8Array.from(o.trailing));
  const chunkBytes = BigInt(w.offset - 4);
  const metadata = {
    version: 2,
    schema: [
      { name: "root", num_children: 1 },
      { name: "query", type: "BYTE_ARRAY", repetition_type: "OPTIONAL", converted_type: "UTF8" },
    ],
    num_rows: o.footerRows ?? BigInt(o.rows),
    row_groups: [
      {
        columns: [
          {
            file_offset: 4n,
            meta_data: {
              type: "BYTE_ARRAY",
              encodings: o.dictionary ? ["PLAIN", "RLE_DICTIONARY"] : ["PLAIN"],
              path_in_schema: ["query"],
              codec: o.codec ?? "UNCOMPRESSED",
              num_values: BigInt(o.rows),
              total_uncompressed_size: chunkBytes,
              total_compressed_size: chunkBytes,
              data_page_offset: 4n,
            },
          },
        ],
        total_byte_size: chunkBytes,
        num_rows: BigInt(o.rows),
      },
    ],
    created_by: "esci test/helpers/parquet-craft.ts",
  } as unknown as FileMetaData;
  writeMetadata(w, metadata);
  w.appendUint32(0x31524150);
  const bytes = w.getBytes();
  writeFileSync(path, bytes);
  return bytes;
}
