import type { Database, Sql } from "../src/db/database";
import { materializeAll, type RunResult } from "../src/materialize/runner";
import { card, parquet, prepare, viewsOf } from "./offline";
import type { Timed } from "./offline-rows";
import type { PreparedPhase } from "./scale-data";
import { measureSearch } from "./search";
import type { BenchRow } from "./types";

/** The analyses this bench adds for its incremental run; the next run deletes them first. */
const ADDED = "-scale-bench";
/** A server PostgreSQL reads whole statements (the embedded one slices them). */
const READ = { sliced: false };
const LIMIT_MS = Number(process.env.RAPFS_BENCH_SCALE_LIMIT_SECONDS ?? 600) * 1000;
/**
 * 0: the full materialization is the one the preparation timed (its first), not run again. At
 * scale 10 a full run takes most of an hour on 2 cores (the analysis embedding's HNSW build is in
 * it), which a session that prepares the data from nothing cannot spend twice.
 */
const FULL_RUN = process.env.RAPFS_BENCH_SCALE_FULL_RUN !== "0";

export type Run = { ms: number; rows: number; runs: RunResult[] };

/** What one scale's database measured in this process. */
export type LocalFigures = {
  scale: number;
  tracks: number;
  analyses: number;
  prepared: PreparedPhase[];
  full: Run;
  incremental: Run & { changed: number };
  offline: { baselineMs: number; views: string[]; card: Timed; download: Timed; training: Timed };
  search: BenchRow[];
  databaseBytes: number;
  /** The server's shared_buffers: whether the HNSW graphs an insert walks stay in its own cache. */
  sharedBuffers: string;
  hnswBytes: Record<string, number>;
};

async function timed(work: () => Promise<RunResult[]>): Promise<Run> {
  const started = performance.now();
  const runs = await work();
  return { ms: performance.now() - started, rows: runs.reduce((n, r) => n + r.rowsWritten, 0), runs };
}

async function timedOutcome(work: (signal: AbortSignal) => Promise<{ rows: number; detail: string }>) {
  const started = performance.now();
  try {
    const outcome = await work(AbortSignal.timeout(LIMIT_MS));
    return { ...outcome, ms: performance.now() - started, status: "ok" } satisfies Timed;
  } catch (error) {
    const ms = performance.now() - started;
    const status = ms >= LIMIT_MS ? "over limit" : "failed";
    return { rows: 0, detail: (error as Error).message, ms, status } satisfies Timed;
  }
}

/** New analyses for `count` random analyses, newer than every watermark (as `pnpm bench materialize`). */
async function addAnalyses(sql: Sql, count: number): Promise<void> {
  await sql`
    insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data, created_at,
      complexity_score, processing_time_ms, model_version, analysis_embedding)
    select a.track_id, a.analyzer_type, a.sentiment, a.confidence, a.themes, a.analysis_data,
      (select max(created_at) from analysis_results) + make_interval(secs => row_number() over ()),
      a.complexity_score, a.processing_time_ms, a.model_version || ${ADDED}, a.analysis_embedding
    from (select * from analysis_results order by md5(id::text) limit ${count}) a`;
}

async function measuredFull(sql: Sql, scale: number): Promise<Run> {
  log(scale, "full materialization of every view");
  const full = await timed(() => materializeAll(sql, { full: true }));
  log(scale, `full: ${full.ms.toFixed(0)} ms, ${full.rows} rows`);
  return full;
}

function preparedFull(prepared: PreparedPhase[]): Run {
  const first = prepared.find((p) => p.phase === "first materialization");
  if (!first) throw new Error("the preparation timed no first materialization");
  return { ms: first.ms, rows: first.rows, runs: [] };
}

const log = (scale: number, what: string) => process.stderr.write(`scale bench: scale ${scale}: ${what}\n`);

/**
 * On the scale's database: a full materialization of every view, an incremental run after 1% new
 * analyses, the point-in-time reads of `public` (`pnpm bench offline`'s workloads) and the HNSW
 * search (`pnpm bench search`'s), and the sizes a plan for larger scales starts from.
 */
export async function measureLocal(
  db: Database,
  scale: number,
  prepared: PreparedPhase[],
): Promise<LocalFigures> {
  const { sql } = db;
  const removed = await sql`delete from analysis_results where model_version like ${`%${ADDED}`}`;
  if (removed.count > 0) log(scale, `removed ${removed.count} analyses an earlier run added`);
  const [counts] = await sql<{ tracks: number; analyses: number }[]>`
    select (select count(*) from tracks)::int as tracks, (select count(*) from analysis_results)::int as analyses`;
  const { tracks, analyses } = counts ?? { tracks: 0, analyses: 0 };
  await sql`analyze`;

  const full = FULL_RUN ? await measuredFull(sql, scale) : preparedFull(prepared);
  const changed = Math.round(analyses / 100);
  await addAnalyses(sql, changed);
  const incremental = { ...(await timed(() => materializeAll(sql))), changed };
  log(scale, `incremental after ${changed} analyses: ${incremental.ms.toFixed(0)} ms`);

  log(scale, "point-in-time reads of public");
  const plans = await prepare(sql, READ);
  const views = viewsOf(plans.download);
  const baselineMs = full.runs
    .filter((r) => views.some((v) => v.name === r.name && v.version === r.version))
    .reduce((ms, r) => ms + r.durationMs, 0);
  const asOfCard = await timedOutcome(async (signal) => {
    const computed = await card(sql, plans.download, signal, READ);
    return { rows: computed.rows, detail: `${computed.columns.length} columns` };
  });
  log(scale, `as_of card: ${asOfCard.ms.toFixed(0)} ms (${asOfCard.status})`);
  const download = await timedOutcome((signal) => parquet(sql, plans.download, signal, undefined, READ));
  log(scale, `as_of download: ${download.ms.toFixed(0)} ms (${download.status})`);
  const training = await timedOutcome((signal) => parquet(sql, plans.training, signal, plans.rows, READ));
  log(scale, `training set: ${training.ms.toFixed(0)} ms (${training.status})`);

  log(scale, "HNSW search");
  const search = await measureSearch(db, scale);

  const [size] = await sql<{ bytes: number; buffers: string }[]>`
    select pg_database_size(current_database())::float8 as bytes, current_setting('shared_buffers') as buffers`;
  const indexes = await sql<{ name: string; bytes: number }[]>`
    select c.relname as name, pg_relation_size(c.oid)::float8 as bytes
    from pg_class c join pg_index i on i.indexrelid = c.oid join pg_am am on am.oid = c.relam
    where am.amname = 'hnsw'`;
  return {
    scale,
    tracks,
    analyses,
    prepared,
    full,
    incremental,
    offline: {
      baselineMs,
      views: views.map((v) => `${v.name}@${v.version}`),
      card: asOfCard,
      download,
      training,
    },
    search,
    databaseBytes: size?.bytes ?? Number.NaN,
    sharedBuffers: size?.buffers ?? "unknown",
    hnswBytes: Object.fromEntries(indexes.map((i) => [i.name, i.bytes])),
  };
}
