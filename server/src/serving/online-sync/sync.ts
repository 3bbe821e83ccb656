import type { Sql } from "../../db/database";
import type { Logger } from "../../log/logger";
import type { Metrics } from "../../metrics/registry";
import { isRefusal } from "../../online/circuit-breaker";
import type { SyncLocks } from "../../online/sync-lock";
import type { OnlineStore } from "../../online/types";
import { listViews, type ViewVersion } from "../../registry";
import { scanViewRows } from "../view-rows";

/**
 * The id of the bookkeeping row that held the synced run in each view version's key space before
 * the store's seals did (an older release's Redis may still hold one): never served as a row.
 */
export const SYNC_MARKER_ID = "__rapfs_synced_run__";

export type SyncResult = {
  viewKey: string;
  /**
   * `repair`: the rows of the masters not whole at the run, where the others are (one came back
   * empty, or did not answer the copy before), all of them or those since its own seal;
   * `skipped`: up to date; `held`: another process holds its lock (and syncs it); `failed`: Redis
   * did not answer for it (`error`), the next sync tries again.
   */
  mode: SyncMode | "skipped" | "held" | "failed";
  error?: string;
  /**
   * A failure Redis answered itself (out of memory, read-only): it is up, and keeps the rows it
   * had. A master that did not answer is not one: its circuit sends its reads to Postgres.
   */
  refused?: boolean;
  rows: number;
  runId: number;
  ms?: number;
};

/** Every view's sync failed (Redis took none): the results say why, view by view. */
export class SyncFailedError extends Error {
  constructor(readonly results: readonly SyncResult[]) {
    super(results[0]?.error);
    this.name = "SyncFailedError";
  }
}

/** What a sync that wrote rows did: what `rapfs_online_syncs_total` counts by `mode`. */
export type SyncMode = "full" | "incremental" | "repair";

const wroteRows = (result: SyncResult): result is SyncResult & { mode: SyncMode } =>
  result.mode === "full" || result.mode === "incremental" || result.mode === "repair";

/** Counts the syncs that wrote rows in `rapfs_online_syncs_total`, by view and mode. */
export function countSyncs(metrics: Metrics, results: readonly SyncResult[]): void {
  for (const result of results) {
    if (wroteRows(result)) metrics.onlineSyncs.inc({ view: result.viewKey, mode: result.mode });
  }
}

export type SyncOptions = {
  sql: Sql;
  /** The store to write: Redis directly (not a read-through wrapper, whose misses would hit Postgres). */
  store: OnlineStore;
  logger?: Logger;
  /** Rows per cursor fetch and store write. */
  chunk?: number;
  /** Only these view keys (`name@version`); all servable ones by default. */
  only?: string[];
  /** Of the servable view versions (after `only`), those to sync: all by default. */
  select?: (views: ViewVersion[]) => ViewVersion[];
  /**
   * One sync per view version across processes: a view whose lock another process holds is
   * left to it (`held`). Without locks every caller syncs what it finds behind.
   */
  locks?: SyncLocks;
  /** Where the seals are read, if not `store` (the serving store, whose circuits fail fast). */
  markers?: OnlineStore;
  /**
   * A shutdown: the sync stops after the chunk in flight, and the view it was copying is left
   * unsealed (its lock released), for the next check, here or in another process, to copy again.
   */
  signal?: AbortSignal;
};

type Run = { id: number; mode: "full" | "incremental"; started_at: Date; removed: string[] };

/**
 * Brings the online store up to date with every materialized view version. A version the store
 * holds whole at its last run (its seal, `completeRun`) is skipped; one held whole at an earlier
 * run, with only incremental runs since, loses the keys they removed and gets the rows materialized since
 * the first of them (materialized_at ≥ its start); anything else (not whole somewhere, a full run since) gets every
 * row, in chunks. The store is sealed at the run once every row is written, where it lost nothing
 * meanwhile: from then on it answers a missing row as absent without Postgres.
 */
