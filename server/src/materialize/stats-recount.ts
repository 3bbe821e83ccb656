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

type Bins = { i: number; bucket: number; n: number }[];

/** One slice as counted: its key range (after `after`, up to `last`), partials and histogram counts. */
type CountedSlice = SlicePartials & { after: unknown; bins?: Bins };

/**
 * What a recount read, for the next one to read again only the slices whose keys runs changed
 * since (and the tail, where new keys land): integer keys only.
 */
export type RecountCache = {
  runId: number;
  every: number;
  sliceSize: number;
  slices: CountedSlice[];
  plan: string;
};

export type Recount = {
  runId: number;
  stats: RunStats;
  cache: RecountCache;
  /** Slice statements read (both passes). */
  statements: number;
};

export type RecountOptions = {
  sliceRows?: number;
  signal?: AbortSignal;
  evenIfCounted?: boolean;
  sampleRows?: number;
  /** The previous recount's slices, and every key runs wrote since its run: clean slices are kept. */
  since?: { cache: RecountCache; changed: Set<number> };
};

const registryTable = (t: RecountTarget) =>
  t.kind === "feature_view" ? "rapfs_feature_views" : "rapfs_embeddings";

/**
 * The statistics of a view's whole table as its last run left it, counted a key range at a time
 * (statsQuery's numbers, from partials merged in stats-merge.ts), then a second pass for the
 * histograms, whose bins come from the merged quantiles. Given `since`, only the slices holding
 * a changed key and the tail are read again; sums, counts, extremes and label counts of the
 * others are merged as they were, and so are their bins when the bins did not move. Every slice
 * reads the view's last run id in its own snapshot: when a run commits between two slices the
 * count is dropped (undefined), and the caller counts again after that run. No statement reads
 * more than `sliceRows` rows (sliceRowsFor) but a changed slice, so none holds the embedded
 * database for long.
 */
export async function recountStats(
  sql: Sql,
  target: RecountTarget,
  options: RecountOptions = {},
): Promise<Recount | undefined> {
  const sliceSize = options.sliceRows ?? sliceRowsFor(target.columns);
  const names = [target.name, target.version];
  const first = await lastRun(sql, target);
  // A full run counted its whole table already (as did an earlier recount of this run).
  if (!first || (first.counted && !options.evenIfCounted)) return undefined;
  const sampleRows = options.sampleRows ?? QUANTILE_SAMPLE_ROWS;
  let every = sampleEvery(target, first.rowCount, sampleRows);
  let statements = 0;
  const read = async (text: string, params: unknown[]) => {
    options.signal?.throwIfAborted();
    statements++;
    const [row] = await sql.unsafe(text, sqlParams([...names, ...params]));
    return row as Record<string, unknown>;
  };
  const partialsOf = async (after: unknown, upTo: unknown): Promise<CountedSlice | undefined> => {
    const bounds = { after: after !== undefined, upTo: upTo !== undefined };
    const rows = sliceRows(target.table, target.key, target.columns, bounds);
    const text = slicePartialsQuery(rows, target.key, target.columns, registryTable(target), every);
    const row = await read(text, [upTo ?? sliceSize, ...(bounds.after ? [after] : [])]);
    const slice = toPartials(row, target.columns);
    return slice.run === first.runId ? { ...slice, after, last: upTo ?? slice.last } : undefined;
  };
  let previous = options.since;
  for (let attempt = 0; attempt < 2; attempt++) {
    const since = usable(previous, target, every, sliceSize);
    const slices: CountedSlice[] = [];
    // Clean slices are kept and changed ones read again, up to the tail, which is read anew.
    const kept = since?.cache.slices.slice(0, -1) ?? [];
    for (const slice of kept) {
      const dirty = [...(since?.changed ?? [])].some(
        (k) => k > Number(slice.after ?? -Infinity) && k <= Number(slice.last),
      );
      // A copy: bins counted into it below must not reach the previous recount's slices.
      const counted = dirty ? await partialsOf(slice.after, slice.last) : { ...slice };
      if (!counted) return undefined;
      slices.push(counted);
    }
    let after = kept.at(-1)?.last;
    for (;;) {
      const slice = await partialsOf(after, undefined);
      if (!slice) return undefined;
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
      previous = undefined;
      continue;
    }
    const features = await mergePartials(
      sql,
      target.columns,
      rows,
      slices.map((s) => s.columns),
    );
    const planned = planHistograms(target.columns, features);
    const plan = JSON.stringify(planned);
    if (planned.length > 0) {
      for (const slice of slices) {
        if (slice.bins && since?.cache.plan === plan) continue;
        const bounds = { after: slice.after !== undefined, upTo: true };
        const rows = `${sliceRows(target.table, target.key, target.columns, bounds)} s`;
        const text =
          `select ${lastRunOf(registryTable(target))} as run, ` +
          `coalesce((select jsonb_agg(c) from (${histogramQuery("", target.key, planned, false, rows)}) c), '[]') as counted`;
        const found = await read(text, [slice.last, ...(bounds.after ? [slice.after] : [])]);
        if (Number(found.run) !== first.runId) return undefined;
        slice.bins = found.counted as Bins;
      }
      attachHistograms(
        features,
        planned,
        slices.flatMap((s) => s.bins ?? []),
      );
    }
    return {
      runId: first.runId,
      stats: { scope: "table", rows, ...(every > 1 ? { quantileSampleEvery: every } : {}), features },
      cache: { runId: first.runId, every, sliceSize, slices, plan },
      statements,
    };
  }
  return undefined;
}

/** The previous recount, if its slices can be kept: an integer key, the same sample and slice size. */
function usable(
  since: RecountOptions["since"],
  target: RecountTarget,
  every: number,
  sliceSize: number,
): RecountOptions["since"] {
  if (!since || target.keyType !== "int") return undefined;
  const { cache } = since;
  return cache.every === every && cache.sliceSize === sliceSize ? since : undefined;
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
