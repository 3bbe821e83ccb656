import type { ColumnKind } from "../../../src/datasets/plan/columns";

type Row = Record<string, unknown>;

/**
 * A value as every reader can be brought to: numbers (timestamps as epoch microseconds), arrays,
 * booleans, text. `from` says which reader produced it, since each speaks its own dialect.
 */
export function normalize(
  kind: ColumnKind,
  value: unknown,
  from: "pg" | "pg-text" | "arrow" | "hyparquet" | "csv" | "json",
): unknown {
  if (value === null || value === undefined) return null;
  if (from === "json" && kind === "timestamp") {
    const text = value as string; // 2024-05-01T10:00:00.123456Z
    return Date.parse(`${text.slice(0, 23)}Z`) * 1000 + Number(text.slice(23, 26) || 0);
  }
  if (from === "csv") {
    const text = value as string;
    if (kind === "int" || kind === "float") return Number(text);
    if (kind === "bool") return text === "true";
    if (kind === "timestamp")
      return Date.parse(`${text.slice(0, 23)}Z`) * 1000 + Number(text.slice(23, 26) || 0);
    if (kind === "string[]" || kind === "float[]" || kind === "vector") return JSON.parse(text);
    return text;
  }
  if (kind === "timestamp") {
    if (value instanceof Date) return value.getTime() * 1000;
    return Math.round((value as number) * 1000); // Arrow JS: epoch milliseconds with a fraction
  }
  if (typeof value === "bigint") return Number(value);
  if (kind === "vector" && from === "pg") return (value as number[]).map(Math.fround);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>);
  return value;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

/** Every value of every row, in order; the first differences found (empty when equal). */
export function differences(
  actual: Row[],
  expected: Row[],
  kinds: Record<string, ColumnKind>,
  from: "arrow" | "hyparquet" | "csv" | "json",
): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`${actual.length} rows, expected ${expected.length}`);
  expected.forEach((e, i) => {
    const a = actual[i] ?? {};
    for (const [column, kind] of Object.entries(kinds)) {
      // CSV and NDJSON write a vector's numbers as PostgreSQL gave them; Arrow and Parquet hold float32.
      const want = normalize(kind, e[column], from === "csv" || from === "json" ? "pg-text" : "pg");
      const got = normalize(kind, a[column], from);
      if (!same(got, want) && out.length < 20) {
        out.push(
          `row ${i} ${column}: got ${JSON.stringify(got)?.slice(0, 80)}, expected ${JSON.stringify(want)?.slice(0, 80)}`,
        );
      }
    }
  });
  return out;
}

/** CSV records as objects by header name. */
export function csvObjects(file: { header: string[]; rows: (string | null)[][] }): Row[] {
  return file.rows.map((r) => Object.fromEntries(file.header.map((h, j) => [h, r[j] ?? null])));
}
