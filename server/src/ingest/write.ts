import type postgres from "postgres";
import { type Sql, sqlParams } from "../db/database";
import { LOCK_SOURCE_WRITES_SHARED } from "../db/source-writes";
import { DomainError } from "../errors";
import { formatTimestamp } from "../values/timestamps";
import { type CheckedBatch, type CheckedRow, checkRows } from "./check-rows";
import { type ColumnSpec, INGEST_TABLES, type IngestTable } from "./columns";
import { type DatabaseView, databaseProblems, readDatabaseView } from "./database-checks";
import { batchDigest, claimKey, recordResult } from "./idempotency";
import { batchRefused, type RowProblem } from "./problems";
import type { IngestBatch } from "./row-schemas";

/** Rows written to one table, in the batch's order: ids and the created_at each row got (UTC). */
export type WrittenRows = { count: number; ids: number[]; createdAt: string[] };
export type IngestResult = { tracks: WrittenRows; analyses: WrittenRows };
/** A result, and whether it is an earlier write's, answered again for its idempotency key. */
export type IngestOutcome = IngestResult & { replayed: boolean };
export type IngestOptions = {
  /** The batch's key: sent again under it, the batch gets the first write's result, written once. */
  idempotencyKey?: string | undefined;
};

/** Every problem of a batch, the database's included, without writing anything. */
export async function findBatchProblems(sql: Sql, batch: IngestBatch | unknown): Promise<RowProblem[]> {
  const checked = checkRows(batch);
  return [...checked.problems, ...databaseProblems(checked, await readDatabaseView(sql, checked))];
}

/** Refuses a batch with all its problems (a DomainError) as `ingestBatch` would, writing nothing. */
export async function checkBatch(sql: Sql, batch: IngestBatch | unknown): Promise<void> {
  const problems = await findBatchProblems(sql, batch);
  if (problems.length > 0) throw batchRefused(problems);
}

/**
 * Writes new tracks and analyses in one transaction, all or nothing: a batch with any bad row is
 * refused with every problem (VALIDATION_FAILED, nothing written). The transaction takes the
 * source-writes lock shared before anything else, and rows without created_at are stamped with
 * clock_timestamp() after it, so incremental materialization misses none of them. Under an
 * idempotency key, a batch sent again gets the first write's result and writes nothing.
 */
export async function ingestBatch(
  sql: Sql,
  batch: IngestBatch | unknown,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const checked = checkRows(batch);
  const key = options.idempotencyKey;
  try {
    return await sql.begin(async (tx) => {
      await tx.unsafe(LOCK_SOURCE_WRITES_SHARED);
      // Before the checks: a batch already written would now fail them (its given ids are taken).
      const earlier = key === undefined ? undefined : await claimKey(tx, key, batchDigest(batch));
      if (earlier) return { ...earlier, replayed: true };
      const view = await readDatabaseView(tx, checked);
      const problems = [...checked.problems, ...databaseProblems(checked, view)];
      if (problems.length > 0) throw batchRefused(problems);
      const tracks = await insertRows(tx, "tracks", checked, view);
      const analyses = await insertRows(tx, "analyses", checked, view);
      if (key !== undefined) await recordResult(tx, key, { tracks, analyses });
      return { tracks, analyses, replayed: false };
    });
  } catch (error) {
    throw raceLost(error) ?? error;
  }
}

async function insertRows(
  tx: postgres.TransactionSql,
  table: IngestTable,
  checked: CheckedBatch,
  view: DatabaseView,
): Promise<WrittenRows> {
  const rows = checked[table];
  if (rows.length === 0) return { count: 0, ids: [], createdAt: [] };
  const relation = INGEST_TABLES[table].table;
  const ids = await rowIds(tx, relation, rows);
  const types = view.columns[table];
  const specs = Object.entries(INGEST_TABLES[table].columns).filter(
    ([name]) => name !== "id" && name !== "created_at" && types.has(name),
  );
  const columns = ["id", ...specs.map(([name]) => name), "created_at"];
  const values: (string | null)[][] = [
    ids.map(String),
    ...specs.map(([name, spec]) => rows.map((row) => cellText(row.values[name], spec))),
    rows.map((row) => (row.createdAt === undefined ? null : formatTimestamp(row.createdAt))),
  ];
  // Every value travels as text through its type's input function, as COPY would put it: the
  // same statement on PGlite (whose socket has no COPY FROM STDIN) and on a server.
  const selected = columns.map((name, i) => {
    const cast = `u.c${i}::${name === "id" ? "int" : (types.get(name) ?? "text")}`;
    return name === "created_at" ? `coalesce(${cast}, clock_timestamp() at time zone 'UTC')` : cast;
  });
  const written = await tx.unsafe<{ id: number; created_at: string }[]>(
    `insert into ${relation} (${columns.join(", ")})
     select ${selected.join(", ")}
     from unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(", ")}) as u(${columns.map((_, i) => `c${i}`).join(", ")})
     returning id, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') as created_at`,
    sqlParams(values),
  );
  const stamps = new Map(written.map((row) => [row.id, row.created_at]));
  return { count: ids.length, ids, createdAt: ids.map((id) => stamps.get(id) ?? "") };
}

/** The given track ids, and the serial's next ones for the rest; the serial moved past given ones. */
async function rowIds(tx: postgres.TransactionSql, relation: string, rows: CheckedRow[]): Promise<number[]> {
  const given = rows.map((row) => (typeof row.values.id === "number" ? row.values.id : undefined));
  const needed = given.filter((id) => id === undefined).length;
  const fresh =
    needed === 0
      ? []
      : (
          await tx<{ id: number }[]>`
            select nextval(pg_get_serial_sequence(${relation}, 'id'))::int as id
            from generate_series(1, ${needed}::int)`
        )
          .map((row) => row.id)
          .sort((a, b) => a - b);
  const highest = Math.max(0, ...given.filter((id) => id !== undefined));
  if (highest > 0) {
    await tx`
      select setval(s, greatest(${highest}::bigint, coalesce(pg_sequence_last_value(s), 0)))
      from (select pg_get_serial_sequence(${relation}, 'id')::regclass as s) q`;
  }
  let next = 0;
  return given.map((id) => id ?? (fresh[next++] as number));
}

function cellText(value: unknown, spec: ColumnSpec): string | null {
  if (value === null || value === undefined) return null;
  if (spec.kind === "json") return JSON.stringify(value);
  if (spec.kind === "vector") return `[${(value as number[]).join(",")}]`;
  return String(value);
}

/** A concurrent writer took a given track id, or deleted a track the batch names, after the checks. */
function raceLost(error: unknown): DomainError | undefined {
  const code = (error as { code?: unknown }).code;
  if (code !== "23505" && code !== "23503") return undefined;
  return new DomainError(
    "CONFLICT",
    code === "23505"
      ? "A concurrent write took a track id this batch gives; nothing was written. Retry without that id."
      : "A track this batch's analyses name was deleted meanwhile; nothing was written.",
    { cause: error },
  );
}
