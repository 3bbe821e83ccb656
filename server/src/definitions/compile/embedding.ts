import type { Located } from "../definition-set";
import { type EmbeddingDefinition, type HnswOptions, hnswOptionsSchema } from "../schema";
import { ident } from "./params";
import { ANALYSES, TRACKS } from "./select";
import { type CompiledView, compileView, tableName } from "./view";

export type VectorIndexKind = "exact" | "hnsw";

const OPCLASS: Record<EmbeddingDefinition["metric"], string> = {
  cosine: "vector_cosine_ops",
  l2: "vector_l2_ops",
  inner_product: "vector_ip_ops",
};

/** pgvector distance operator for each metric (smaller is nearer for all three). */
export const DISTANCE_OPERATOR: Record<EmbeddingDefinition["metric"], string> = {
  cosine: "<=>",
  l2: "<->",
  inner_product: "<#>",
};

/** An embedding's HNSW index: where it goes and how it is built. */
export type HnswIndexSpec = {
  name: string;
  relation: string;
  column: string;
  metric: EmbeddingDefinition["metric"];
  dimension: number;
  m: number;
  efConstruction: number;
  /** A PostgreSQL memory size for the build; undefined sizes it from the rows (materialize/hnsw-build). */
  maintenanceWorkMem: string | undefined;
};

export function hnswIndexSpec(
  target: Pick<HnswIndexSpec, "name" | "relation" | "column" | "metric" | "dimension">,
  options: HnswOptions | undefined,
): HnswIndexSpec {
  // Registry rows written before the options existed hold none: the defaults apply.
  const o = options ?? hnswOptionsSchema.parse(undefined);
  return { ...target, m: o.m, efConstruction: o.ef_construction, maintenanceWorkMem: o.maintenance_work_mem };
}

/** The index DDL (m and ef_construction are validated integers, written as literals). */
export function hnswIndexDdl(spec: HnswIndexSpec, name = spec.name): string {
  return (
    `create index ${ident(name)} on ${ident(spec.relation)} ` +
    `using hnsw (${ident(spec.column)} ${OPCLASS[spec.metric]}) ` +
    `with (m = ${spec.m}, ef_construction = ${spec.efConstruction})`
  );
}

export type CompiledEmbedding = {
  name: string;
  version: number;
  entity: "track";
  /** Where the vectors are read: the tracks column itself, or a materialized table. */
  relation: string;
  keyColumn: string;
  vectorColumn: string;
  dimension: number;
  metric: EmbeddingDefinition["metric"];
  /** Present when the vectors are materialized (an analysis's embedding per track). */
  view?: CompiledView;
  hash: string;
  indexName: string;
  /** Built where the index is hnsw. */
  hnswIndex: HnswIndexSpec;
  indexDdl: (kind: VectorIndexKind) => string | undefined;
};

export function compileEmbedding({ def }: Located<EmbeddingDefinition>): CompiledEmbedding {
  const table = tableName("embedding", def.name, def.version);
  const view =
    def.source.from === "analyses"
      ? compileView({
          kind: "embedding",
          name: def.name,
          version: def.version,
          entity: "track",
          source: { from: "analyses", analyzers: [def.source.analyzer], pick: "latest" },
          analysisVectors: [def.source.column],
          columns: [
            {
              name: "embedding",
              type: "vector",
              pgType: `vector(${def.dimension})`,
              sql: `a.${ident(def.source.column)}`,
              tree: { column: def.source.column, table: ANALYSES },
            },
          ],
        })
      : undefined;
  const relation = view ? table : TRACKS;
  const keyColumn = view ? "track_id" : "id";
  const vectorColumn = view ? "embedding" : def.source.column;
  const indexName = `${table}_hnsw`;
  const hnswIndex = hnswIndexSpec(
    { name: indexName, relation, column: vectorColumn, metric: def.metric, dimension: def.dimension },
    def.hnsw,
  );
  const hash = view?.hash ?? `${TRACKS}.${def.source.column}:${def.dimension}:${def.metric}`;
  return {
    name: def.name,
    version: def.version,
    entity: "track",
    relation,
    keyColumn,
    vectorColumn,
    dimension: def.dimension,
    metric: def.metric,
    ...(view ? { view } : {}),
    hash,
    indexName,
    hnswIndex,
    indexDdl: (kind) => (kind === "hnsw" ? hnswIndexDdl(hnswIndex) : undefined),
  };
}
