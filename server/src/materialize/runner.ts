import { refreshStoredHistory } from "../datasets/point-in-time/stored-history";
import { isConnectionError } from "../db/connection-errors";
import { type Sql, sqlParams } from "../db/database";
import type { TableGate, WriteTurn } from "../db/table-gate";
import { bindParams, type CompiledQuery, ident, type RuntimeParam } from "../definitions/compile/params";
import { buildHnswIndexIn } from "../definitions/hnsw-build";
import { noProgress, type ProgressReporter } from "../log/progress";
import type { RunStats } from "../registry/stats";
import { analyzeTable, incrementalNeedsAnalyze } from "./analyze";
import { attachHistograms, histogramQuery, planHistograms } from "./histogram";
import { noteUnfitAnalyses, type Quarantine } from "./quarantine";
import { poolSession, reservedSession, type Session } from "./session";
import { costsMoreThanFull, keyedCostPerTrack, runScope } from "./source-changes";
import { QUANTILE_SAMPLE_ROWS, statsQuery } from "./stats";
import { listTargets, type MaterializeTarget } from "./target";

export type MaterializeMode = "full" | "incremental";

export type MaterializeOptions = {
  /** Rebuild everything; otherwise incremental when a watermark exists. */
  full?: boolean;
  onProgress?: ProgressReporter;
  /**
   * Runs only if this holds of the target as the registry has it once the run's lock is held:
   * a scheduler's "changes still unserved", so a process that waited for another's run does not
   * run again what that run served.
   */
  onlyIf?: (sql: Sql, target: MaterializeTarget) => Promise<boolean>;
  /**
   * The embedded database's downloads and cards read tables a slice at a time: the run waits for
   * those reading its table, at most `maxWaitMs` (default 10 s), and new ones wait for the run.
   */
  readers?: { gate: TableGate; maxWaitMs?: number };
  /** Test seams: called just before the atomic swap / the incremental commit. */
  faults?: { beforeSwap?: (tx: Sql) => Promise<void>; beforeCommit?: () => Promise<void> };
};

export type RunResult = {
  runId: number;
  kind: MaterializeTarget["kind"];
  name: string;
  version: number;
  mode: MaterializeMode;
  rowsWritten: number;
  rowCount: number;
  durationMs: number;
  /** Source timestamps as PostgreSQL text (UTC wall time), never through a JS Date: no zone shifts. */
  watermarkBefore: string | null;
  watermarkAfter: string | null;
  stats: RunStats;
  /** Incremental runs: the keys of the rows written (caches of them are stale now). */
  keys?: string[];
  /** Incremental runs: the keys removed, whose sources are gone (the online store drops them too). */
  removedKeys?: string[];
  /** Embedded, with `readers`: how long the run waited for them, and how many it stopped waiting for. */
  readers?: WriteTurn;
  /** Analyses it skipped because the view cannot read them (quarantine.ts). */
  quarantine: Quarantine;
  /** Why the view's kept history was not brought up to date after the run (it was, if absent). */
  historyError?: string;
};

const READERS_WAIT_MS = 10_000;

// Aggregating views sort every source row by entity; the default 4MB spills them to disk.
export const WORK_MEM = "64MB";

/**
 * An incremental run's statements are the same text run after run: prepared once per
 * connection, each is one round trip and no parse after the first (postgres.js sends an
 * unprepared statement with parameters as two). A keyed run of one track is a dozen statements
 * of a millisecond or less each, so round trips and parsing were most of its time.
 */
const PREPARED = { prepare: true };

const registryTable = (t: MaterializeTarget) =>
  t.kind === "feature_view" ? "rapfs_feature_views" : "rapfs_embeddings";

// Runs of one table of one database within this process, chained so they never overlap: the
// chains belong to the connection pool (and go with it), not to the module.
const runningBySql = new WeakMap<Sql, Map<string, Promise<unknown>>>();

function runsOf(sql: Sql): Map<string, Promise<unknown>> {
  let running = runningBySql.get(sql);
  if (!running) {
    running = new Map();
    runningBySql.set(sql, running);
  }
  return running;
}

/**
 * Materializes one target. A full run builds a staging table and renames it over the live one
 * in one transaction (readers see the old rows or the new, never a mix); an incremental run
 * upserts the entities changed since the watermark in one transaction. The watermark and run
 * record are written in that same transaction, so a crash leaves the previous state served.
 */
