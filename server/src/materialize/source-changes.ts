import type { Sql } from "../db/database";
import type { MaterializeTarget } from "./target";

/**
 * The corpus changes (migration 0011's triggers note one per statement) that a target's last
 * run did not see (not visible in the snapshot it read its sources in) and that it reads: every
 * tracks change, and analyses of its analyzers.
 */
function unseenBy(sql: Sql, target: MaterializeTarget) {
  const analyzers = target.analyzers;
  return sql`
    (${target.sourceSnapshot}::text is null
      or not pg_visible_in_snapshot(c.xid, ${target.sourceSnapshot}::pg_snapshot))
    and (c.source = 'tracks'
      or (${analyzers.length > 0} and (c.analyzers is null or c.analyzers && ${analyzers}::text[])))`;
}

/**
 * True when a run in this snapshot must be full: it newly sees rows an incremental run cannot
 * find (created at or before the watermark it starts after: back-dated, or committed late by
 * a writer that did not take the source-writes lock), or rows updated, deleted or truncated.
 */
export async function needsFullRun(tx: Sql, target: MaterializeTarget): Promise<boolean> {
  if (target.watermark === null) return true;
  const [row] = await tx<{ full: boolean }[]>`
    select exists (
      select 1 from rapfs_source_changes c
      where ${unseenBy(tx, target)}
        and (c.op <> 'insert' or c.oldest_created_at <= ${target.watermark}::text::timestamp)
    ) as full`;
  return row?.full === true;
}

export type Pending = {
  /** Statements noted since the last run saw the sources (0: it serves every change). */
  changes: number;
  /** When the oldest of them was noted (null: none). */
  since: Date | null;
};

/** What a target has not served yet. */
export async function pendingChanges(sql: Sql, target: MaterializeTarget): Promise<Pending> {
  const [row] = await sql<{ changes: number; since: Date | null }[]>`
    select count(*)::int as changes, min(c.noted_at) as since
    from rapfs_source_changes c where ${unseenBy(sql, target)}`;
  return { changes: row?.changes ?? 0, since: row?.since ?? null };
}

/** Forgets the changes that every target and follower has seen or does not read; returns how many. */
export async function pruneSourceChanges(
  sql: Sql,
  targets: readonly MaterializeTarget[],
  /** Snapshots of readers of the tracks table that follow its changes too (in-memory search). */
  followers: readonly string[] = [],
): Promise<number> {
  const seen = [
    ...targets.map((t) => ({ snapshot: t.sourceSnapshot, analyzers: t.analyzers })),
    ...followers.map((snapshot) => ({ snapshot, analyzers: [] })),
  ];
  const result = await sql`
    delete from rapfs_source_changes c
    where not exists (
      select 1 from jsonb_to_recordset(${sql.json(seen)}) t(snapshot text, analyzers text[])
      where (t.snapshot is null or not pg_visible_in_snapshot(c.xid, t.snapshot::pg_snapshot))
        and (c.source = 'tracks'
          or (cardinality(t.analyzers) > 0 and (c.analyzers is null or c.analyzers && t.analyzers)))
    )`;
  return result.count;
}
