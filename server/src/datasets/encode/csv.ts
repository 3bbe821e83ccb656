import { formatTimestamp } from "../../values/timestamps";
import type { Utf8Pieces } from "../../values/utf8-pieces";
import type { OutputColumn } from "../plan/columns";

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * RFC 4180: CRLF between records, a field with a comma, quote, CR or LF is quoted with its
 * quotes doubled. NULL is an empty field and an empty string is `""`, so the two stay apart.
 */
export function csvField(text: string | null): string {
  if (text === null) return "";
  if (text === "") return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(columns: OutputColumn[]): string {
  return `${columns.map((c) => csvField(c.name)).join(",")}\r\n`;
}

/** Rows of values (the shapes `valueSql` selects) as CSV records. */
export function csvRecords(columns: OutputColumn[], rows: unknown[][], into: Utf8Pieces): void {
  const formatters = columns.map((c) => formatter(c.kind));
  for (const row of rows) {
    let out = "";
    for (let j = 0; j < formatters.length; j++) {
      if (j > 0) out += ",";
      const value = row[j];
      out += value === null || value === undefined ? "" : csvField((formatters[j] as Format)(value));
    }
    into.add(`${out}\r\n`);
  }
}

type Format = (value: unknown) => string;

function formatter(kind: OutputColumn["kind"]): Format {
  switch (kind) {
    case "timestamp":
      return (v) => formatTimestamp(v as number);
    case "string[]":
      return (v) => JSON.stringify(v);
    // Lists of numbers and vectors in brackets, each number as its shortest round-trip text.
    case "float[]":
    case "vector":
      return (v) => `[${(v as (number | null)[]).map((x) => (x === null ? "null" : String(x))).join(",")}]`;
    default:
      return (v) => String(v);
  }
}