export async function syncOnlineStore(options: SyncOptions): Promise<SyncResult[]> {
  const { sql, store } = options;
  const servable = (await listViews(sql)).filter(
    (v) =>
      v.status !== "retired" &&
      v.lastRun?.status === "succeeded" &&
      (!options.only || options.only.includes(`${v.name}@${v.version}`)),
  );
  const views = options.select ? options.select(servable) : servable;
  const results: SyncResult[] = [];
  for (const view of views) {
    if (options.signal?.aborted) break;
    const viewKey = `${view.name}@${view.version}`;
    const runId = view.lastRun?.id as number;
    try {
      results.push(await syncIfBehind(sql, store, view, options));
    } catch (error) {
      // One node's outage (a Cluster) leaves the views on the others to sync.
      const refused = isRefusal(error);
      results.push({ viewKey, mode: "failed", rows: 0, runId, error: (error as Error).message, refused });
    }
  }
  const failed = results.filter((r) => r.mode === "failed");
  if (failed.length > 0 && failed.length === results.length && !options.signal?.aborted)
    throw new SyncFailedError(results);
  const written = results.filter(wroteRows);
  if (written.length > 0) {
    options.logger?.info("online store synced", {
      views: written.map((r) => `${r.viewKey} ${r.mode} to run ${r.runId}: ${r.rows} rows in ${r.ms} ms`),
    });
  }
  return results;
}

async function syncIfBehind(
  sql: Sql,
  store: OnlineStore,
  view: ViewVersion,
  options: SyncOptions,
): Promise<SyncResult> {
  const viewKey = `${view.name}@${view.version}`;
  const runId = view.lastRun?.id as number;
  // A cheap look first (a GET per master), so an up-to-date view costs no lock. A seal ahead of the
  // listed run is another process's sync of a run this one listed too early to see.
  if ((await (options.markers ?? store).completeRun(viewKey)) >= runId) {
    return { viewKey, mode: "skipped", rows: 0, runId };
  }
  const { locks } = options;
  const sync = () => syncView(sql, store, view, options);
  const locked = locks ? await locks.withLock(`sync:${viewKey}`, sync) : { result: await sync() };
  return locked ? locked.result : { viewKey, mode: "held", rows: 0, runId };
}

async function syncView(
  sql: Sql,
  store: OnlineStore,
  view: ViewVersion,
  options: SyncOptions,
): Promise<SyncResult> {
  const viewKey = `${view.name}@${view.version}`;
  const runId = view.lastRun?.id as number;
  const started = performance.now();
  // Again under the lock: another process may have finished it since the first look.
  const synced = await store.completeRun(viewKey);
  if (synced >= runId) return { viewKey, mode: "skipped", rows: 0, runId };

  let since: Date | undefined;
  let removed: string[] = [];
  if (Number.isInteger(synced)) {
    const runs = await sql<Run[]>`
      select id::int as id, mode, started_at, coalesce(removed_keys, '{}') as removed
      from rapfs_materialization_runs
      where relation_kind = 'feature_view' and name = ${view.name} and version = ${view.version}
        and status = 'succeeded' and id > ${synced} and id <= ${runId}
      order by id`;
    if (runs.length > 0 && runs.every((r) => r.mode === "incremental")) {
      since = runs[0]?.started_at;
      removed = [...new Set(runs.flatMap((r) => r.removed))];
    }
  }
  const copy = await store.beginCopy(viewKey, runId);
  if (!copy.writes) {
    const error = "the Redis masters that lack its rows do not answer";
    return { viewKey, mode: "failed", rows: 0, runId, error };
  }
  // Before the rows are copied: a key removed by one run and written again by a later one is
  // among them, and so is written back.
  if (removed.length > 0) await store.remove(viewKey, removed);
  let rows = 0;
  // A full copy over an earlier one: rows the rebuild dropped (deleted sources) go too.
  const written = !since && Number.isInteger(synced) ? new Set<string>() : undefined;
  for await (const chunk of scanViewRows(sql, view, {
    chunk: options.chunk ?? 1_000,
    ...(since ? { since } : {}),
  })) {
    options.signal?.throwIfAborted();
    // Where a part of the store is already whole at this run (the masters that kept their keys
    // while another restarted empty), its rows are not written again.
    const missing = chunk.filter((row) => !copy.holds(row.id));
    if (missing.length > 0) await store.write(viewKey, missing);
    for (const row of written ? chunk : []) written?.add(row.id);
    rows += missing.length;
  }
  if (written) await store.prune(viewKey, written);
  if (!(await copy.seal())) {
    options.logger?.warn("online store lost keys during a sync; the next check copies the view again", {
      view: viewKey,
    });
  }
  const ms = Math.round(performance.now() - started);
  // A part whole at the run already: the others' rows, whether since a run or all of them.
  const mode = copy.repairs ? "repair" : since ? "incremental" : "full";
  return { viewKey, mode, rows, runId, ms };
}
