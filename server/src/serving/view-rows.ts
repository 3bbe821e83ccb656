import { type Sql, sqlParams } from "../db/database";
import { ident } from "../definitions/compile/params";
import { keyPgType } from "../definitions/schema";
import type { OnlineRow } from "../online/types";
import type { ViewVersion } from "../registry";

// Timestamps are UTC wall time in the corpus; text in SQL keeps them exact and zone-free.
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const ID = "__id";
const EVENT = "__event_timestamp";

type ViewShape = Pick<ViewVersion, "table" | "keyColumn" | "keyType" | "features" | "entity">;

/** The select list turning a view table's row into an online row: the same for sync and fallback. */
function selectList(view: ViewShape): string {
  const columns = view.features.map((f) =>
    f.type === "timestamp" ? `to_char(${ident(f.name)}, ${ISO}) as ${ident(f.name)}` : ident(f.name),
  );
  return [
    `${ident(view.keyColumn)}::text as ${ID}`,
    `to_char("event_timestamp", ${ISO}) as ${EVENT}`,
    ...columns,
  ].join(", ");
}

export function toOnlineRow(row: Record<string, unknown>, view: ViewShape): OnlineRow {
  const values: Record<string, unknown> = {};
  for (const f of view.features) values[f.name] = row[f.name] ?? null;
  // A row without an event timestamp keeps "" (the store's field is a string); it is served as null.
  return { id: row[ID] as string, values, eventTimestamp: (row[EVENT] as string | null) ?? "" };
}

function isInt32(id: string): boolean {
  const n = Number(id);
  return /^-?[0-9]{1,10}$/.test(id) && n >= -2_147_483_648 && n <= 2_147_483_647;
}

export function keyArrayType(view: ViewShape): string {
  return `${keyPgType(view.keyType)}[]`;
}

/** The rows of the given ids (ids that are not valid keys of the view simply match nothing). */
export async function readViewRows(sql: Sql, view: ViewShape, ids: readonly string[]): Promise<OnlineRow[]> {
  const keys = view.keyType === "int" ? ids.filter(isInt32) : [...ids];
  if (keys.length === 0) return [];
  const text = `select ${selectList(view)} from ${ident(view.table)} where ${ident(view.keyColumn)} = any($1::${keyArrayType(view)})`;
  const rows = await sql.unsafe(text, sqlParams([keys]));
  return rows.map((row) => toOnlineRow(row, view));
}

/**
 * Every row of a view table (or those materialized at or after `since`), in chunks through a
 * cursor so memory stays flat however large the view is.
 */
export async function* scanViewRows(
  sql: Sql,
  view: ViewShape,
  options: { since?: Date; chunk?: number } = {},
): AsyncGenerator<OnlineRow[]> {
  const where = options.since ? ` where "materialized_at" >= $1::timestamptz` : "";
  const text = `select ${selectList(view)} from ${ident(view.table)}${where} order by ${ident(view.keyColumn)}`;
  const params = options.since ? [options.since.toISOString()] : [];
  for await (const rows of sql.unsafe(text, sqlParams(params)).cursor(options.chunk ?? 1_000)) {
    yield rows.map((row) => toOnlineRow(row, view));
  }
}