export async function materializeTarget(
  sql: Sql,
  target: MaterializeTarget,
  options: MaterializeOptions = {},
): Promise<RunResult> {
  return inTurn(
    sql,
    target.table,
    async () => (await materializeExclusive(sql, target, options)) as RunResult,
  );
}

/** Runs `work` after this process's runs of `table` on `sql`, and before the next ones. */
async function inTurn<T>(sql: Sql, table: string, work: () => Promise<T>): Promise<T> {
  const running = runsOf(sql);
  const previous = running.get(table) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(work);
  running.set(table, run);
  try {
    return await run;
  } finally {
    if (running.get(table) === run) running.delete(table);
  }
}

/**
 * The embedded default's kept histories (stored-history.ts), built after its data is ready, not
 * while it is prepared: a first start would spend 45 s more at scale 2, but a training set without
 * one sums every artist it asks for, 10 of its 17 s at scale 1 and 24 of 44 s at scale 4. Each
 * view in its turn with the view's runs in this process (`runs`, the pool they go through), its
 * statements on `bulk`; a history already kept is brought up to date, or built whole again where
 * its runs left that (they never build whole there). A server's runs build them (runLocked).
 * Returns the views whose history was kept.
 */
export async function keepHistories(
  pools: { runs: Sql; bulk: Sql },
  signal?: AbortSignal,
): Promise<string[]> {
  const kept: string[] = [];
  for (const target of await listTargets(pools.runs)) {
    const { history } = target;
    if (!history || target.watermark === null) continue;
    signal?.throwIfAborted();
    await inTurn(pools.runs, target.table, async () => {
      // Queued behind a run, it may get its turn after the shutdown began.
      signal?.throwIfAborted();
      await refreshStoredHistory(poolSession(pools.bulk), history, target, {
        build: true,
        ...(signal ? { signal } : {}),
      });
    });
    kept.push(`${target.name}@${target.version}`);
  }
  return kept;
}

/**
 * `materializeTarget`, unless the target is being materialized already (in this process, or by
 * another on a server): then undefined at once. What a scheduler in each of several processes
 * calls, so one of them runs a view and the others do not queue up to run it again.
 */
export async function materializeIfIdle(
  sql: Sql,
  target: MaterializeTarget,
  options: MaterializeOptions = {},
): Promise<RunResult | undefined> {
  const running = runsOf(sql);
  if (running.has(target.table)) return undefined;
  const run = materializeExclusive(sql, target, options, { wait: false });
  running.set(target.table, run);
  try {
    return await run;
  } finally {
    if (running.get(target.table) === run) running.delete(target.table);
  }
}

async function materializeExclusive(
  sql: Sql,
  target: MaterializeTarget,
  options: MaterializeOptions,
  lockMode: { wait: boolean } = { wait: true },
): Promise<RunResult | undefined> {
  // A single-connection pool is the embedded PGlite: its one backend runs one transaction at a
  // time (a command working through a running server's port included), so another run cannot
  // interleave with this one's transaction, and holding its only connection would stall readers.
  if (sql.options.max <= 1) {
    const run = async () => runIfWanted(poolSession(sql), await refreshed(sql, target), options);
    const { readers } = options;
    if (!readers) return run();
    return readers.gate.write(target.table, readers.maxWaitMs ?? READERS_WAIT_MS, async (turn) => {
      const done = await run();
      return done && { ...done, readers: turn };
    });
  }
  // On a server, one reserved connection holds a per-table advisory lock for the whole run, so
  // servers starting together build each table once; the second waits, then sees the first's
  // watermark.
  const conn = await sql.reserve();
  const lock = `rapfs:materialize:${target.table}`;
  try {
    if (lockMode.wait) await conn`select pg_advisory_lock(hashtext(${lock}))`;
    else {
      const [row] = await conn<{ taken: boolean }[]>`select pg_try_advisory_lock(hashtext(${lock})) as taken`;
      if (!row?.taken) return undefined;
    }
    try {
      const session = reservedSession(conn as unknown as Sql);
      return await runIfWanted(session, await refreshed(session.sql, target), options);
    } finally {
      await conn`select pg_advisory_unlock(hashtext(${lock}))`;
    }
  } finally {
    conn.release();
  }
}

