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

/** What the changes a run newly sees reach besides the rows after its watermark (see runScope). */
export type NotedChanges = {
  /** Tracks of rows written back-dated, updated or deleted (and tracks updated or deleted). */
  tracks: number[];
  /** Artists tracks updated or deleted had before the statement and after it. */
  artists: string[];
  /** The planner's estimate of the corpus's tracks (null: tracks never analysed): see costsMoreThanFull. */
  sourceTracks: number | null;
};

/** What an incremental run's first statement reads: its snapshot, and what it must cover. */
export type RunScope = { snapshot: string; scope: "full" | NotedChanges };

/**
 * An incremental run's first statement in its repeatable-read transaction (its snapshot is this
 * statement's), and the transaction's `work_mem`: one round trip, where a one-key run is a
 * handful of them.
 *
 * What a run in this snapshot must cover beyond the rows created after its watermark: "full" when
 * it newly sees a truncate, or a change noted before migration 0016 without its tracks; else the
 * tracks (and artists) of the rows inserted at or before the watermark (back-dated, or committed
 * late by a writer that did not take the source-writes lock), updated or deleted, which an
 * incremental run recomputes by key (none: the usual case). Whether that costs more than a
 * rebuild is `costsMoreThanFull`'s call, once the keys are known.
 */
export async function runScope(tx: Sql, target: MaterializeTarget, workMem: string): Promise<RunScope> {
  const [row] = await tx<
    { snapshot: string; full: boolean; tracks: number[]; artists: string[]; source_tracks: number | null }[]
  >`
    with c as (
      select c.op, c.track_ids, c.artists from rapfs_source_changes c
      where ${unseenBy(tx, target)}
        and (c.op <> 'insert' or c.oldest_created_at <= ${target.watermark}::text::timestamp)
    )
    select pg_current_snapshot()::text as snapshot, set_config('work_mem', ${workMem}, true),
      coalesce((select bool_or(op = 'truncate' or track_ids is null) from c), false) as full,
      coalesce((select array_agg(distinct t) from c, unnest(c.track_ids) t), '{}') as tracks,
      coalesce((select array_agg(distinct a) from c, unnest(c.artists) a), '{}') as artists,
      (select nullif(reltuples, -1) from pg_class where oid = 'tracks'::regclass)::float8 as source_tracks`;
  if (!row) throw new Error("the run's scope read no row");
  const { snapshot } = row;
  if (target.watermark === null || row.full) return { snapshot, scope: "full" };
  // A registry compiled before keys could be removed (applied again at the next start): rebuilt.
  if (target.touched === null && (row.tracks.length > 0 || row.artists.length > 0))
    return { snapshot, scope: "full" };
  return { snapshot, scope: { tracks: row.tracks, artists: row.artists, sourceTracks: row.source_tracks } };
}

/**
 * Recomputing a track by key (an index probe per source row, an upsert, a WAL record) costs this
 * many times what a full run spends on it (a sequential scan into a fresh table), on the embedded
 * database and on a server. Measured with `pnpm bench freshness-keyed` (docs/benchmarks.md, "a
 * keyed run's time per track", statements back-dating 1% to 10% of the tracks):
 * - embedded, scale 1: 1.5–2.2× (2026-11-25), with twice that as room: 4;
 * - a server PostgreSQL at scale 10 (128 MB shared_buffers): 5.3–7.8× (2026-11-26). The probes
 *   read the 3.3 million analyses in random order from a heap many times its cache, where a full
 *   run reads it in order; at 4, a statement reaching a fifth of the tracks ran keyed at 1.2×
 *   its rebuild: 8.
 * A run whose noted changes reach more than 1/cost of the view's source tracks rebuilds it instead.
 */
export const KEYED_COST_PER_TRACK = { embedded: 4, server: 8 } as const;

/** The keyed cost per track where a run's session runs. */
export const keyedCostPerTrack = (onServer: boolean): number =>
  onServer ? KEYED_COST_PER_TRACK.server : KEYED_COST_PER_TRACK.embedded;

/**
 * Whether recomputing the keys noted changes reach costs more than a full run: the source tracks
 * it reads (its tracks; an artist view without per-track inputs re-reads every track of each
 * artist touched, `keys`) against the tracks the view is built from (the planner's estimate:
 * counting them reads the whole wide table, most of a one-track run), at `costPerTrack`.
 */
export async function costsMoreThanFull(
  tx: Sql,
  target: MaterializeTarget,
  noted: NotedChanges,
  keys: readonly unknown[],
  costPerTrack: number,
): Promise<boolean> {
  if (noted.tracks.length === 0 && keys.length === 0) return false;
  if (target.entity === "track") {
    return noted.tracks.length * costPerTrack > (target.rowCount ?? 0);
  }
  if (target.helperTable !== null && noted.sourceTracks !== null) {
    return noted.tracks.length * costPerTrack > noted.sourceTracks;
  }
  const [row] = await tx<{ read: number; all: number }[]>`
    select (select count(*) from tracks where ${target.helperTable === null}
        and artist = any(${keys as string[]}::text[]))::float8 as read,
      coalesce((select nullif(reltuples, -1) from pg_class where oid = 'tracks'::regclass),
        (select count(*) from tracks))::float8 as "all"`;
  const read = target.helperTable ? noted.tracks.length : (row?.read ?? 0);
  return read * costPerTrack > (row?.all ?? 0);
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

/**
 * Forgets the changes that every target, follower and stored history has seen or does not read;
 * returns how many.
 */
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
    )
    -- A stored history finds the artists changed since it was read here (stored-history.ts), and
    -- a whole build under way will record what it read in.
    and not exists (
      select 1 from rapfs_stored_histories h where not pg_visible_in_snapshot(c.xid, h.snapshot::pg_snapshot)
    )
    and not exists (
      select 1 from rapfs_history_builds b where not pg_visible_in_snapshot(c.xid, b.snapshot::pg_snapshot)
    )`;
  return result.count;
}
