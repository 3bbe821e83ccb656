import type postgres from "postgres";
import type { Sql } from "../../db/database";

/**
 * How a search was answered:
 * - `exact`: an exact scan of every vector (no HNSW index, or a metric other than the index's);
 * - `exact_filtered`: the planner estimates that the filters leave few enough rows that scanning
 *   them all costs less than walking the graph past the rows they exclude (exactFilteredLimit);
 * - `hnsw_iterative`: the HNSW index, scanned iteratively until k rows pass the filters;
 * - `exact_fallback`: the index could not vouch for its answer (see distrust: it stopped short
 *   of k rows, missed the query's own row, searched from an outlier, found neighbours that jump
 *   from a close group to far rows, or filtered rows far outside the query's neighbourhood), so
 *   the exact scan answered.
 */
export const SEARCH_STRATEGIES = [
  "exact",
  "exact_filtered",
  "hnsw_iterative",
  "exact_fallback",
  "no_vector",
] as const;
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
  /** Filtered rows farther than this × the query's own k-th neighbour are checked exactly. */
  neighbourhoodFactor: number;
  /** An own neighbour, from the third on, this × farther than the one before it is a gap. */
  gapFactor: number;
  /**
   * A filtered index scan fetches this × k rows and keeps the nearest k: relaxed_order returns a
   * later iteration's rows after an earlier one's, and a near row can come after the k-th.
   */
  filteredOverFetch: number;
  /** A query whose own neighbours lie beyond all but this share of the sampled vectors' is an outlier's. */
  outlierQuantile: number;
  /** Vectors sampled for the outlier ceiling, and how long a sample serves. */
  outlierSample: number;
  outlierMaxAgeMs: number;
};

export const DEFAULT_TUNING: SearchTuning = {
  exactFactor: 2,
  minScanTuples: 20_000,
  scanTuplesPerRow: 8,
  neighbourhoodFactor: 1.25,
  gapFactor: 1.5,
  filteredOverFetch: 2,
  outlierQuantile: 0.98,
  outlierSample: 500,
  outlierMaxAgeMs: 60 * 60_000,
};

/**
 * Why an index scan's answer is not trusted, if it is not (the exact scan then answers):
 * - `short`: fewer than k rows, while more may pass (the scan gave up: max_scan_tuples, memory);
 * - `unreached`: searching by id, the scan did not find the query's own row, so the graph never
 *   reached its neighbourhood (clusters the graph links poorly: 0 of 10 true neighbours found);
 * - `outlier`: the query's own neighbours lie farther than those of all but 2% of the
 *   embedding's vectors (see OutlierCeiling). The graph links such a query's region poorly: at
 *   scale 1 on PostgreSQL every search that found fewer than 8 of its 10 true neighbours (9 in
 *   1,000, at 0 for several) was one, its own row reached but its true neighbours, at 0.30–0.51,
 *   not, whatever ef_search (up to 400) or ef_construction (400). Not 1%: the sample's own misses
 *   inflate its top percent, and one build's 99th percentile let a query at 0.1 recall through.
 * - `gap`: the query's own neighbours jump, from the third on, to one gapFactor × as far as the
 *   one before: a close group, then rows far off. The group may go on in a part of the graph the
 *   scan did not reach. At scale 10 on PostgreSQL (577,160 lyrics vectors, m 32) every search
 *   below 0.9 recall (8 in 1,000, at 0.3–0.8; true neighbours by the same artist at 0.17–0.37,
 *   the answer's last rows at 0.40–0.43) jumped so, at ef_search 40 as at 400, and searching
 *   again from the group's members found no more of it; 1.9% of the other searches jump so too.
 * - `far`: the filtered rows lie beyond neighbourhoodFactor × the k-th distance of the query's
 *   unfiltered neighbours. A filter that excludes the query's own cluster leaves rows the graph
 *   links to nothing near the query, and the iterative scan misses some (on the test corpus,
 *   1 filtered search in 100 lost a row; all of them were past 1.5×, ~11% of the searches). At
 *   scale 1 on PostgreSQL 1.5× still let 2 in 300 through, and 1.3× 1 to 3 in 600 (rows at
 *   1.30–1.31×, depending on the build); at 1.25×, with twice k fetched (filteredOverFetch,
 *   against the relaxed order's late rows), 600 of 600 were exact, the exact scan answering
 *   ~49% of broad filters (p50 8.3 ms against 7.3 at 1.3×); 1.2× cost ten times the p50.
 */
export function distrust(
  k: number,
  rows: readonly ScanRow[],
  neighbourhood: readonly ScanRow[] | undefined,
  self: string | undefined,
  tuning: SearchTuning = DEFAULT_TUNING,
  ceiling?: OutlierCeiling,
): "short" | "unreached" | "outlier" | "gap" | "far" | undefined {
  if (self !== undefined && neighbourhood && !neighbourhood.some((r) => r.id === self)) return "unreached";
  if (rows.length < k) return "short";
  const neighbours = neighbourhood?.filter((r) => r.id !== self);
  if (neighbours && ceiling && beyondCeiling(k, neighbours, ceiling)) return "outlier";
  if (neighbours && hasGap(neighbours.slice(0, k), tuning.gapFactor)) return "gap";
  const own = neighbours?.slice(0, k).at(-1)?.distance;
  const last = rows.at(-1)?.distance;
  if (own !== undefined && last !== undefined && last > own * tuning.neighbourhoodFactor) return "far";
  return undefined;
}

