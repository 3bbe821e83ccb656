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
 * What a run in this snapshot must cover beyond the rows created after its watermark: "full" when
 * it newly sees rows updated, deleted or truncated, or rows created at or before the watermark
 * (back-dated, or committed late by a writer that did not take the source-writes lock) whose
 * tracks were not noted (a statement of over 10,000 rows); else the tracks of those back-dated
 * rows, which an incremental run recomputes with their artists (none: the usual case).
 */
export async function runScope(tx: Sql, target: MaterializeTarget): Promise<"full" | number[]> {
  if (target.watermark === null) return "full";
  const [row] = await tx<{ full: boolean; tracks: number[] }[]>`
    select coalesce(bool_or(c.op <> 'insert' or c.track_ids is null), false) as full,
      coalesce(array_agg(distinct t.id) filter (where t.id is not null), '{}') as tracks
    from rapfs_source_changes c left join lateral unnest(c.track_ids) as t(id) on true
    where ${unseenBy(tx, target)}
      and (c.op <> 'insert' or c.oldest_created_at <= ${target.watermark}::text::timestamp)`;
  return row?.full ? "full" : (row?.tracks ?? []);
}

/** True when a run in this snapshot must be full (see runScope). */
export async function needsFullRun(tx: Sql, target: MaterializeTarget): Promise<boolean> {
  return (await runScope(tx, target)) === "full";
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