/** The target as the registry has it now: a run that waited its turn sees the previous one's watermark. */
async function refreshed(sql: Sql, target: MaterializeTarget): Promise<MaterializeTarget> {
  return (await listTargets(sql, target)).find((t) => t.kind === target.kind) ?? target;
}

async function runIfWanted(
  session: Session,
  target: MaterializeTarget,
  options: MaterializeOptions,
): Promise<RunResult | undefined> {
  if (options.onlyIf && !(await options.onlyIf(session.sql, target))) return undefined;
  return runLocked(session, target, options);
}

async function runLocked(
  session: Session,
  target: MaterializeTarget,
  options: MaterializeOptions,
): Promise<RunResult> {
  const { sql } = session;
  const progress = options.onProgress ?? noProgress;
  const started = performance.now();
  const forced = options.full === true || target.watermark === null;
  // An unlogged helper table comes back empty after a crash: incremental runs would aggregate too little.
  const lost =
    !forced && target.helperTable && target.rowCount
      ? sql`not exists (select 1 from ${sql(target.helperTable)})`
      : sql`false`;
  // One statement: whoever left a run "running" is gone (this process holds the target
  // exclusively now), and this run's record, its mode decided in the same round trip.
  const [run] = await sql<{ id: string; mode: MaterializeMode }[]>`
    with interrupted as (
      update rapfs_materialization_runs set status = 'failed', finished_at = now(),
        error = 'interrupted: the process running it stopped'
      where relation_kind = ${target.kind} and name = ${target.name} and version = ${target.version}
        and status = 'running'
    )
    insert into rapfs_materialization_runs (relation_kind, name, version, mode, status, watermark_before)
    values (${target.kind}, ${target.name}, ${target.version},
      case when ${forced} or ${lost} then 'full' else 'incremental' end, 'running',
      ${target.watermark}::text::timestamp)
    returning id, mode`;
  const mode = run?.mode ?? "full";
  const phase = `${target.name}@${target.version} (${mode})`;
  const runId = Number(run?.id);
  progress({ phase, done: 0, total: 3 });
  const full = () =>
    runFull(session, target, runId, options, (done) => progress({ phase, done, total: 3 }), started);
  try {
    let result: RunResult;
    if (mode === "full") result = await full();
    else {
      const incremental = await runIncremental(session, target, runId, options, started);
      if (incremental === NEEDS_FULL) {
        // Rows an incremental run cannot see (back-dated, updated or deleted): rebuilt, swapped in.
        await sql`update rapfs_materialization_runs set mode = 'full' where id = ${runId}`;
        result = await full();
      } else result = incremental;
    }
    if (target.history) {
      // A failed refresh keeps the history's older snapshot: readers compute what changed since.
      // Built whole here only on a server: the embedded default builds it once its data is ready
      // (keepHistories), and its runs then bring the changed artists up to date.
      const failed = await refreshStoredHistory(session, target.history, target, {
        build: session.onServer,
      }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (failed) result = { ...result, historyError: failed };
    }
    progress({ phase, done: 3, total: 3 });
    return result;
  } catch (error) {
    await sql`
      update rapfs_materialization_runs set status = 'failed', finished_at = now(),
        duration_ms = ${Math.round(performance.now() - started)}, error = ${(error as Error).message}
      where id = ${runId}`.catch(() => {});
    throw error;
  }
}

async function runFull(
  session: Session,
  target: MaterializeTarget,
  runId: number,
  options: MaterializeOptions,
  step: (done: number) => void,
  started: number,
): Promise<RunResult> {
  const { sql } = session;
  const staging = ident(target.stagingTable);
  // Taken first: rows newer than this are picked up again by the next incremental run, and the
  // changes this snapshot does not see are checked against it by the next run.
  const unlock = await session.lockSourceWrites();
  let watermarkAfter: string | null;
  let snapshot: string;
  try {
    snapshot = await sourceSnapshot(sql);
    watermarkAfter = await readWatermark(sql, target);
  } finally {
    await unlock();
  }
  // One transaction: the staging table is built beside the live one (readers keep reading it),
  // then swapped in at the end; a crash anywhere rolls back to exactly the previous state.
  const { rowsWritten, stats, quarantine } = await session.transaction("", async (tx) => {
    await tx.unsafe(`set local work_mem = '${WORK_MEM}'`);
    await tx.unsafe(`drop table if exists ${staging}`);
    await tx.unsafe(target.stagingDdl);
    for (const step of target.fullBefore) await tx.unsafe(step.text, bindParams(step));
    const inserted = await tx.unsafe(target.full.text, bindParams(target.full));
    await tx.unsafe(
      `alter table ${staging} add constraint ${ident(`${target.stagingTable}_pkey`)} primary key (${ident(target.key)})`,
    );
    // PGlite runs no autovacuum: without this the planner never knows the table's size, keys or
    // feature values, and joins of views and filtered searches get plans from default estimates.
    await analyzeTable(tx, target, target.stagingTable);
    step(1);
    const stats = await collectStats(tx, target.stagingTable, target, inserted.count);
    step(2);
    const quarantine = await noteUnfitAnalyses(tx, target, runId, null);
    const vectorIndex = target.vectorIndex;
    const stagedIndex = vectorIndex && `${target.stagingTable}_hnsw`;
    if (vectorIndex && stagedIndex) {
      const on = { relation: target.stagingTable, name: stagedIndex, rows: inserted.count };
      await buildHnswIndexIn(tx, vectorIndex, on);
    }
    await options.faults?.beforeSwap?.(tx);
    await tx.unsafe(`lock table ${ident(target.table)} in access exclusive mode`);
    await tx.unsafe(`drop table ${ident(target.table)}`);
    await tx.unsafe(`alter table ${staging} rename to ${ident(target.table)}`);
    await tx.unsafe(
      `alter table ${ident(target.table)} rename constraint ${ident(`${target.stagingTable}_pkey`)} to ${ident(`${target.table}_pkey`)}`,
    );
    if (vectorIndex && stagedIndex) {
      await tx.unsafe(`alter index ${ident(stagedIndex)} rename to ${ident(vectorIndex.name)}`);
    }
    await finishRun(
      tx,
      target,
      runId,
      inserted.count,
      inserted.count,
      stats,
      watermarkAfter,
      snapshot,
      started,
    );
    return { rowsWritten: inserted.count, stats, quarantine };
  });
  return {
    ...result(target, runId, "full", rowsWritten, rowsWritten, stats, watermarkAfter, started),
    quarantine,
  };
}

async function runIncremental(
  session: Session,
  target: MaterializeTarget,
  runId: number,
  options: MaterializeOptions,
  started: number,
): Promise<RunResult | typeof NEEDS_FULL> {
  // Repeatable read: the watermark, the changes and the upsert see the same snapshot of the
  // sources, taken while no writer is between stamping and committing a row (source-writes.ts).
  const unlock = await session.lockSourceWrites();
  const done = await session
    .transaction("isolation level repeatable read", async (tx) => {
      const { snapshot, scope } = await runScope(tx, target, WORK_MEM);
      await unlock();
      if (scope === "full") return NEEDS_FULL;
      const watermarkAfter = await readWatermark(tx, target);
      // Back-dated, updated and deleted rows are recomputed by their tracks (and artists).
      const runtime = { watermark: target.watermark, track_ids: scope.tracks, artists: scope.artists };
      const { touched } = target;
      const noted = scope.tracks.length > 0 || scope.artists.length > 0 ? touched : null;
      // Only an artist view without per-track inputs weighs the keys themselves before it writes.
      const reached =
        noted && target.entity !== "track" && target.helperTable === null
          ? (await tx.unsafe(noted.text, bindParams(noted, runtime), PREPARED)).map((r) => r.key)
          : undefined;
      const cost = keyedCostPerTrack(session.onServer);
      if (await costsMoreThanFull(tx, target, scope, reached ?? [], cost)) return NEEDS_FULL;
      for (const step of target.incrementalBefore)
        await tx.unsafe(step.text, bindParams(step, runtime), PREPARED);
      // xmax = 0 marks a row this statement inserted (not updated): the row count without a scan.
      const written = await tx.unsafe(
        `${target.incremental.text}\nreturning ${ident(target.key)} as key, (xmax = 0) as inserted`,
        bindParams(target.incremental, runtime),
        PREPARED,
      );
      const keys = written.map((r) => r.key);
      const removed = noted
        ? await removeUnwritten(tx, target, { touched: noted, runtime }, keys, reached)
        : [];
      const rowCount = (target.rowCount ?? 0) + written.filter((r) => r.inserted).length - removed.length;
      // Statistics of the rows it wrote would describe no table, and nothing reads them: the
      // table's are counted again after the commit (stats-follower.ts).
      const stats: RunStats = { scope: "changed", rows: keys.length, features: {} };
      // No source row newer than the watermark (a run of back-dated, updated or deleted rows
      // alone): none to check, and the count of those held comes with the run's record.
      const newer = watermarkAfter !== target.watermark;
      const checked = newer ? await noteUnfitAnalyses(tx, target, runId, target.watermark) : undefined;
      await options.faults?.beforeCommit?.();
      const watermark = watermarkAfter ?? target.watermark;
      const held = await finishRun(
        tx,
        target,
        runId,
        keys.length,
        rowCount,
        stats,
        watermark,
        snapshot,
        started,
        {
          removed,
          countQuarantined: !checked && target.reads.length > 0,
        },
      );
      const quarantine = checked ?? { found: [], total: held };
      return {
        ...result(target, runId, "incremental", keys.length, rowCount, stats, watermark, started),
        keys: keys.map(String),
        removedKeys: removed,
        quarantine,
      };
    })
    .finally(() => unlock().catch(() => {}));
  if (done === NEEDS_FULL) return done;
  // After the commit: the statistics describe the committed rows, and the upsert's locks are gone.
  if (incrementalNeedsAnalyze(done.rowsWritten, done.rowCount)) {
    await session.transaction("", (tx) => analyzeTable(tx, target, target.table));
  }
  return done;
}

const NEEDS_FULL = Symbol("needs a full run");

/**
 * Deletes the rows of the keys noted changes reach that the run did not write: their SELECT gives
 * them no row any more (the last analysis of a track deleted, a track deleted). Returns them.
 * The keys come from the target's `touched` query inside the delete (one round trip), unless
 * the run read them already.
 */
async function removeUnwritten(
  sql: Sql,
  target: MaterializeTarget,
  by: { touched: CompiledQuery; runtime: Partial<Record<RuntimeParam, unknown>> },
  written: readonly unknown[],
  reached: readonly unknown[] | undefined,
): Promise<string[]> {
  const type = target.keyType === "int" ? "int[]" : "text[]";
  const key = ident(target.key);
  const kept = written.map(String);
  if (reached) {
    const keep = new Set(kept);
    const gone = reached.filter((k) => k !== null && !keep.has(String(k)));
    if (gone.length === 0) return [];
    const deleted = await sql.unsafe(
      `delete from ${ident(target.table)} where ${key} = any($1::${type}) returning ${key}::text as key`,
      sqlParams([gone.map(String)]),
    );
    return deleted.map((r) => r.key as string);
  }
  const { touched } = by;
  const params = bindParams(touched, by.runtime);
  const deleted = await sql.unsafe(
    `with reached as (${touched.text})\n` +
      `delete from ${ident(target.table)} where ${key} in (select "key" from reached) ` +
      `and ${key} <> all($${params.length + 1}::${type}) returning ${key}::text as key`,
    sqlParams([...params, kept]),
    PREPARED,
  );
  return deleted.map((r) => r.key as string);
}

async function sourceSnapshot(sql: Sql): Promise<string> {
  const [row] = await sql<{ snapshot: string }[]>`select pg_current_snapshot()::text as snapshot`;
  return row?.snapshot as string;
}

async function readWatermark(sql: Sql, target: MaterializeTarget): Promise<string | null> {
  const text = `select watermark::text as watermark from (${target.watermarkQuery.text}) w`;
  const [row] = await sql.unsafe(text, bindParams(target.watermarkQuery), PREPARED);
  return (row?.watermark as string | null) ?? null;
}

/** A full run's statistics of its whole new table (`rows` of it). */
async function collectStats(
  sql: Sql,
  relation: string,
  target: MaterializeTarget,
  rows: number,
): Promise<RunStats> {
  // The sample takes every n-th key, which needs an integer key.
  const every = target.keyType === "int" ? Math.ceil(rows / QUANTILE_SAMPLE_ROWS) : 1;
  const [row] = await sql.unsafe(statsQuery(relation, target.key, target.columns, false, every));
  const { __rows, ...columns } = row as Record<string, unknown>;
  const features = columns as RunStats["features"];
  // A second scan: the bins' range comes from the quantiles the first one computed.
  const planned = planHistograms(target.columns, features);
  if (planned.length > 0) {
    const counted = await sql.unsafe(histogramQuery(relation, target.key, planned, false));
    attachHistograms(features, planned, counted as unknown as { i: number; bucket: number; n: number }[]);
  }
  return {
    scope: "table",
    rows: Number(__rows),
    ...(every > 1 ? { quantileSampleEvery: every } : {}),
    features,
  };
}

/** Records a run's success and the registry's new watermark; returns the analyses the version holds in quarantine when asked. */
async function finishRun(
  sql: Sql,
  target: MaterializeTarget,
  runId: number,
  rowsWritten: number,
  rowCount: number,
  stats: RunStats,
  watermark: string | null,
  snapshot: string,
  started: number,
  incremental?: { removed: string[]; countQuarantined: boolean },
): Promise<number> {
  const removed = incremental?.removed;
  // One statement: the run's record, the registry's watermark, and the count.
  const [row] = await sql<{ quarantined: number }[]>`
    with finished as (
      update rapfs_materialization_runs set status = 'succeeded', finished_at = now(),
        duration_ms = ${Math.round(performance.now() - started)}, rows_written = ${rowsWritten},
        rows_removed = ${removed?.length ?? null}, removed_keys = ${removed && removed.length > 0 ? removed : null}::text[],
        row_count = ${rowCount}, watermark_after = ${watermark}::text::timestamp, stats = ${sql.json(stats as never)},
        source_snapshot = ${snapshot}
      where id = ${runId}
    ), registered as (
      update ${sql(registryTable(target))} set watermark = ${watermark}::text::timestamp, last_run_id = ${runId},
        last_materialized_at = now()
      where name = ${target.name} and version = ${target.version}
    )
    select count(*)::int as quarantined from rapfs_quarantined_analyses
    where ${incremental?.countQuarantined ?? false} and view_name = ${target.name} and view_version = ${target.version}`;
  return row?.quarantined ?? 0;
}

function result(
  target: MaterializeTarget,
  runId: number,
  mode: MaterializeMode,
  rowsWritten: number,
  rowCount: number,
  stats: RunStats,
  watermarkAfter: string | null,
  started: number,
): Omit<RunResult, "quarantine"> {
  return {
    runId,
    kind: target.kind,
    name: target.name,
    version: target.version,
    mode,
    rowsWritten,
    rowCount,
    durationMs: Math.round(performance.now() - started),
    watermarkBefore: target.watermark,
    watermarkAfter,
    stats,
  };
}

export type MaterializeAllOptions = MaterializeOptions & {
  only?: { name: string; version?: number };
  /** `unbuilt`: only versions never materialized; `built`: only the others (their catch-up). */
  which?: "all" | "unbuilt" | "built";
  /** Told of the run that failed (the others stop after it): a metric counts failed runs by view. */
  onFailure?: (target: { name: string; version: number }, error: unknown) => void;
};

/** Materializes every registered, non-retired view version and materialized embedding. */
export async function materializeAll(sql: Sql, options: MaterializeAllOptions = {}): Promise<RunResult[]> {
  const which = options.which ?? "all";
  const targets = (await listTargets(sql, options.only)).filter(
    (t) => which === "all" || (t.watermark === null) === (which === "unbuilt"),
  );
  const progress = options.onProgress ?? noProgress;
  const results: RunResult[] = [];
  let done = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  progress({ phase: "materialize", done: 0, total: targets.length });
  // Views read only the corpus, so they build at once where the database has connections to
  // spare (a server); PGlite has one backend, and runs there go one after another. A view whose
  // run fails does not stop the others (its error is thrown once they have run); a lost database
  // stops them all, as the freshness loop does.
  const lane = async () => {
    while (next < targets.length) {
      const k = next++;
      try {
        results[k] = await materializeTarget(sql, targets[k] as MaterializeTarget, {
          ...options,
          onProgress: noProgress,
        });
      } catch (error) {
        const target = targets[k] as MaterializeTarget;
        options.onFailure?.({ name: target.name, version: target.version }, error);
        failure ??= { error };
        if (isConnectionError(error)) return;
        continue;
      }
      progress({ phase: "materialize", done: ++done, total: targets.length });
    }
  };
  await Promise.all(Array.from({ length: parallelRuns(sql) }, lane));
  if (failure) throw failure.error;
  return results;
}

/** Concurrent runs: a few where the pool has connections to spare for requests, else one. */
export function parallelRuns(sql: Sql): number {
  return Math.max(1, Math.min(4, sql.options.max - 2));
}
