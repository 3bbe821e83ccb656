import type postgres from "postgres";
import type { Sql } from "../db/database";

/**
 * How a search was answered:
 * - `exact`: an exact scan of every vector (no HNSW index, or a metric other than the index's);
 * - `exact_filtered`: the planner estimates that the filters leave few enough rows that scanning
 *   them all costs less than walking the graph past the rows they exclude (exactFilteredLimit);
 * - `hnsw_iterative`: the HNSW index, scanned iteratively until k rows pass the filters;
 * - `exact_fallback`: the index scan stopped short of k rows (hnsw.max_scan_tuples) while more
 *   may qualify, so the exact scan answered.
 */
export const SEARCH_STRATEGIES = ["exact", "exact_filtered", "hnsw_iterative", "exact_fallback"] as const;
export type SearchStrategy = (typeof SEARCH_STRATEGIES)[number];

export type Fragment = postgres.PendingQuery<postgres.Row[]>;
export type ScanRow = { id: string; distance: number };

/** pgvector's default ef_search; a search asks for at least k. */
export const DEFAULT_EF_SEARCH = 40;

/** How a filtered search on an HNSW index picks its way (tests narrow it to reach every branch). */
export type SearchTuning = {
  /** Exact when the estimated matches are at most exactFactor × √((k + 1) × rows). */
  exactFactor: number;
  /** hnsw.max_scan_tuples never below this (pgvector's own default). */
  minScanTuples: number;
  /** Tuples the index scan may visit per row it must find, over the share of rows that qualify. */
  scanTuplesPerRow: number;
  /** A fixed hnsw.max_scan_tuples instead of the computed one. */
  maxScanTuples?: number;
};

export const DEFAULT_TUNING: SearchTuning = { exactFactor: 2, minScanTuples: 20_000, scanTuplesPerRow: 8 };

/**
 * The estimated matches up to which an exact scan of them is cheaper than the index: the exact
 * scan computes one distance per match, while the index visits about (k + 1) × rows / matches
 * tuples to meet k that pass, each a graph step of several distances. The two meet near
 * √(c × k × rows): ~1,600 matches for the top 10 of 57,718 tracks, ~270 of 1,700.
 */
export function exactFilteredLimit(k: number, rows: number, tuning: SearchTuning = DEFAULT_TUNING): number {
  return Math.ceil(tuning.exactFactor * Math.sqrt((k + 1) * Math.max(rows, 1)));
}

/** The planner's estimate of the rows `query` returns: no rows are read. */
export async function estimateRows(sql: Sql, query: Fragment): Promise<number> {
  const [row] = await sql<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[]>`
    explain (format json) ${query}`;
  return row?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0;
}

/** The relation's row count as of its last ANALYZE (or the estimate when it was never analyzed). */
export async function relationRows(sql: Sql, relation: string, fallback: number): Promise<number> {
  const [row] = await sql<{ n: number | null }[]>`
    select reltuples::float8 as n from pg_class where oid = to_regclass(${relation})`;
  const n = row?.n ?? -1;
  return n > 0 ? n : fallback;
}

/**
 * hnsw.max_scan_tuples for a search of k rows when `matching` of `total` rows pass its filters:
 * enough to meet k qualifying rows several times over, never below pgvector's default.
 */
export function maxScanTuples(
  k: number,
  matching: number,
  total: number,
  tuning: SearchTuning = DEFAULT_TUNING,
): number {
  if (tuning.maxScanTuples !== undefined) return tuning.maxScanTuples;
  const share = Math.min(1, Math.max(matching, 1) / Math.max(total, 1));
  return Math.max(tuning.minScanTuples, Math.ceil((tuning.scanTuplesPerRow * (k + 1)) / share));
}

/**
 * hnsw.scan_mem_multiplier (× work_mem) for a scan that may visit `tuples`: pgvector also stops
 * an iterative scan when its memory passes work_mem × this, and a visited tuple costs a few
 * hundred bytes, so 20,000 of them fill the default 4 MB; 2× per 20,000, at most 16×.
 */
export function scanMemMultiplier(tuples: number): number {
  return Math.min(16, 2 * Math.ceil(tuples / 20_000));
}

export type IndexScanSettings = { efSearch: number; maxScanTuples: number; iterative: boolean };

/**
 * Runs `scan` (ORDER BY the distance alone, so the HNSW index can answer it) in a transaction
 * whose settings make it an iterative index scan: relaxed_order, since the caller re-sorts the
 * rows it gets; and sequential scans off, so the planner's size estimate on a small or
 * never-analyzed table does not turn the search into an exact one behind our back.
 */
export async function indexScan(
  sql: Sql,
  settings: IndexScanSettings,
  scan: (tx: Sql) => Promise<ScanRow[]>,
): Promise<ScanRow[]> {
  return (await sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    await t`select set_config('hnsw.ef_search', ${String(settings.efSearch)}, true),
      set_config('enable_seqscan', 'off', true)`;
    if (settings.iterative) {
      await t`select set_config('hnsw.iterative_scan', 'relaxed_order', true),
        set_config('hnsw.max_scan_tuples', ${String(settings.maxScanTuples)}, true),
        set_config('hnsw.scan_mem_multiplier', ${String(scanMemMultiplier(settings.maxScanTuples))}, true)`;
    }
    return scan(t);
  })) as ScanRow[];
}

/** Whether the server's pgvector has iterative index scans (0.8.0 and later). */
export async function hasIterativeScans(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ version: string | null }[]>`
    select extversion as version from pg_extension where extname = 'vector'`;
  const [major = 0, minor = 0] = (row?.version ?? "0").split(".").map(Number);
  return major > 0 || minor >= 8;
}
