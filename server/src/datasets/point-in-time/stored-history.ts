import type { Sql } from "../../db/database";
import { sqlParams } from "../../db/database";
import { bindParams, ident } from "../../definitions/compile/params";
import type { CompiledHistory } from "../../definitions/compile/pit-history";
import type { Session } from "../../definitions/hnsw-build";
import { parseTimestamp } from "../../values/timestamps";
import { Pacer, SLICE_TARGET_MS } from "../pacer";
import { valueSql } from "../plan/columns";
import { type HistoryTarget, type Pairs, readLatest, runningTotals, writeTotals } from "./pit-history";

/**
 * An artist view's history kept between requests (migration 0018): the rows fillFromHistory
 * computes for the artists a training set asks for, for every artist, read in `snapshot`.
 * Computed per request, a training set's artist part summed the whole history of every artist it
 * asked for: at scale 10, 100,000 rows asked for all 3,450 artists, and that was 69 of the
 * request's 84 s (10 s at scale 1). Stored, each (artist, instant) is one index probe.
 */
export type StoredHistory = { table: string; snapshot: string; keys: number };

/** The view whose history is kept: its table and key column. */
export type HistoryView = { table: string; key: string };

// Past this share of the artists changed since the history was read, it is built again whole,
// but not within REBUILD_DUTY times the last build's time after it (at most a tenth of the time
// goes to whole builds under a stream of writes; readers read what the history still answers and
// compute the rest meanwhile).
const REBUILD_SHARE = 0.25;
const REBUILD_DUTY = 10;

export const historyTableOf = (viewTable: string) => `rapfs_history_${viewTable}`;

export async function storedHistory(sql: Sql, viewTable: string): Promise<StoredHistory | undefined> {
  const [row] = await sql<{ table: string; snapshot: string; keys: number }[]>`
    select history_table as table, snapshot, keys::float8 as keys from rapfs_stored_histories
    where view_table = ${viewTable} and to_regclass(quote_ident(history_table)) is not null`;
  return row;
}

/**
 * By key whose history the corpus changes not visible in `snapshot` may have changed, the earliest
 * instant (epoch microseconds) it may have changed from: a write that inserts tracks or analyses
 * changes their artists' totals only from the oldest created_at it wrote on; an update or delete,
 * or a changed artist found only by name, from the start (-Infinity). "all" after a truncate (or a
 * change noted without its tracks). Given `among`, only those keys are looked for, through their
 * own tracks: a reader asks about the artists it reads, and another artist's million new tracks
 * cost it nothing.
 */
export async function changedSince(
  sql: Sql,
  snapshot: string,
  among?: readonly string[],
): Promise<"all" | Map<string, number>> {
  const asked = among ? [...among] : null;
  const [row] = await sql<{ all: boolean; keys: string[]; since: number[] }[]>`
    with c as (
      select c.op, c.track_ids, c.artists, coalesce(c.oldest_created_at, '-infinity') as since
      from rapfs_source_changes c
      where not pg_visible_in_snapshot(c.xid, ${snapshot}::pg_snapshot)
    ), ids as (
      select u.id, min(c.since) as since from c cross join unnest(c.track_ids) u(id) group by u.id
    ), keys as (
      select k, min(since) as since from (
        select t.artist as k, ids.since from tracks t join ids on ids.id = t.id
        where ${asked}::text[] is null or t.artist = any(${asked}::text[])
        union all select unnest(c.artists), '-infinity'::timestamp from c) k
      where k is not null group by k
    )
    select coalesce((select bool_or(op = 'truncate' or track_ids is null) from c), false) as all,
      coalesce((select array_agg(k order by k) from keys), '{}') as keys,
      coalesce((select array_agg(${sql.unsafe(valueSql("timestamp", "since"))} order by k) from keys), '{}') as since`;
  if (!row || row.all) return "all";
  return new Map(row.keys.map((key, i) => [key, row.since[i] as number]));
}

/**
 * Fills a related view's work table for the pairs of `target` the stored history answers as the
 * corpus stands: every pair of a key unchanged since the history was read, and a changed key's
 * pairs before the earliest instant its changes touch (a new analysis moves its artist's totals
 * from its created_at on, never before it). Returns the pairs left to compute from the corpus:
 * all of them when no history is stored, or a truncate left nothing known.
 */
