import type { Sql } from "../../db/database";
import type { EmbeddingInfo } from "../../registry";
import { parseVector } from "./vector-index";

/**
 * What an in-memory index was read from: the snapshot its rows were read after (it holds every
 * write that snapshot sees) and the table's storage (a full run, a new corpus or a truncate
 * replaces it, and the index is then read whole again).
 */
export type RowsSeen = { snapshot: string; storage: string | null };

export async function rowsSeenNow(sql: Sql, embedding: EmbeddingInfo): Promise<RowsSeen> {
  const [row] = await sql<{ snapshot: string; storage: string | null }[]>`
    select pg_current_snapshot()::text as snapshot,
      pg_relation_filenode(${embedding.relation}::regclass)::text as storage`;
  return { snapshot: row?.snapshot ?? "", storage: row?.storage ?? null };
}

/**
 * The rows inserted or updated by transactions `snapshot` did not see, with their vectors (null
 * for a row without one). A row's xmin is the transaction that wrote it; as a 32-bit xid it is
 * widened to the xid8 a snapshot holds with the epoch of the next xid. `age` skips, cheaply, the
 * rows older than the snapshot's oldest transaction, and frozen xids (age is then maximal).
 */
export async function rowsWrittenSince(
  sql: Sql,
  embedding: EmbeddingInfo,
  snapshot: string,
): Promise<Map<number, Float32Array | null>> {
  const key = sql(embedding.keyColumn);
  const rows = await sql<{ id: number; v: string | null }[]>`
    with seen as (select ${snapshot}::pg_snapshot as snapshot),
      horizon as (
        select snapshot,
          age((pg_snapshot_xmin(snapshot)::text::int8 & 4294967295)::text::xid) as age,
          pg_snapshot_xmax(pg_current_snapshot())::text::int8 as next
        from seen)
    select e.${key}::int as id, e.${sql(embedding.vectorColumn)}::text as v
    from ${sql(embedding.relation)} e, horizon h
    where age(e.xmin) <= h.age
      and not pg_visible_in_snapshot(
        ((h.next >> 32 << 32) + e.xmin::text::int8
          - case when e.xmin::text::int8 > (h.next & 4294967295) then 4294967296 else 0 end)::text::xid8,
        h.snapshot)`;
  const written = new Map<number, Float32Array | null>();
  for (const row of rows) written.set(row.id, row.v === null ? null : toVector(row.v, embedding.dimension));
  return written;
}

/** The ids of the rows with a vector, unless there are `expected` of them (then nothing was deleted). */
export async function idsUnlessCount(
  sql: Sql,
  embedding: EmbeddingInfo,
  expected: number,
): Promise<Set<number> | undefined> {
  const vector = sql(embedding.vectorColumn);
  const [count] = await sql<{ n: number }[]>`
    select count(*)::int as n from ${sql(embedding.relation)} where ${vector} is not null`;
  if (count?.n === expected) return undefined;
  const rows = await sql<{ id: number }[]>`
    select ${sql(embedding.keyColumn)}::int as id from ${sql(embedding.relation)} where ${vector} is not null`;
  return new Set(rows.map((r) => r.id));
}

/** Whether the corpus table `relation` has writes (migration 0011's log) that `snapshot` did not see. */
export async function sourceChangedSince(sql: Sql, relation: string, snapshot: string): Promise<boolean> {
  const [row] = await sql<{ changed: boolean }[]>`
    select exists (
      select 1 from rapfs_source_changes
      where source = ${relation} and not pg_visible_in_snapshot(xid, ${snapshot}::pg_snapshot)
    ) as changed`;
  return row?.changed === true;
}

/**
 * The ids inserted into `relation` by the writes visible in `now` but not in `before`, when
 * inserts are all there were (migration 0013 notes their ids); undefined when an update, a delete
 * or a truncate is among them, which only a scan can follow.
 */
export async function insertedBetween(
  sql: Sql,
  relation: string,
  before: string,
  now: string,
): Promise<number[] | undefined> {
  const [row] = await sql<{ inserts_only: boolean; ids: number[] | null }[]>`
    select coalesce(bool_and(c.op = 'insert' and c.ids is not null), true) as inserts_only,
      coalesce(array_agg(i.id) filter (where i.id is not null), '{}') as ids
    from rapfs_source_changes c left join lateral unnest(c.ids) as i(id) on true
    where c.source = ${relation}
      and not pg_visible_in_snapshot(c.xid, ${before}::pg_snapshot)
      and pg_visible_in_snapshot(c.xid, ${now}::pg_snapshot)`;
  return row?.inserts_only ? (row.ids ?? []) : undefined;
}

/** The vectors of these rows (null: the row has none, or is gone). */
export async function rowsWithIds(
  sql: Sql,
  embedding: EmbeddingInfo,
  ids: readonly number[],
): Promise<Map<number, Float32Array | null>> {
  const rows = await sql<{ id: number; v: string | null }[]>`
    select ${sql(embedding.keyColumn)}::int as id, ${sql(embedding.vectorColumn)}::text as v
    from ${sql(embedding.relation)} where ${sql(embedding.keyColumn)} = any(${ids as number[]}::int[])`;
  const found = new Map<number, Float32Array | null>(ids.map((id) => [id, null]));
  for (const row of rows) found.set(row.id, row.v === null ? null : toVector(row.v, embedding.dimension));
  return found;
}

function toVector(text: string, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  parseVector(text, vector, 0, dimension);
  return vector;
}
