import type { Sql } from "../db/database";
import { type HnswIndexSpec, hnswIndexSpec } from "../definitions/compile/embedding";
import type { JsonRead } from "../definitions/compile/json-reads";
import type { CompiledQuery } from "../definitions/compile/params";
import type { CompiledHistory } from "../definitions/compile/pit-history";
import { analyzersOf } from "../definitions/compile/select";
import type { EmbeddingDefinition, KeyType, SourceDefinition } from "../definitions/schema";

/** A registered relation the runner can build: a feature view version or a materialized embedding. */
export type MaterializeTarget = {
  kind: "feature_view" | "embedding";
  name: string;
  version: number;
  table: string;
  stagingTable: string;
  stagingDdl: string;
  entity: string;
  key: string;
  keyType: KeyType;
  columns: { name: string; type: string }[];
  /** The bare SELECT of the rows (what a full run computes, without writing). */
  select: CompiledQuery;
  fullBefore: CompiledQuery[];
  /** A table an incremental run depends on (per-track inputs); empty means "run full". */
  helperTable: string | null;
  full: CompiledQuery;
  incrementalBefore: CompiledQuery[];
  incremental: CompiledQuery;
  /** The keys the noted changes reach (null: a registry compiled before it, whose runs go full). */
  touched: CompiledQuery | null;
  watermarkQuery: CompiledQuery;
  /** PostgreSQL text of the registry's timestamp, so it round-trips exactly. */
  watermark: string | null;
  /** Rows after the last successful run (incremental runs add what they insert). */
  rowCount: number | null;
  /** An embedding with an HNSW index: built again after each full run (the table is new). */
  vectorIndex?: HnswIndexSpec;
  /** The snapshot the last successful run read its sources in (null: none recorded). */
  sourceSnapshot: string | null;
  /** The analyzers whose analyses it reads (every view reads tracks). */
  analyzers: string[];
  /** The freshness objective it declares, in seconds (null: the server's default). */
  freshnessSeconds: number | null;
  /** The analysis_data keys it reads: runs quarantine the analyses that do not fit them. */
  reads: JsonRead[];
  /** An artist view's history of running totals, kept up to date after each run (stored-history.ts). */
  history: CompiledHistory | null;
};

type Row = {
  kind: "feature_view" | "embedding";
  name: string;
  version: number;
  table_name: string;
  entity: string;
  key_column: string;
  key_type: KeyType;
  features: { name: string; type: string }[] | null;
  compiled: {
    staging_table: string;
    staging_ddl: string;
    select: CompiledQuery;
    full_before?: CompiledQuery[];
    helper_table?: string | null;
    full: CompiledQuery;
    incremental_before?: CompiledQuery[];
    incremental: CompiledQuery;
    touched?: CompiledQuery;
    watermark: CompiledQuery;
    reads?: JsonRead[];
    point_in_time_history?: CompiledHistory | null;
  };
  watermark: string | null;
  row_count: string | null;
  index_name: string | null;
  vector_column: string | null;
  metric: EmbeddingDefinition["metric"] | null;
  dimension: number | null;
  hnsw: EmbeddingDefinition["hnsw"] | null;
  definition: { source: SourceDefinition | EmbeddingDefinition["source"] };
  source_snapshot: string | null;
  freshness_seconds: number | null;
};

/**
 * What can be materialized, read from the registry (not the YAML files): the applied compiled
 * SQL is what runs. Retired versions are skipped.
 */
export async function listTargets(
  sql: Sql,
  filter?: { name: string; version?: number },
): Promise<MaterializeTarget[]> {
  const rows = await sql<Row[]>`
    select r.*, e.key_column, e.key_type, last.row_count, last.source_snapshot from (
      select 'feature_view' as kind, name, version, table_name, entity, features, compiled, watermark::text as watermark, status, last_run_id,
        null as index_name, null as vector_column, null as metric, null::int as dimension, null::jsonb as hnsw,
        definition, freshness_seconds
      from rapfs_feature_views
      union all
      select 'embedding', name, version, relation, entity, null, compiled, watermark::text, status, last_run_id,
        case when index_kind = 'hnsw' then index_name end, vector_column, metric, dimension, definition->'hnsw',
        definition, freshness_seconds
      from rapfs_embeddings where compiled is not null
    ) r
    join rapfs_entities e on e.name = r.entity
    left join lateral (
      select row_count, source_snapshot from rapfs_materialization_runs where id = r.last_run_id
    ) last on true
    where r.status <> 'retired'
      and (${filter?.name ?? null}::text is null or r.name = ${filter?.name ?? null})
      and (${filter?.version ?? null}::int is null or r.version = ${filter?.version ?? null})
    order by r.kind desc, r.name, r.version`;
  return rows.map((r) => ({
    kind: r.kind,
    name: r.name,
    version: r.version,
    table: r.table_name,
    stagingTable: r.compiled.staging_table,
    stagingDdl: r.compiled.staging_ddl,
    entity: r.entity,
    key: r.key_column,
    keyType: r.key_type,
    columns: r.features ?? [{ name: "embedding", type: "vector" }],
    select: r.compiled.select,
    fullBefore: r.compiled.full_before ?? [],
    helperTable: r.compiled.helper_table ?? null,
    full: r.compiled.full,
    incrementalBefore: r.compiled.incremental_before ?? [],
    incremental: r.compiled.incremental,
    touched: r.compiled.touched ?? null,
    watermarkQuery: r.compiled.watermark,
    watermark: r.watermark,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    sourceSnapshot: r.source_snapshot,
    analyzers: sourceAnalyzers(r.definition.source),
    freshnessSeconds: r.freshness_seconds,
    reads: r.compiled.reads ?? [],
    history: r.compiled.point_in_time_history ?? null,
    ...(r.index_name && r.vector_column && r.metric && r.dimension
      ? {
          vectorIndex: hnswIndexSpec(
            {
              name: r.index_name,
              relation: r.table_name,
              column: r.vector_column,
              metric: r.metric,
              dimension: r.dimension,
            },
            r.hnsw ?? undefined,
          ),
        }
      : {}),
  }));
}

function sourceAnalyzers(source: SourceDefinition | EmbeddingDefinition["source"]): string[] {
  if ("analyzer" in source) return [source.analyzer];
  return "column" in source ? [] : analyzersOf(source);
}
