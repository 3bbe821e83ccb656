import { type Sql, sqlParams } from "../db/database";
import type { RunStats } from "../registry/stats";
import { attachHistograms, histogramQuery, planHistograms } from "./histogram";
import { QUANTILE_SAMPLE_ROWS } from "./stats";
import { mergePartials } from "./stats-merge";
import {
  lastRunOf,
  type SlicePartials,
  type StatsColumn,
  slicePartialsQuery,
  sliceRows,
  toPartials,
} from "./stats-slices";

/** What a recount needs of a view version (a MaterializeTarget has it). */
export type RecountTarget = {
  kind: "feature_view" | "embedding";
  name: string;
  version: number;
  table: string;
  key: string;
  keyType: string;
  columns: StatsColumn[];
};

/**
 * Values (rows × columns) per slice: each slice is one statement over an index range of rows,
 * and this many held the embedded database ~40 ms (2,000 rows of track_profile's 22 columns took
 * 86 ms, of emotion_scores' 8 27 ms), what the other bulk work aims at (datasets/pacer.ts).
 */
export const STATS_SLICE_VALUES = 14_000;

/** Rows per slice of a view with these columns: between 250 and 5,000. */
export const sliceRowsFor = (columns: StatsColumn[]) =>
  Math.min(5_000, Math.max(250, Math.floor(STATS_SLICE_VALUES / Math.max(1, columns.length))));

export type Recount = { runId: number; stats: RunStats };

const registryTable = (t: RecountTarget) =>
  t.kind === "feature_view" ? "rapfs_feature_views" : "rapfs_embeddings";

/**
 * The statistics of a view's whole table as its last run left it, counted a key range at a time
 * (statsQuery's numbers, from partials merged in stats-merge.ts), then a second pass for the
 * histograms, whose bins come from the merged quantiles. Every slice reads the view's last run
 * id in its own snapshot: when a run commits between two slices the count is dropped
 * (undefined), and the caller counts again after that run. No statement reads more than
 * `sliceRows` rows (sliceRowsFor), so none holds the embedded database for long.
 */
export async function recountStats(
  sql: Sql,
  target: RecountTarget,
  options: { sliceRows?: number; signal?: AbortSignal; evenIfCounted?: boolean; sampleRows?: number } = {},
): Promise<Recount | undefined> {
  const sliceSize = options.sliceRows ?? sliceRowsFor(target.columns);
  const names = [target.name, target.version];
  const first = await lastRun(sql, target);
  // A full run counted its whole table already (as did an earlier recount of this run).
  if (!first || (first.counted && !options.evenIfCounted)) return undefined;
  const sampleRows = options.sampleRows ?? QUANTILE_SAMPLE_ROWS;
  let every = sampleEvery(target, first.rowCount, sampleRows);
  for (let attempt = 0; attempt < 2; attempt++) {
    const slices: SlicePartials[] = [];
    let after: unknown;
    for (;;) {
      options.signal?.throwIfAborted();
      const bounds = { after: after !== undefined, upTo: false };
      const rows = sliceRows(target.table, target.key, target.columns, bounds);
      const text = slicePartialsQuery(rows, target.key, target.columns, registryTable(target), every);
      const params = [...names, sliceSize, ...(bounds.after ? [after] : [])];
      const [row] = await sql.unsafe(text, sqlParams(params));
      const slice = toPartials(row as Record<string, unknown>, target.columns);
      if (slice.run !== first.runId) return undefined;
      if (slice.rows === 0) break;
      slices.push(slice);
      after = slice.last;
      if (slice.rows < sliceSize) break;
    }
    const rows = slices.reduce((n, s) => n + s.rows, 0);
    // The sample is every n-th key of the table's rows as a full run counts them: a count that
    // grew past a step samples anew.
    if (sampleEvery(target, rows, sampleRows) !== every) {
      every = sampleEvery(target, rows, sampleRows);
      continue;
    }
    const features = await mergePartials(
      sql,
      target.columns,
      rows,
      slices.map((s) => s.columns),
    );
    const planned = planHistograms(target.columns, features);
    if (planned.length > 0) {
      const counted: { i: number; bucket: number; n: number }[] = [];
      let lower: unknown;
      for (const slice of slices) {
        options.signal?.throwIfAborted();
        const bounds = { after: lower !== undefined, upTo: true };
        const rows = `${sliceRows(target.table, target.key, target.columns, bounds)} s`;
        const text =
          `select ${lastRunOf(registryTable(target))} as run, ` +
          `coalesce((select jsonb_agg(c) from (${histogramQuery("", target.key, planned, false, rows)}) c), '[]') as counted`;
        const params = [...names, slice.last, ...(bounds.after ? [lower] : [])];
        const [found] = await sql.unsafe(text, sqlParams(params));
        if (!found || Number(found.run) !== first.runId) return undefined;
        counted.push(...(found.counted as { i: number; bucket: number; n: number }[]));
        lower = slice.last;
      }
      attachHistograms(features, planned, counted);
    }
    return {
      runId: first.runId,
      stats: { scope: "table", rows, ...(every > 1 ? { quantileSampleEvery: every } : {}), features },
    };
  }
  return undefined;
}

/** Stores a recount as the statistics of the run it describes. */
export async function storeRecount(sql: Sql, recount: Recount): Promise<void> {
  await sql`
    update rapfs_materialization_runs set stats = ${sql.json(recount.stats as never)}
    where id = ${recount.runId} and status = 'succeeded'`;
}

/** The sample step statsQuery's callers use: every n-th integer key, about QUANTILE_SAMPLE_ROWS rows. */
function sampleEvery(target: RecountTarget, rows: number, sampleRows: number): number {
  return target.keyType === "int" ? Math.max(1, Math.ceil(rows / sampleRows)) : 1;
}

/** The view's last run, the rows it counted and whether its statistics are the table's; undefined before one. */
async function lastRun(
  sql: Sql,
  target: RecountTarget,
): Promise<{ runId: number; rowCount: number; counted: boolean } | undefined> {
  const [row] = await sql.unsafe(
    `select r.id::int as run_id, coalesce(r.row_count, 0)::int as row_count,
       coalesce(r.stats->>'scope' = 'table', false) as counted
     from ${registryTable(target)} v join rapfs_materialization_runs r on r.id = v.last_run_id
     where v.name = $1 and v.version = $2`,
    sqlParams([target.name, target.version]),
  );
  return row
    ? { runId: Number(row.run_id), rowCount: Number(row.row_count), counted: row.counted === true }
    : undefined;
}
