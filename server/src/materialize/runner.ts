import type { Sql } from "../db/database";
import { bindParams, ident } from "../definitions/compile/params";
import { noProgress, type ProgressReporter } from "../log/progress";
import { type RunStats, statsQuery } from "./stats";
import { listTargets, type MaterializeTarget } from "./target";

export type MaterializeMode = "full" | "incremental";

export type MaterializeOptions = {
  /** Rebuild everything; otherwise incremental when a watermark exists. */
  full?: boolean;
  onProgress?: ProgressReporter;
  /** Test seams: called just before the atomic swap / the incremental commit. */
  faults?: { beforeSwap?: () => Promise<void>; beforeCommit?: () => Promise<void> };
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
};

const registryTable = (t: MaterializeTarget) =>
  t.kind === "feature_view" ? "rapfs_feature_views" : "rapfs_embeddings";

/**
 * Materializes one target. A full run fills a staging table and swaps it in with one short
 * transaction (readers see the old rows or the new, never a mix); an incremental run upserts
 * the entities changed since the watermark in one transaction. The watermark and run record
 * are written in that same transaction, so a crash leaves the previous state served.
 */
export async function materializeTarget(
  sql: Sql,
  target: MaterializeTarget,
  options: MaterializeOptions = {},
): Promise<RunResult> {
  const mode: MaterializeMode = options.full || target.watermark === null ? "full" : "incremental";
  const progress = options.onProgress ?? noProgress;
  const phase = `${target.name}@${target.version} (${mode})`;
  const started = performance.now();
  const [run] = await sql<{ id: string }[]>`
    insert into rapfs_materialization_runs (relation_kind, name, version, mode, status, watermark_before)
    values (${target.kind}, ${target.name}, ${target.version}, ${mode}, 'running', ${target.watermark})
    returning id`;
  const runId = Number(run?.id);
  progress({ phase, done: 0, total: 3 });
  try {
    const result =
      mode === "full"
        ? await runFull(sql, target, runId, options, (done) => progress({ phase, done, total: 3 }), started)
        : await runIncremental(sql, target, runId, options, started);
    progress({ phase, done: 3, total: 3 });
    return result;
  } catch (error) {
    await sql`
      update rapfs_materialization_runs set status = 'failed', finished_at = now(),
        duration_ms = ${Math.round(performance.now() - started)}, error = ${(error as Error).message}
      where id = ${runId}`.catch(() => {});
    await sql.unsafe(`drop table if exists ${ident(target.stagingTable)}`).catch(() => {});
    throw error;
  }
}

async function runFull(
  sql: Sql,
  target: MaterializeTarget,
  runId: number,
  options: MaterializeOptions,
  step: (done: number) => void,
  started: number,
): Promise<RunResult> {
  const staging = ident(target.stagingTable);
  // Taken first: rows newer than this are picked up again by the next incremental run.
  const watermarkAfter = await readWatermark(sql, target);
  await sql.unsafe(`drop table if exists ${staging}`);
  await sql.unsafe(target.stagingDdl);
  const inserted = await sql.unsafe(target.full.text, bindParams(target.full) as never[]);
  const rowsWritten = inserted.count;
  await sql.unsafe(
    `alter table ${staging} add constraint ${ident(`${target.stagingTable}_pkey`)} primary key (${ident(target.key)})`,
  );
  step(1);
  const stats = await collectStats(sql, target.stagingTable, target, undefined);
  step(2);
  await options.faults?.beforeSwap?.();
  const rowCount = await sql.begin(async (tx) => {
    await tx.unsafe(`lock table ${ident(target.table)} in access exclusive mode`);
    await tx.unsafe(`drop table ${ident(target.table)}`);
    await tx.unsafe(`alter table ${staging} rename to ${ident(target.table)}`);
    await tx.unsafe(
      `alter table ${ident(target.table)} rename constraint ${ident(`${target.stagingTable}_pkey`)} to ${ident(`${target.table}_pkey`)}`,
    );
    return finishRun(tx as unknown as Sql, target, runId, rowsWritten, stats, watermarkAfter, started);
  });
  if (target.vectorIndex) await sql.unsafe(target.vectorIndex.ddl);
  return result(target, runId, "full", rowsWritten, rowCount, stats, watermarkAfter, started);
}

async function runIncremental(
  sql: Sql,
  target: MaterializeTarget,
  runId: number,
  options: MaterializeOptions,
  started: number,
): Promise<RunResult> {
  // Repeatable read: the watermark and the upsert see the same snapshot of the analyses.
  return sql.begin("isolation level repeatable read", async (tx) => {
    const txSql = tx as unknown as Sql;
    const watermarkAfter = await readWatermark(txSql, target);
    const params = bindParams(target.incremental, { watermark: target.watermark });
    const written = await tx.unsafe(
      `${target.incremental.text}\nreturning ${ident(target.key)}`,
      params as never[],
    );
    const keys = written.map((r) => r[target.key]);
    const stats = await collectStats(txSql, target.table, target, keys);
    await options.faults?.beforeCommit?.();
    const watermark = watermarkAfter ?? target.watermark;
    const rowCount = await finishRun(txSql, target, runId, keys.length, stats, watermark, started);
    return result(target, runId, "incremental", keys.length, rowCount, stats, watermark, started);
  }) as Promise<RunResult>;
}

async function readWatermark(sql: Sql, target: MaterializeTarget): Promise<string | null> {
  const text = `select watermark::text as watermark from (${target.watermarkQuery.text}) w`;
  const [row] = await sql.unsafe(text, bindParams(target.watermarkQuery) as never[]);
  return (row?.watermark as string | null) ?? null;
}

async function collectStats(
  sql: Sql,
  relation: string,
  target: MaterializeTarget,
  keys: unknown[] | undefined,
): Promise<RunStats> {
  const text = statsQuery(relation, target.key, target.columns, keys !== undefined);
  const [row] = await sql.unsafe(text, (keys ? [keys] : []) as never[]);
  const { __rows, ...features } = row as Record<string, unknown>;
  return {
    scope: keys ? "changed" : "table",
    rows: Number(__rows),
    features: features as RunStats["features"],
  };
}

async function finishRun(
  sql: Sql,
  target: MaterializeTarget,
  runId: number,
  rowsWritten: number,
  stats: RunStats,
  watermark: string | null,
  started: number,
): Promise<number> {
  const [count] = await sql.unsafe(`select count(*)::int as n from ${ident(target.table)}`);
  await sql`
    update rapfs_materialization_runs set status = 'succeeded', finished_at = now(),
      duration_ms = ${Math.round(performance.now() - started)}, rows_written = ${rowsWritten},
      row_count = ${count?.n as number}, watermark_after = ${watermark}, stats = ${sql.json(stats as never)}
    where id = ${runId}`;
  await sql`
    update ${sql(registryTable(target))} set watermark = ${watermark}, last_run_id = ${runId},
      last_materialized_at = now()
    where name = ${target.name} and version = ${target.version}`;
  return count?.n as number;
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
): RunResult {
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

/** Materializes every registered, non-retired view version and materialized embedding. */
export async function materializeAll(
  sql: Sql,
  options: MaterializeOptions & { only?: { name: string; version?: number } } = {},
): Promise<RunResult[]> {
  const targets = await listTargets(sql, options.only);
  const progress = options.onProgress ?? noProgress;
  const results: RunResult[] = [];
  progress({ phase: "materialize", done: 0, total: targets.length });
  for (const target of targets) {
    results.push(await materializeTarget(sql, target, { ...options, onProgress: noProgress }));
    progress({ phase: "materialize", done: results.length, total: targets.length });
  }
  return results;
}
