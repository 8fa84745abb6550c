/**
 * Line-by-line reading of large text files in bounded memory.
 *
 * Lines come in batches (one per ~1 MiB read) rather than one promise per line, because the
 * evaluation of a full ESCI test split parses ~half a million JSONL lines and per-line async
 * iteration would dominate the run time. "\r\n" endings and a leading UTF-8 BOM are accepted.
 */
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

export interface Line {
  /** 1-based line number. */
  lineNo: number;
  text: string;
}

const CHUNK = 1 << 20;

/** Batches of lines of a UTF-8 text file, in order; the last line need not end with "\n". */
export async function* readLineBatches(path: string): AsyncGenerator<Line[]> {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let lineNo = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    let text = carry + decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const batch: Line[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      batch.push({ lineNo: ++lineNo, text: text.slice(start, end) });
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.length) yield batch;
  }
  const rest = carry + decoder.end();
  if (rest.length) yield [{ lineNo: ++lineNo, text: rest.endsWith("\r") ? rest.slice(0, -1) : rest }];
}