/** Whether a neighbour from the third on lies `factor` × as far as the one before it. */
export function hasGap(neighbours: readonly ScanRow[], factor: number): boolean {
  for (let i = 2; i < neighbours.length; i++) {
    const before = (neighbours[i - 1] as ScanRow).distance;
    if (before > 0 && (neighbours[i] as ScanRow).distance >= before * factor) return true;
  }
  return false;
}

/**
 * The distance of the r-th neighbour (index r - 1, r up to OUTLIER_RANKS) beyond which a search
 * counts as an outlier's: all but the farthest `quantile` of an embedding's own vectors have
 * their r-th neighbour nearer.
 */
export type OutlierCeiling = readonly number[];

export const OUTLIER_RANKS = 10;

/**
 * Whether a query's own neighbourhood (its nearest rows, closest first, its own row left out)
 * reaches past the ceiling at rank min(k, OUTLIER_RANKS).
 */
export function beyondCeiling(k: number, neighbours: readonly ScanRow[], ceiling: OutlierCeiling): boolean {
  const rank = Math.min(k, ceiling.length);
  const reach = neighbours[rank - 1]?.distance;
  const limit = ceiling[rank - 1];
  return reach !== undefined && limit !== undefined && reach > limit;
}

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
 * Runs `scans` (each ORDER BY the distance alone, so the HNSW index can answer it) in a
 * transaction whose settings make it an iterative index scan: relaxed_order, since the caller
 * re-sorts the rows it gets; and sequential scans and sorts off, because otherwise the planner
 * answers a narrow filter by reading its matches through a key index and sorting them (an exact
 * scan behind our back) and a small or never-analyzed table by a sequential scan. The only ordered
 * path left is the HNSW index; the caller's final re-sort is the one sort that remains. Those
 * settings put the plan's cost near 1e10, far past jit_above_cost, and on a server PostgreSQL
 * with JIT its compilation took 128–163 ms of a search whose index scan took 0.6–2 ms: JIT is off.
 */
export function indexScan<R extends postgres.Row>(
  sql: Sql,
  settings: IndexScanSettings,
  scans: (tx: Sql) => readonly postgres.PendingQuery<R[]>[],
): Promise<R[][]> {
  const iterative: Record<string, string> = settings.iterative
    ? {
        "hnsw.iterative_scan": "relaxed_order",
        "hnsw.max_scan_tuples": String(settings.maxScanTuples),
        "hnsw.scan_mem_multiplier": String(scanMemMultiplier(settings.maxScanTuples)),
      }
    : {};
  const local = {
    "hnsw.ef_search": String(settings.efSearch),
    enable_seqscan: "off",
    enable_sort: "off",
    jit: "off",
    ...iterative,
  };
  return withLocalSettings(sql, local, scans);
}

/**
 * Runs an exact scan (every qualifying vector read) on one core and without JIT. Two parallel
 * workers made the scan of 57,718 lyrics vectors no faster (105 ms against 98) and halved it at
 * 577,160 (506 ms against 849), but took three processes for one search: the cores every other
 * request needs, which a few free keys' random vectors would hold. At scale 10 the plan's cost
 * passes jit_above_cost, and compiling it costs more than it saves for one statement.
 */
export async function exactScan<R extends postgres.Row>(
  sql: Sql,
  scan: (tx: Sql) => postgres.PendingQuery<R[]>,
): Promise<R[]> {
  const local = { max_parallel_workers_per_gather: "0", jit: "off" };
  const [rows = []] = await withLocalSettings(sql, local, (tx) => [scan(tx)]);
  return rows;
}

/**
 * One round trip: BEGIN, the settings (local to the transaction), the scans and COMMIT leave
 * pipelined on a connection of their own, and their answers come back together (a transaction
 * with each statement awaited took five, ~1 ms of a 2 ms search on PGlite). The embedded
 * database's backend is held for that one batch only.
 */
async function withLocalSettings<R extends postgres.Row>(
  sql: Sql,
  settings: Readonly<Record<string, string>>,
  scans: (tx: Sql) => readonly postgres.PendingQuery<R[]>[],
): Promise<R[][]> {
  const tx = await sql.reserve();
  try {
    const configs = Object.entries(settings).map(([name, value]) => tx`set_config(${name}, ${value}, true)`);
    const list = configs.reduce((all, config) => tx`${all}, ${config}`);
    const statements: Promise<unknown>[] = [tx`begin`, tx`select ${list}`];
    const answers = scans(tx as unknown as Sql);
    statements.push(...answers, tx`commit`);
    const settled = await Promise.allSettled(statements);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) {
      // A failed statement left the transaction aborted, and COMMIT rolled it back; a BEGIN or a
      // COMMIT that failed did not: the connection goes back to the pool outside a transaction.
      await tx`rollback`.catch(() => {});
      throw failed.reason;
    }
    return (await Promise.all(answers)) as R[][];
  } finally {
    tx.release();
  }
}

/** Whether the server's pgvector has iterative index scans (0.8.0 and later). */
export async function hasIterativeScans(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ version: string | null }[]>`
    select extversion as version from pg_extension where extname = 'vector'`;
  const [major = 0, minor = 0] = (row?.version ?? "0").split(".").map(Number);
  return major > 0 || minor >= 8;
}
