import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import type { OnlineStore } from "../online/types";
import { listViews, type ViewVersion } from "../registry";
import { scanViewRows } from "./view-rows";

/**
 * The id of a bookkeeping row in each view version's key space holding the materialization run
 * the store last caught up with. It lives in the store itself, so a flushed or new Redis reads
 * as "never synced" and gets a full copy. Neither an int key nor a plausible artist name.
 */
export const SYNC_MARKER_ID = "__rapfs_synced_run__";

export type SyncResult = {
  viewKey: string;
  mode: "full" | "incremental" | "skipped";
  rows: number;
  runId: number;
};

export type SyncOptions = {
  sql: Sql;
  /** The store to write: Redis directly (not a read-through wrapper, whose misses would hit Postgres). */
  store: OnlineStore;
  logger?: Logger;
  /** Rows per cursor fetch and store write. */
  chunk?: number;
  /** Only these view keys (`name@version`); all servable ones by default. */
  only?: string[];
};

type Run = { id: number; mode: "full" | "incremental"; started_at: Date };

/**
 * Brings the online store up to date with every materialized view version. A version whose
 * marker names its last run is skipped; one whose marker names an earlier run, with only
 * incremental runs since, gets the rows materialized since the first of them (materialized_at
 * ≥ its start); anything else (no marker, a full run since) gets every row, in chunks.
 */
export async function syncOnlineStore(options: SyncOptions): Promise<SyncResult[]> {
  const { sql, store } = options;
  const views = (await listViews(sql)).filter(
    (v) =>
      v.status !== "retired" &&
      v.lastRun?.status === "succeeded" &&
      (!options.only || options.only.includes(`${v.name}@${v.version}`)),
  );
  const results: SyncResult[] = [];
  for (const view of views) results.push(await syncView(sql, store, view, options));
  const written = results.filter((r) => r.mode !== "skipped");
  if (written.length > 0) {
    options.logger?.info("online store synced", {
      views: written.map((r) => `${r.viewKey} ${r.mode} ${r.rows}`),
    });
  }
  return results;
}

async function syncView(
  sql: Sql,
  store: OnlineStore,
  view: ViewVersion,
  options: SyncOptions,
): Promise<SyncResult> {
  const viewKey = `${view.name}@${view.version}`;
  const runId = view.lastRun?.id as number;
  const marker = (await store.read(viewKey, [SYNC_MARKER_ID])).get(SYNC_MARKER_ID);
  const syncedRun = Number(marker?.values.run_id ?? Number.NaN);
  if (syncedRun === runId) return { viewKey, mode: "skipped", rows: 0, runId };

  let since: Date | undefined;
  if (Number.isInteger(syncedRun)) {
    const runs = await sql<Run[]>`
      select id::int as id, mode, started_at from rapfs_materialization_runs
      where relation_kind = 'feature_view' and name = ${view.name} and version = ${view.version}
        and status = 'succeeded' and id > ${syncedRun} and id <= ${runId}
      order by id`;
    if (runs.length > 0 && runs.every((r) => r.mode === "incremental")) since = runs[0]?.started_at;
  }
  let rows = 0;
  for await (const chunk of scanViewRows(sql, view, {
    chunk: options.chunk ?? 1_000,
    ...(since ? { since } : {}),
  })) {
    await store.write(viewKey, chunk);
    rows += chunk.length;
  }
  const at = new Date().toISOString();
  await store.write(viewKey, [{ id: SYNC_MARKER_ID, values: { run_id: runId }, eventTimestamp: at }]);
  return { viewKey, mode: since ? "incremental" : "full", rows, runId };
}
