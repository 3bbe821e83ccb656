import type { FeatureType } from "../../definitions/schema";

/** What a column of a download holds; `vector` is an embedding of fixed dimension. */
export type ColumnKind = FeatureType | "vector";

export type OutputColumn = {
  name: string;
  kind: ColumnKind;
  /** Length of every value of a `vector` column. */
  dimension?: number;
  description: string;
  /** Where the values come from: `view@version:feature`, `embedding@version` or a source column. */
  source: string;
};

/**
 * The SQL giving a column's value in the shape the encoders take, each with an explicit wire
 * type (the binary COPY reader depends on it): timestamps as epoch microseconds (a float8 holds
 * them exactly until 2255, and no JS Date or zone gets involved), JSON as its text, vectors as
 * real[] (postgres.js has no parser for pgvector's type).
 */
export function valueSql(kind: ColumnKind, expression: string): string {
  if (kind === "timestamp") return `(extract(epoch from ${expression}) * 1000000)::float8`;
  return `(${expression})::${WIRE_TYPES[kind]}`;
}

const WIRE_TYPES: Record<Exclude<ColumnKind, "timestamp">, string> = {
  bool: "bool",
  int: "int4",
  float: "float8",
  string: "text",
  json: "text",
  "string[]": "text[]",
  "float[]": "float8[]",
  vector: "real[]",
};

export const KEY_KIND: Record<"int" | "string", ColumnKind> = { int: "int", string: "string" };
