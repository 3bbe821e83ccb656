import { INGEST_TABLES, type IngestTable } from "./columns";

/** How a file gives its cells: all text (CSV), JSON values (NDJSON) or Arrow values (Parquet). */
export type CellSource = "text" | "json" | "arrow";

export type CellProblem = { field: string; detail: string };

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * A file's record as the row the batch takes: CSV text parsed per column (numbers, JSON, vectors
 * as `[0.1,…]`; an empty cell is absent), Arrow's big integers, lists, structs and times made
 * plain. A cell that cannot be read is left out of the row and named in `problems`; one of the
 * wrong type is kept, for the row's check to name.
 */
export function rowFromCells(
  table: IngestTable,
  record: Record<string, unknown>,
  source: CellSource,
): { row: Record<string, unknown>; problems: CellProblem[] } {
  const columns = INGEST_TABLES[table].columns;
  const row: Record<string, unknown> = {};
  const problems: CellProblem[] = [];
  for (const [field, cell] of Object.entries(record)) {
    if (cell === null || cell === undefined || (source === "text" && cell === "")) continue;
    const kind = columns[field]?.kind;
    const value = source === "arrow" ? plainArrow(cell) : cell;
    if (typeof value !== "string" || source === "json") {
      row[field] =
        kind === "timestamp" && source === "arrow" && typeof value === "number" ? arrowTime(value) : value;
      continue;
    }
    if (kind === "id" || kind === "int" || kind === "number") {
      row[field] = NUMBER.test(value) ? Number(value) : value;
    } else if (kind === "json" || kind === "vector") {
      try {
        row[field] = JSON.parse(value);
      } catch {
        problems.push({
          field,
          detail: kind === "json" ? "is not valid JSON" : "is not a vector written as [0.12, -0.5, …]",
        });
      }
    } else row[field] = value;
  }
  return { row, problems };
}

/** Arrow JS values as plain JSON-like ones. */
function plainArrow(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<number | bigint>, plainArrow);
  if (value !== null && typeof value === "object") {
    const withJson = value as { toJSON?: () => unknown; toArray?: () => unknown };
    if (typeof withJson.toArray === "function" && Symbol.iterator in value)
      return Array.from(value as Iterable<unknown>, plainArrow);
    if (typeof withJson.toJSON === "function") return plainJson(withJson.toJSON());
  }
  return value;
}

function plainJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainArrow);
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainArrow(v)]));
  return plainArrow(value);
}

/** Arrow JS gives timestamps as epoch milliseconds. */
function arrowTime(ms: number): string {
  return new Date(ms).toISOString();
}
