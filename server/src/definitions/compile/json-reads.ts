import type { FeatureType, SourceDefinition } from "../schema";
import { type Fields, nameParts, unwrap } from "./parse-tree";

/**
 * What a view's expression needs of one key of an analysis's `analysis_data` for its SQL not to
 * fail: a number its cast accepts, an integer, a boolean, anything but an object or array (read
 * as text), or an array of scalars (read as a JSON array).
 */
export type JsonExpectation = "number" | "integer" | "boolean" | "scalar" | "array" | "json_number";

/** One key of analysis_data a view reads, and what the reading needs of it. */
export type JsonRead = {
  feature: string;
  /** The analyzers whose analyses the reading alias holds. */
  analyzers: string[];
  alias: string;
  key: string;
  expect: JsonExpectation;
  /** Numbers: the largest magnitude the cast (or the feature's integer column) takes, and the smallest non-zero one. */
  max?: number;
  min?: number;
  /** How the view reads it, for messages: `analysis_data->>'joy' as double precision`. */
  reads: string;
  /** A track's JSON column it reads (trackJsonReadsOf); absent: the analysis's analysis_data. */
  column?: TrackJsonColumn;
};

/** The JSON columns of tracks a view may read keys of. */
export const TRACK_JSON_COLUMNS = ["spotify_data", "audio_features"] as const;
export type TrackJsonColumn = (typeof TRACK_JSON_COLUMNS)[number];
const isTrackJsonColumn = (name: string): name is TrackJsonColumn =>
  (TRACK_JSON_COLUMNS as readonly string[]).includes(name);

type Bounds = { max: number; min: number };

const INT4_MAX = 2_147_483_647;
/**
 * The largest double a view reads: not double precision's own 1.8e308, since avg, stddev and
 * variance sum the squares of what they read in double precision, and one analysis at 1e200 made
 * every later run of an artist view fail ("value out of range: overflow"). At 1e150 the squares of
 * 10^8 rows still add up below the type's limit.
 */
export const FLOAT8_READ_MAX = 1e150;
const NUMBER_CASTS: Record<string, Bounds & { expect: JsonExpectation }> = {
  float8: { expect: "number", max: FLOAT8_READ_MAX, min: 2.2250738585072014e-308 },
  float4: { expect: "number", max: 3.4028234663852886e38, min: 1.1754943508222875e-38 },
  numeric: { expect: "number", max: 1e300, min: 0 },
  int2: { expect: "integer", max: 32_767, min: 0 },
  int4: { expect: "integer", max: INT4_MAX, min: 0 },
  int8: { expect: "integer", max: 9.2e18, min: 0 },
};
const TYPE_ALIASES: Record<string, string> = {
  "double precision": "float8",
  float: "float8",
  real: "float4",
  decimal: "numeric",
  smallint: "int2",
  integer: "int4",
  int: "int4",
  bigint: "int8",
  bool: "boolean",
};
const ARRAY_FUNCTIONS = new Set(["jsonb_array_length", "jsonb_array_elements", "jsonb_array_elements_text"]);

/**
 * Every analysis_data key a view's features read with `->>` or `->`, and what each reading needs
 * (from the cast or function around it). The ingestion door refuses an analysis that does not
 * fit, and runs never pick one that does not (so a bad value can never fail a run).
 */
export function jsonReadsOf(
  source: SourceDefinition,
  columns: { name: string; type: FeatureType | "vector"; tree: unknown }[],
): JsonRead[] {
  const analyzersOf = (alias: string): string[] | undefined => {
    if (alias === "a" && source.from === "analyses") return source.analyzers;
    const joined = source.join_latest?.[alias];
    return joined ? [joined] : undefined;
  };
  const reads = new Map<string, JsonRead>();
  for (const column of columns) {
    visit(column.tree, [], ({ column: readColumn, ...found }) => {
      if (readColumn !== "analysis_data") return;
      const analyzers = analyzersOf(found.alias);
      if (!analyzers) return;
      const bounded =
        column.type === "int" && found.expect === "number"
          ? { ...found, max: Math.min(found.max ?? INT4_MAX, INT4_MAX) }
          : found;
      const read: JsonRead = { feature: column.name, analyzers, ...bounded };
      const id = `${read.alias}\u0000${read.key}\u0000${read.expect}\u0000${read.max}`;
      if (!reads.has(id)) reads.set(id, read);
    });
  }
  return [...reads.values()];
}

