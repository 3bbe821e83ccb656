import { FixedVector } from "./embeddings";

/**
 * Rows as PostgreSQL COPY text: tab-separated fields, `\N` for NULL, backslash escapes. Every
 * value becomes the text postgres.js would have bound for it (numbers and strings as they print,
 * objects as JSON), so COPY stores exactly what the INSERTs stored.
 */
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function field(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text =
    typeof value === "object" && !(value instanceof FixedVector) ? JSON.stringify(value) : String(value);
  return text.replace(ESCAPED, (c) => ESCAPES[c] as string);
}

export function copyLine<Row>(row: Row, columns: readonly (keyof Row & string)[]): string {
  let line = "";
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += "\t";
    line += field(row[columns[i] as keyof Row]);
  }
  return `${line}\n`;
}

const UNESCAPED = /\\(.)/g;
const UNESCAPES: Record<string, string> = { "\\": "\\", n: "\n", r: "\r", t: "\t" };

/** COPY text back into its fields, column by column (`\N` is null): for a database without COPY. */
export function copyColumns(text: string, columns: number): (string | null)[][] {
  const byColumn: (string | null)[][] = Array.from({ length: columns }, () => []);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const fields = line.split("\t");
    for (let c = 0; c < columns; c++) {
      const field = fields[c] as string;
      (byColumn[c] as (string | null)[]).push(
        field === "\\N" ? null : field.replace(UNESCAPED, (_, e: string) => UNESCAPES[e] ?? e),
      );
    }
  }
  return byColumn;
}

/** COPY's text format (this file), or its binary one (db/copy-binary.ts). */
export type CopyFormat = "text" | "binary";

/** `copy <table> (<columns>) from <source>`; table and columns are our own constants. */
export function copyStatement(
  table: string,
  columns: readonly string[],
  source: string,
  format: CopyFormat = "text",
): string {
  const options = format === "binary" ? " with (format binary)" : "";
  return `copy ${table} (${columns.join(", ")}) from ${source}${options}`;
}
