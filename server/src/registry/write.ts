import type postgres from "postgres";
import type { CompiledEmbedding, VectorIndexKind } from "../definitions/compile/embedding";
import type { CompiledCatalog, CompiledFeatureView } from "../definitions/compile/index";
import type { CompiledView } from "../definitions/compile/view";
import { durationSeconds, type EmbeddingDefinition } from "../definitions/schema";

type Tx = postgres.TransactionSql;
type Json = postgres.JSONValue;

export function compiledJson(view: CompiledView): Json {
  return {
    ddl: view.ddl,
    staging_table: view.stagingTable,
    staging_ddl: view.stagingDdl,
    helper_ddl: view.helperDdl,
    helper_table: view.helperTable ?? null,
    select: view.select,
    full_before: view.fullBefore,
    full: view.full,
    incremental_before: view.incrementalBefore,
    incremental: view.incremental,
    touched: view.touched,
    point_in_time: view.pointInTime,
    point_in_time_history: view.pointInTimeHistory ?? null,
    point_in_time_changes: view.pointInTimeChanges ?? null,
    watermark: view.watermark,
    reads: view.reads,
    track_reads: view.trackReads,
  } as unknown as Json;
}

/** The parts of a view version that may change after it is applied (they do not change its data). */
export function viewMetadata({ located, compiled }: CompiledFeatureView) {
  const { def } = located;
  return {
    description: def.description,
    owner: def.owner,
    tags: def.tags,
    source_file: located.file,
    status: def.status,
    sunset_date: def.sunset ?? null,
    freshness_seconds: def.freshness ? durationSeconds(def.freshness) : null,
    features: def.features.map((f) => {
      const column = compiled.columns.find((c) => c.name === f.name);
      return {
        name: f.name,
        type: f.type,
        pg_type: column?.pgType,
        description: f.description,
        expr: f.expr,
        tags: f.tags ?? [],
      };
    }),
  };
}

export async function upsertEntities(tx: Tx, catalog: CompiledCatalog): Promise<void> {
  for (const { def } of catalog.entities) {
    await tx`
      insert into rapfs_entities (name, key_column, key_type, description, relations)
      values (${def.name}, ${def.key.column}, ${def.key.type}, ${def.description}, ${tx.json(def.relations as Json)})
      on conflict (name) do update set key_column = excluded.key_column, key_type = excluded.key_type,
        description = excluded.description, relations = excluded.relations, updated_at = now()
      where (rapfs_entities.key_column, rapfs_entities.key_type, rapfs_entities.description, rapfs_entities.relations)
        is distinct from (excluded.key_column, excluded.key_type, excluded.description, excluded.relations)`;
  }
}

export async function insertViewVersion(tx: Tx, view: CompiledFeatureView): Promise<void> {
  const m = viewMetadata(view);
  const { compiled, located } = view;
  await tx`
    insert into rapfs_feature_views (name, version, entity, table_name, content_hash, description, owner,
      tags, source_file, features, definition, compiled, status, sunset_date, freshness_seconds)
    values (${compiled.name}, ${compiled.version}, ${compiled.entity}, ${compiled.table}, ${compiled.hash},
      ${m.description}, ${m.owner}, ${m.tags}, ${m.source_file}, ${tx.json(m.features as Json)}, ${tx.json(located.def as Json)},
      ${tx.json(compiledJson(compiled))}, ${m.status}, ${m.sunset_date}, ${m.freshness_seconds})`;
}

/**
 * The compiled SQL of a version already registered with the same meaning (content hash): what
 * rapfs compiles for a meaning may improve between releases, and the stored SQL follows.
 */
export async function refreshCompiledSql(tx: Tx, view: CompiledFeatureView): Promise<void> {
  const { compiled } = view;
  const json = tx.json(compiledJson(compiled));
  await tx`
    update rapfs_feature_views set compiled = ${json}
    where name = ${compiled.name} and version = ${compiled.version} and content_hash = ${compiled.hash}
      and compiled is distinct from ${json}::jsonb`;
}

