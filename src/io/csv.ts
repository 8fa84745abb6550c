/**
 * A streaming RFC 4180 CSV reader (and the matching field quoting for writers).
 *
 * Fields are separated by commas; a field that holds a comma, a double quote or a line break is
 * enclosed in double quotes, with inner quotes doubled. Records end with CRLF or LF, and a quoted
 * field may span lines, so records are not lines: the reader keeps a small state machine across
 * 1 MiB chunks. The first record is the header. Malformed quoting is an INVALID_INPUT error that
 * names the file and line, never a silently shifted column.
 */
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { EsciError } from "../errors/index.js";

export interface CsvRecord {
  /** 0 for the header, then 1, 2, … for data rows. */
  index: number;
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Batches of records of a CSV file (the header is record 0). */
export async function* readCsvBatches(path: string): AsyncGenerator<CsvRecord[]> {
  const decoder = new StringDecoder("utf8");
  let fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let afterQuote = false; // just closed a quoted field: only , or a line break may follow
  let quotedField = false;
  let line = 1;
  let recordLine = 1;
  let index = 0;
  let first = true;
  let pendingCr = false;
  // A quote that ended a chunk inside a quoted field: it may be the first half of "".
  let carry = "";

  const fail = (msg: string): never => {
    throw new EsciError("INVALID_INPUT", `${path}, line ${line}: ${msg}`, { file: path, line });
  };

  const endRecord = (out: CsvRecord[]) => {
    fields.push(field);
    // A blank line (one empty unquoted field) is not a record.
    if (!(fields.length === 1 && fields[0] === "" && !quotedField)) out.push({ index: index++, line: recordLine, fields });
    fields = [];
    field = "";
    quotedField = false;
    afterQuote = false;
  };

  const consume = (text: string, out: CsvRecord[]) => {
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (inQuotes) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          for (let k = i; k < n; k++) if (text.charCodeAt(k) === LF) line++;
          field += text.slice(i);
          return;
        }
        for (let k = i; k < q; k++) if (text.charCodeAt(k) === LF) line++;
        field += text.slice(i, q);
        if (q + 1 >= n) {
          // Cannot tell "" from a closing quote yet: keep the quote for the next chunk.
          carry = '"';
          return;
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          field += '"';
          i = q + 2;
        } else {
          inQuotes = false;
          afterQuote = true;
          i = q + 1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (pendingCr) {
        pendingCr = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (c === COMMA) {
        fields.push(field);
        field = "";
        afterQuote = false;
        quotedField = false;
        i++;
      } else if (c === LF || c === CR) {
        endRecord(out);
        line++;
        recordLine = line;
        if (c === CR) pendingCr = true;
        i++;
      } else if (afterQuote) {
        fail(`unexpected character ${JSON.stringify(text[i])} after a closing quote (RFC 4180: a quoted field must end at a comma or line break)`);
      } else if (c === QUOTE) {
        if (field !== "") fail('a double quote inside an unquoted field (RFC 4180: quote the whole field and double the inner quotes)');
        inQuotes = true;
        quotedField = true;
        i++;
      } else {
        // Plain run up to the next special character.
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR || d === QUOTE) break;
          j++;
        }
        field += text.slice(i, j);
        i = j;
      }
    }
  };

  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let text = carry + decoder.write(chunk as Buffer);
    carry = "";
    if (first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: CsvRecord[] = [];
    consume(text, out);
    if (out.length) yield out;
  }
  const out: CsvRecord[] = [];
  const rest = carry + decoder.end();
  carry = "";
  consume(rest, out);
  if (carry) {
    // A quote at the very end of the file closes the field.
    inQuotes = false;
    carry = "";
  }
  if (inQuotes) fail("unterminated quoted field at end of file");
  if (field !== "" || fields.length || quotedField) endRecord(out);
  if (out.length) yield out;
}

/** Quote a value for a CSV field when RFC 4180 requires it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
