import type { Sql } from "../db/database";
import type { CompiledQuery } from "../definitions/compile/params";
import type { CompiledHistory } from "../definitions/compile/pit-history";
import type { FeatureType, KeyType } from "../definitions/schema";
import type { RunStats } from "./stats";

export type Status = "active" | "deprecated" | "retired";

export type FeatureInfo = {
  name: string;
  type: FeatureType;
  pg_type: string;
  description: string;
  expr: string;
  tags: string[];
};

export type RunSummary = {
  id: number;
  mode: "full" | "incremental";
  status: "running" | "succeeded" | "failed";
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  rowsWritten: number | null;
  rowCount: number | null;
  watermarkAfter: Date | null;
  error: string | null;
};

export type ViewVersion = {
  name: string;
  version: number;
  entity: string;
  /** The table holding its rows: fv_<name>_v<version>, keyed by its entity's key column. */
  table: string;
  keyColumn: string;
  keyType: KeyType;
  status: Status;
  sunsetDate: string | null;
  description: string;
  owner: string | null;
  tags: string[];
  features: FeatureInfo[];
  contentHash: string;
  sourceFile: string;
  /** Newest source timestamp included; null before the first run. */
  watermark: Date | null;
  lastMaterializedAt: Date | null;
  /** The freshness objective it declares (null: the server's default). */
  freshnessSeconds: number | null;
  lastRun: RunSummary | null;
  /** True for the highest non-retired version: what `view:feature` resolves to. */
  isLatest: boolean;
};

export type ViewVersionDetail = ViewVersion & {
  compiled: Record<"ddl" | "staging_ddl", string> &
    Record<"select" | "full" | "incremental" | "point_in_time" | "watermark", CompiledQuery> & {
      /** Absent from versions registered before rapfs compiled it, until definitions are applied again. */
      point_in_time_history?: CompiledHistory | null;
      point_in_time_changes?: CompiledQuery | null;
    };
  /**
   * Statistics of the whole table as of `statsRun`: the last full run, or an incremental run
   * whose table was counted again after it (materialize/stats-follower.ts).
   */
  stats: RunStats | null;
  /** The run the statistics describe, and when it finished. */
  statsRun: { id: number; finishedAt: Date } | null;
};

const VIEW_COLUMNS = `
  v.name, v.version, v.entity, e.key_column, e.key_type, v.table_name, v.status, to_char(v.sunset_date, 'YYYY-MM-DD') as sunset_date,
  v.description, v.owner, v.tags, v.features, v.content_hash, v.source_file, v.watermark,
  v.last_materialized_at, v.freshness_seconds,
  v.version = max(v.version) filter (where v.status <> 'retired') over (partition by v.name) as is_latest,
  to_jsonb(r) as last_run`;

type ViewRow = {
  name: string;
  version: number;
  entity: string;
  key_column: string;
  key_type: KeyType;
  table_name: string;
  status: Status;
  sunset_date: string | null;
  description: string;
  owner: string | null;
  tags: string[];
  features: FeatureInfo[];
  content_hash: string;
  source_file: string;
  watermark: Date | null;
  last_materialized_at: Date | null;
  freshness_seconds: number | null;
  is_latest: boolean | null;
  last_run: Record<string, unknown> | null;
};

function toRun(row: Record<string, unknown> | null): RunSummary | null {
  if (!row) return null;
  const date = (v: unknown) => (v ? new Date(v as string) : null);
  return {
    id: Number(row.id),
    mode: row.mode as RunSummary["mode"],
    status: row.status as RunSummary["status"],
    startedAt: new Date(row.started_at as string),
    finishedAt: date(row.finished_at),
    durationMs: (row.duration_ms as number | null) ?? null,
    rowsWritten: row.rows_written == null ? null : Number(row.rows_written),
    rowCount: row.row_count == null ? null : Number(row.row_count),
    watermarkAfter: date(row.watermark_after),
    error: (row.error as string | null) ?? null,
  };
}

function toView(row: ViewRow): ViewVersion {
  return {
    name: row.name,
    version: row.version,
    entity: row.entity,
    table: row.table_name,
    keyColumn: row.key_column,
    keyType: row.key_type,
    status: row.status,
    sunsetDate: row.sunset_date,
    description: row.description,
    owner: row.owner,
    tags: row.tags,
    features: row.features,
    contentHash: row.content_hash,
    sourceFile: row.source_file,
    watermark: row.watermark,
    lastMaterializedAt: row.last_materialized_at,
    freshnessSeconds: row.freshness_seconds,
    lastRun: toRun(row.last_run),
    isLatest: row.is_latest === true,
  };
}

type StatsRow = { id: number; finished_at: string; stats: RunStats };

/** Every applied view version (retired ones too, marked), by name then version. */
export async function listViews(sql: Sql, options: { entity?: string } = {}): Promise<ViewVersion[]> {
  const rows = await sql.unsafe<ViewRow[]>(
    `select ${VIEW_COLUMNS} from rapfs_feature_views v
     join rapfs_entities e on e.name = v.entity
     left join rapfs_materialization_runs r on r.id = v.last_run_id
     where $1::text is null or v.entity = $1
     order by v.name, v.version`,
    [options.entity ?? null],
  );
  return rows.map(toView);
}

/** One version, or the latest non-retired one when no version is given; undefined if none. */
export async function getViewVersion(
  sql: Sql,
  name: string,
  version?: number,
): Promise<ViewVersionDetail | undefined> {
  const rows = await sql.unsafe<
    (ViewRow & { compiled: ViewVersionDetail["compiled"]; stats_run: StatsRow | null })[]
  >(
    `select * from (
       select ${VIEW_COLUMNS}, v.compiled,
         (select jsonb_build_object('id', s.id, 'finished_at', s.finished_at, 'stats', s.stats)
          from rapfs_materialization_runs s
          where s.name = v.name and s.version = v.version and s.relation_kind = 'feature_view'
            and s.status = 'succeeded' and s.stats->>'scope' = 'table' order by s.id desc limit 1) as stats_run
       from rapfs_feature_views v
       join rapfs_entities e on e.name = v.entity
       left join rapfs_materialization_runs r on r.id = v.last_run_id
       where v.name = $1
     ) x
     where ($2::int is null and is_latest) or version = $2`,
    [name, version ?? null],
  );
  const row = rows[0];
  if (!row) return undefined;
  const counted = row.stats_run;
  return {
    ...toView(row),
    compiled: row.compiled,
    stats: counted?.stats ?? null,
    statsRun: counted ? { id: Number(counted.id), finishedAt: new Date(counted.finished_at) } : null,
  };
}

/** Runs of one view version (or embedding), newest first. */
export async function listRuns(sql: Sql, name: string, version: number, limit = 20): Promise<RunSummary[]> {
  const rows = await sql<{ run: Record<string, unknown> }[]>`
    select to_jsonb(r) as run from rapfs_materialization_runs r
    where r.name = ${name} and r.version = ${version} order by r.id desc limit ${limit}`;
  return rows.map((r) => toRun(r.run) as RunSummary);
}