export async function updateViewMetadata(tx: Tx, view: CompiledFeatureView): Promise<void> {
  const m = viewMetadata(view);
  await tx`
    update rapfs_feature_views set description = ${m.description}, owner = ${m.owner}, tags = ${m.tags},
      source_file = ${m.source_file}, features = ${tx.json(m.features as Json)}, definition = ${tx.json(view.located.def as Json)},
      status = ${m.status}, sunset_date = ${m.sunset_date}, freshness_seconds = ${m.freshness_seconds},
      updated_at = now()
    where name = ${view.compiled.name} and version = ${view.compiled.version}`;
}

export function embeddingMetadata(def: EmbeddingDefinition, file: string) {
  return {
    description: def.description,
    tags: def.tags,
    source_file: file,
    status: def.status,
    sunset_date: def.sunset ?? null,
    freshness_seconds: def.freshness ? durationSeconds(def.freshness) : null,
  };
}

export async function upsertEmbedding(
  tx: Tx,
  { located, compiled }: { located: { def: EmbeddingDefinition; file: string }; compiled: CompiledEmbedding },
  indexKind: VectorIndexKind,
): Promise<void> {
  const m = embeddingMetadata(located.def, located.file);
  const compiledSql = compiled.view ? tx.json(compiledJson(compiled.view)) : null;
  const indexName = indexKind === "hnsw" ? compiled.indexName : null;
  await tx`
    insert into rapfs_embeddings (name, version, entity, relation, key_column, vector_column, dimension, metric,
      index_kind, index_name, content_hash, description, tags, source_file, definition, compiled, status,
      sunset_date, freshness_seconds)
    values (${compiled.name}, ${compiled.version}, ${compiled.entity}, ${compiled.relation}, ${compiled.keyColumn},
      ${compiled.vectorColumn}, ${compiled.dimension}, ${compiled.metric}, ${indexKind}, ${indexName},
      ${compiled.hash}, ${m.description}, ${m.tags}, ${m.source_file}, ${tx.json(located.def as Json)}, ${compiledSql},
      ${m.status}, ${m.sunset_date}, ${m.freshness_seconds})
    on conflict (name, version) do update set index_kind = excluded.index_kind, index_name = excluded.index_name,
      description = excluded.description, tags = excluded.tags, source_file = excluded.source_file,
      definition = excluded.definition, status = excluded.status, sunset_date = excluded.sunset_date,
      freshness_seconds = excluded.freshness_seconds, updated_at = now()`;
}

export async function upsertServicesAndDatasets(tx: Tx, catalog: CompiledCatalog): Promise<void> {
  for (const { located, resolved } of catalog.services) {
    const { def } = located;
    await tx`
      insert into rapfs_feature_services (name, entity, description, owner, tags, feature_refs, features, source_file)
      values (${def.name}, ${def.entity}, ${def.description}, ${def.owner ?? null}, ${def.tags}, ${def.features},
        ${tx.json(resolved as Json)}, ${located.file})
      on conflict (name) do update set entity = excluded.entity, description = excluded.description,
        owner = excluded.owner, tags = excluded.tags, feature_refs = excluded.feature_refs,
        features = excluded.features, source_file = excluded.source_file, updated_at = now()`;
  }
  for (const { located, compiled } of catalog.datasets) {
    const { def } = located;
    await tx`
      insert into rapfs_datasets (name, entity, description, license, public, owner, tags, features, filters,
        compiled, source_file)
      values (${def.name}, ${def.entity}, ${def.description}, ${def.license}, ${def.public}, ${def.owner ?? null}, ${def.tags},
        ${tx.json(compiled.columns as Json)}, ${tx.json(def.filters as Json)}, ${tx.json(compiled.query as Json)}, ${located.file})
      on conflict (name) do update set entity = excluded.entity, description = excluded.description,
        license = excluded.license, public = excluded.public, owner = excluded.owner, tags = excluded.tags,
        features = excluded.features,
        filters = excluded.filters, compiled = excluded.compiled, source_file = excluded.source_file,
        updated_at = now()`;
  }
}
