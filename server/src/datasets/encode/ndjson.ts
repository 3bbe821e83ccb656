import { formatTimestamp } from "../../values/timestamps";
import type { Utf8Pieces } from "../../values/utf8-pieces";
import type { OutputColumn } from "../plan/columns";

/**
 * NDJSON: one object per row, keyed by column name, with the JSON API's types: numbers,
 * booleans, strings, lists as arrays, JSON features as JSON, timestamps as ISO 8601 UTC to the
 * microsecond (`2024-05-01T10:00:00.123456Z`, as GET /v1/features gives them), NULL as null.
 */
export function ndjsonRecords(columns: OutputColumn[], rows: unknown[][], into: Utf8Pieces): void {
  const names = columns.map((c) => JSON.stringify(c.name));
  const converters = columns.map((c) => converter(c.kind));
  for (const row of rows) {
    let out = "{";
    for (let j = 0; j < names.length; j++) {
      const value = row[j];
      const json = value === null || value === undefined ? "null" : (converters[j] as Convert)(value);
      out += `${j > 0 ? "," : ""}${names[j]}:${json}`;
    }
    into.add(`${out}}\n`);
  }
}

type Convert = (value: unknown) => string;

function converter(kind: OutputColumn["kind"]): Convert {
  switch (kind) {
    case "timestamp":
      return (v) => `"${formatTimestamp(v as number)}Z"`;
    // JSON features arrive as their text (columns.ts); it is JSON already.
    case "json":
      return (v) => v as string;
    case "float":
      return finite;
    case "float[]":
    case "vector":
      return (v) => `[${(v as (number | null)[]).map((x) => (x === null ? "null" : finite(x))).join(",")}]`;
    default:
      return (v) => JSON.stringify(v);
  }
}

/** JSON has no NaN or ±Infinity; JSON.stringify would write null, which is said here. */
function finite(value: unknown): string {
  return Number.isFinite(value) ? String(value) : "null";
}