export async function fillFromStoredHistory(
  sql: Sql,
  target: HistoryTarget,
  viewTable: string,
  signal?: AbortSignal,
): Promise<Pairs> {
  const stored = await storedHistory(sql, viewTable);
  const asked = [...new Set(target.pairs.ids as string[])];
  const changed = stored ? await changedSince(sql, stored.snapshot, asked) : "all";
  if (!stored || changed === "all") return target.pairs;
  const kept: Pairs = { ids: [], asOf: [] };
  const left: Pairs = { ids: [], asOf: [] };
  target.pairs.ids.forEach((id, i) => {
    const asOf = target.pairs.asOf[i] as number | string;
    const since = changed.get(id as string);
    const into = since === undefined || micros(asOf) < since ? kept : left;
    into.ids.push(id);
    into.asOf.push(asOf);
  });
  if (kept.ids.length > 0) {
    await readLatest(sql, stored.table, { ...target, pairs: kept }, { at: "at", signal });
  }
  return left;
}

/** An instant as epoch microseconds; NaN (never before a change) when PostgreSQL's text of it is not ISO. */
const micros = (instant: number | string) =>
  typeof instant === "number" ? instant : (parseTimestamp(instant) ?? Number.NaN);

/**
 * Brings the view's stored history up to date after a run of the view: built whole when there is
 * none (or too much changed), else the changed artists' rows replaced, each slice in one
 * statement, the new snapshot recorded by the last (readers treat those artists as changed until
 * then). Two statements for the one artist a keyed run recomputes. `build: false` (an embedded
 * run) never builds whole: with no history, or too much changed, it leaves the history as it is.
 */
