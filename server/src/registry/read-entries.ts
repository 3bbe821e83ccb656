import type { Sql } from "../db/database";
import type { CompiledQuery } from "../definitions/compile/params";
import type { ResolvedFeature } from "../definitions/refs";
import type { DatasetFilter, KeyType } from "../definitions/schema";
import type { Status } from "./read";

/** A related entity: its name, and the pinned feature (view@version:feature) holding its key. */
export type EntityRelation = { entity: string; key: string; description?: string };

export type EntityInfo = {
  name: string;
  keyColumn: string;
  keyType: KeyType;
  description: string;
  /** Relation name → related entity. */
  relations: Record<string, EntityRelation>;
};

export async function listEntities(sql: Sql): Promise<EntityInfo[]> {
  return sql<EntityInfo[]>`
    select name, key_column as "keyColumn", key_type as "keyType", description, relations
    from rapfs_entities order by name`;
}

export type FeatureServiceInfo = {
  name: string;
  entity: string;
  description: string;
  owner: string | null;
  tags: string[];
  /** References as written (unpinned ones follow the latest version when resolved again). */
  featureRefs: string[];
  /** What they resolved to when applied. */
  features: ResolvedFeature[];
};

export async function listFeatureServices(sql: Sql): Promise<FeatureServiceInfo[]> {
  return sql<FeatureServiceInfo[]>`
    select name, entity, description, owner, tags, feature_refs as "featureRefs", features
    from rapfs_feature_services order by name`;
}

export async function getFeatureService(sql: Sql, name: string): Promise<FeatureServiceInfo | undefined> {
  return (await listFeatureServices(sql)).find((s) => s.name === name);
}

export type EmbeddingInfo = {
  name: string;
  version: number;
  entity: string;
  /** Read vectors from relation.vectorColumn keyed by relation.keyColumn (tracks.id or emb_*.track_id). */
  relation: string;
  keyColumn: string;
  vectorColumn: string;
  dimension: number;
  metric: "cosine" | "l2" | "inner_product";
  indexKind: "exact" | "hnsw";
  indexName: string | null;
  description: string;
  tags: string[];
  status: Status;
  sunsetDate: string | null;
  lastMaterializedAt: Date | null;
};

export async function listEmbeddings(sql: Sql): Promise<EmbeddingInfo[]> {
  return sql<EmbeddingInfo[]>`
    select name, version, entity, relation, key_column as "keyColumn", vector_column as "vectorColumn", dimension,
      metric, index_kind as "indexKind", index_name as "indexName", description, tags, status,
      to_char(sunset_date, 'YYYY-MM-DD') as "sunsetDate", last_materialized_at as "lastMaterializedAt"
    from rapfs_embeddings order by name, version`;
}

/** One embedding version, or its highest non-retired version. */
export async function getEmbedding(
  sql: Sql,
  name: string,
  version?: number,
): Promise<EmbeddingInfo | undefined> {
  const versions = (await listEmbeddings(sql)).filter((e) => e.name === name);
  if (version !== undefined) return versions.find((e) => e.version === version);
  return versions.filter((e) => e.status !== "retired").at(-1);
}

export type DatasetInfo = {
  name: string;
  entity: string;
  description: string;
  license: string;
  /** Downloadable whole on every tier (its downloads spend downloads and bytes, not rows). */
  public: boolean;
  owner: string | null;
  tags: string[];
  /** Output columns (view__feature) and where they come from. */
  features: (ResolvedFeature & { column: string; type: string; pgType: string })[];
  filters: DatasetFilter[];
  /** The rows of a download, ordered by the entity key. */
  query: CompiledQuery;
};

export async function listDatasets(sql: Sql): Promise<DatasetInfo[]> {
  return sql<DatasetInfo[]>`
    select name, entity, description, license, public, owner, tags, features, filters, compiled as query
    from rapfs_datasets order by name`;
}

export async function getDataset(sql: Sql, name: string): Promise<DatasetInfo | undefined> {
  return (await listDatasets(sql)).find((d) => d.name === name);
}