/**
 * Every key of a track's JSON columns (spotify_data, audio_features) a view's features read with
 * a cast or function (the tracks alias `t`): the door refuses a track whose value there the view
 * cannot read, since a failed cast in a run fails the whole view's run, every run after it.
 */
export function trackJsonReadsOf(
  columns: { name: string; type: FeatureType | "vector"; tree: unknown }[],
): JsonRead[] {
  const reads = new Map<string, JsonRead>();
  for (const feature of columns) {
    visit(feature.tree, [], ({ column, ...found }) => {
      if (found.alias !== "t" || !isTrackJsonColumn(column) || found.expect === "scalar") return;
      const id = `${column}\u0000${found.key}\u0000${found.expect}\u0000${found.max}`;
      if (!reads.has(id)) reads.set(id, { feature: feature.name, analyzers: [], column, ...found });
    });
  }
  return [...reads.values()];
}

type Found = Omit<JsonRead, "feature" | "analyzers" | "column"> & { column: string };

function visit(node: unknown, ancestors: [string, Fields][], found: (read: Found) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, ancestors, found);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const entries = Object.entries(node);
  if (entries.length !== 1) {
    for (const [, child] of entries) visit(child, ancestors, found);
    return;
  }
  const [kind, fields] = unwrap(node);
  if (kind === "A_Expr") {
    const read = jsonRead(fields, ancestors);
    if (read) found(read);
  }
  if (fields === null || typeof fields !== "object") return;
  const inside: [string, Fields][] = [[kind, fields], ...ancestors];
  for (const child of Object.values(fields)) visit(child, inside, found);
}

function jsonRead(fields: Fields, ancestors: [string, Fields][]): Found | undefined {
  const operator = fields.name ? nameParts(fields.name).join(".") : "";
  if (fields.kind !== "AEXPR_OP" || (operator !== "->>" && operator !== "->")) return undefined;
  const ref = fields.lexpr as { ColumnRef?: { fields: unknown } } | undefined;
  const names = ref?.ColumnRef ? nameParts(ref.ColumnRef.fields) : [];
  const key = (fields.rexpr as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval;
  const column = names[1];
  if (names.length !== 2 || column === undefined || key === undefined) return undefined;
  if (column !== "analysis_data" && !isTrackJsonColumn(column)) return undefined;
  const alias = names[0] as string;
  const path = `${alias}.${column}${operator}'${key}'`;
  const [parentKind, parent] = ancestors[0] ?? [];
  if (operator === "->>") {
    const type = parentKind === "TypeCast" ? castType(parent as Fields) : undefined;
    const cast = type ? NUMBER_CASTS[type] : undefined;
    if (cast)
      return {
        alias,
        column,
        key,
        expect: cast.expect,
        max: cast.max,
        min: cast.min,
        reads: `${path} as ${type}`,
      };
    if (type === "boolean") return { alias, column, key, expect: "boolean", reads: `${path} as boolean` };
    return { alias, column, key, expect: "scalar", reads: `${path} as text` };
  }
  if (parentKind === "FuncCall") {
    const name = nameParts((parent as Fields).funcname).at(-1) as string;
    if (ARRAY_FUNCTIONS.has(name)) return { alias, column, key, expect: "array", reads: `${name}(${path})` };
    return undefined;
  }
  if (parentKind !== "TypeCast") return undefined;
  const type = castType(parent as Fields);
  const cast = type ? NUMBER_CASTS[type] : undefined;
  if (cast)
    return {
      alias,
      column,
      key,
      expect: "json_number",
      max: cast.max,
      min: cast.min,
      reads: `(${path})::${type}`,
    };
  // (a.analysis_data->'themes')::text, turned into an array literal further up.
  const castToArray = ancestors
    .slice(1)
    .some(([kind, f]) => kind === "TypeCast" && f.typeName && isArrayType(f));
  if (type === "text" && castToArray)
    return { alias, column, key, expect: "array", reads: `(${path})::text[]` };
  return undefined;
}

function castType(cast: Fields): string | undefined {
  const typeName = cast.typeName as { names: unknown; arrayBounds?: unknown[] } | undefined;
  if (!typeName || typeName.arrayBounds) return undefined;
  const name = nameParts(typeName.names)
    .filter((part) => part !== "pg_catalog")
    .join(" ");
  return TYPE_ALIASES[name] ?? name;
}

const isArrayType = (cast: Fields) => Boolean((cast.typeName as { arrayBounds?: unknown[] }).arrayBounds);