export async function refreshStoredHistory(
  session: Session,
  history: CompiledHistory,
  view: HistoryView,
  options: { build?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  const { sql } = session;
  const [state] = await sql<
    { snapshot: string; table: string | null; stored: string | null; keys: number; rested: boolean }[]
  >`
    select pg_current_snapshot()::text as snapshot, h.history_table as table, h.snapshot as stored,
      h.keys::float8 as keys,
      coalesce(h.built_at + h.build_ms * ${REBUILD_DUTY} * interval '1 millisecond' <= now(), true) as rested
    from (select 1) _ left join rapfs_stored_histories h on h.view_table = ${view.table}
      and to_regclass(quote_ident(h.history_table)) is not null`;
  const snapshot = state?.snapshot as string;
  const stored =
    state?.table && state.stored
      ? { table: state.table, snapshot: state.stored, keys: state.keys }
      : undefined;
  // An embedded run with no history to keep stops here, before any other statement.
  if (!stored && options.build === false) return;
  const shape = await historyShape(sql, history, view.table);
  if (shape.fields.length === 0) return;
  const since = stored ? await changedSince(sql, stored.snapshot) : "all";
  const changed = since === "all" ? since : [...since.keys()];
  if (!stored || changed === "all" || changed.length > stored.keys * REBUILD_SHARE) {
    if (stored && !state?.rested) return;
    // Not inside an embedded run, which holds the view's readers off (and may run before /ready):
    // the next keepHistories builds it, and readers compute the changed artists meanwhile.
    if (options.build === false) return;
    return buildWhole(session, history, view, shape.fields, signal);
  }
  const columns = [ident(view.key), '"at"', '"event_timestamp"', ...shape.fields.map((f) => ident(f.field))];
  const pacer = new Pacer({ initial: 4, min: 1, max: 1_024, targetMs: SLICE_TARGET_MS });
  let done = 0;
  do {
    signal?.throwIfAborted();
    const slice = changed.slice(done, done + pacer.next);
    const last = done + slice.length >= changed.length;
    const params: unknown[] = [...bindParams(history.changes, { entity_ids: slice, aliases: shape.aliases })];
    params.push(slice, view.table, last ? snapshot : stored.snapshot);
    const [keys, viewTable, recorded] = [params.length - 2, params.length - 1, params.length];
    await pacer.time(Math.max(1, slice.length), () =>
      sql.unsafe(
        `with gone as (delete from ${ident(stored.table)} where ${ident(view.key)} = any($${keys}::text[])),
           recorded as (update rapfs_stored_histories set snapshot = $${recorded}, built_at = now()
             where view_table = $${viewTable})
         insert into ${ident(stored.table)} (${columns.join(", ")})\n${shape.totals}`,
        sqlParams(params),
      ),
    );
    done += slice.length;
  } while (done < changed.length);
}

// By view table and history: its fields' types and its running totals' SELECT do not change.
const shapes = new Map<string, Promise<HistoryShape>>();
type HistoryShape = { fields: HistoryTarget["fields"]; totals: string; aliases: string[] };

function historyShape(sql: Sql, history: CompiledHistory, viewTable: string): Promise<HistoryShape> {
  const key = `${viewTable}\u0000${history.changes.text}`;
  let shape = shapes.get(key);
  if (!shape) {
    shape = (async () => {
      const fields = await historyFields(sql, history, viewTable);
      if (fields.length === 0) return { fields, totals: "", aliases: [] };
      return { fields, ...(await runningTotals(sql, history, fields)) };
    })();
    shape.catch(() => shapes.delete(key));
    shapes.set(key, shape);
  }
  return shape;
}

async function buildWhole(
  session: Session,
  history: CompiledHistory,
  view: HistoryView,
  fields: HistoryTarget["fields"],
  signal?: AbortSignal,
): Promise<void> {
  const { sql } = session;
  const started = performance.now();
  const snapshot = await leaseBuild(sql, view.table);
  if (!snapshot) return;
  const table = historyTableOf(view.table);
  const next = `${table}_next`;
  const key = ident(view.key);
  const columns = [`${key} text`, '"at" timestamp', '"event_timestamp" timestamp'].concat(
    fields.map((f) => `${ident(f.field)} ${f.pgType}`),
  );
  try {
    signal?.throwIfAborted();
    await sql.unsafe(`drop table if exists ${ident(next)}`);
    await sql.unsafe(`create table ${ident(next)} (${columns.join(", ")})`);
    const rows = await sql<{ k: string }[]>`
      select distinct artist as k from tracks where artist is not null order by 1`;
    const keys = rows.map((r) => r.k);
    // Indexed as it fills: built afterwards, the index would hold the embedded database's only
    // backend for one long statement (see throughStates).
    await sql.unsafe(`create index on ${ident(next)} (${key}, "at")`);
    await writeTotals(sql, history, { table: next, key: view.key, fields }, keys, signal);
    await sql.unsafe(`analyze ${ident(next)} (${key}, "at")`);
    await session.transaction("", async (tx) => {
      await tx.unsafe(`drop table if exists ${ident(table)}`);
      await tx.unsafe(`alter table ${ident(next)} rename to ${ident(table)}`);
      await tx`
        insert into rapfs_stored_histories (view_table, history_table, snapshot, keys, build_ms)
        values (${view.table}, ${table}, ${snapshot}, ${keys.length}, ${Math.round(performance.now() - started)})
        on conflict (view_table) do update set history_table = excluded.history_table,
          snapshot = excluded.snapshot, keys = excluded.keys, build_ms = excluded.build_ms, built_at = now()`;
      await tx`delete from rapfs_history_builds where view_table = ${view.table}`;
    });
  } catch (error) {
    await sql.unsafe(`drop table if exists ${ident(next)}`).catch(() => {});
    await sql`delete from rapfs_history_builds where view_table = ${view.table} and snapshot = ${snapshot}`.catch(
      () => {},
    );
    throw error;
  }
}

// A build's lease outlives any build measured (99.5 s at scale 10 on a server): one that a crash
// left behind holds off the next whole build, and keeps its changes from being pruned, this long.
const BUILD_LEASE_SECONDS = 3_600;

/**
 * Takes the lease on building `viewTable`'s history whole, with the snapshot the build reads in
 * (taken now, before its first slice, so it sees at least what the snapshot does); undefined while
 * another build holds it. The lease's snapshot keeps the changes the build does not see from
 * being pruned until the build is recorded (pruneSourceChanges): a first build has no recorded
 * snapshot to keep them meanwhile, and another process's runs could prune them.
 */
async function leaseBuild(sql: Sql, viewTable: string): Promise<string | undefined> {
  const [taken] = await sql<{ snapshot: string }[]>`
    insert into rapfs_history_builds (view_table, snapshot) values (${viewTable}, pg_current_snapshot()::text)
    on conflict (view_table) do update set snapshot = excluded.snapshot, started_at = now()
      where rapfs_history_builds.started_at < now() - ${BUILD_LEASE_SECONDS} * interval '1 second'
    returning snapshot`;
  return taken?.snapshot;
}

/** The view's running-total features, typed as its table has them. */
async function historyFields(
  sql: Sql,
  history: CompiledHistory,
  viewTable: string,
): Promise<HistoryTarget["fields"]> {
  const rows = await sql<{ field: string; pgType: string }[]>`
    select attname as field, format_type(atttypid, atttypmod) as "pgType" from pg_attribute
    where attrelid = to_regclass(${ident(viewTable)}) and attnum > 0 and not attisdropped
    order by attnum`;
  return rows.filter((r) => r.field in history.running);
}
