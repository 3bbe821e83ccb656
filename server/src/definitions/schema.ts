import { z } from "zod";
import { durationSeconds, freshnessDuration } from "../config/duration";

export { durationSeconds };

/** Names become SQL identifiers (quoted anyway) and URL segments, so keep them boring. */
const name = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "must be lowercase letters, digits and _ (start with a letter, ≤ 40)");
const text = z.string().trim().min(1);
const tags = z.array(name).default([]);
const analyzer = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,49}$/, "must be an analyzer_type value");
/** A SQL scalar expression; parsed and checked by the compiler, never concatenated unchecked. */
const expression = z.string().trim().min(1).max(2000);

export const FEATURE_TYPES = [
  "bool",
  "int",
  "float",
  "string",
  "string[]",
  "float[]",
  "timestamp",
  "json",
] as const;
export const featureType = z.enum(FEATURE_TYPES);
export type FeatureType = z.infer<typeof featureType>;

export const ENTITY_NAMES = ["track", "artist"] as const;
const entityName = z.enum(ENTITY_NAMES);
export type EntityName = z.infer<typeof entityName>;

export const KEY_TYPES = ["int", "string"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** The PostgreSQL type of an entity's key column. */
export const keyPgType = (keyType: KeyType): "integer" | "text" => (keyType === "int" ? "integer" : "text");

const reservedColumns = ["track_id", "artist", "event_timestamp", "materialized_at"];

export const featureSchema = z.strictObject({
  name: name.refine((n) => !reservedColumns.includes(n), "is a reserved column name"),
  type: featureType,
  expr: expression.describe("SQL scalar expression over the source aliases (t = track, a = analysis)"),
  description: text,
  tags: tags.optional(),
});
export type FeatureDefinition = z.infer<typeof featureSchema>;

const status = z.enum(["active", "deprecated", "retired"]);
const lifecycle = {
  status: status.default("active"),
  sunset: z.iso.date().optional().describe("ISO date after which a deprecated version stops being served"),
};

/** `30s`, `5m`, `1h`: how soon a new source row must be served (5 s to 24 h). */
export const freshness = freshnessDuration
  .optional()
  .describe(
    "How soon a new track or analysis is served by this version (30s, 5m, 1h); the server's default " +
      "(RAPFS_FRESHNESS_DEFAULT) when omitted. It changes when rows are served, never their values, " +
      "so it is not part of the version",
  );

/**
 * A related entity this entity's rows point at (a track's artist). Its key is a feature of one of
 * this entity's views, pinned to a version, so the foreign key is materialized, served and read
 * point in time like every other value.
 */
export const relationSchema = z.strictObject({
  entity: entityName.describe("the entity related to"),
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]*@[1-9][0-9]*:[a-z][a-z0-9_]*$/, "must be a pinned reference view@version:feature")
    .describe("the feature (view@version:feature) of this entity holding the related entity's key"),
  description: text.optional(),
});
export type RelationDefinition = z.infer<typeof relationSchema>;

export const entitySchema = z.strictObject({
  kind: z.literal("entity"),
  name: entityName,
  description: text,
  key: z.strictObject({ column: name, type: z.enum(KEY_TYPES) }),
  relations: z
    .record(name, relationSchema)
    .default({})
    .describe(
      "relation name → related entity: refs relation.view@version:feature (or view@version:feature, " +
        "when one relation reaches that view's entity) take the related entity's features",
    ),
});

/** Latest analysis of one analyzer per track, joined under an alias next to the main rows. */
const joinLatest = z
  .record(
    name.refine((a) => a !== "t" && a !== "a", "t and a are reserved aliases"),
    analyzer,
  )
  .optional()
  .describe("alias → analyzer_type: left-join that analyzer's latest analysis per track");

const tracksSource = z.strictObject({
  from: z.literal("tracks"),
  pick: z.enum(["row", "aggregate"]).default("row"),
  join_latest: joinLatest,
});

const analysesSource = z.strictObject({
  from: z.literal("analyses"),
  analyzers: z.array(analyzer).min(1).describe("analyzer_type values; for by_analyzer, in preference order"),
  pick: z
    .enum(["latest", "by_analyzer", "aggregate"])
    .describe(
      "latest: newest analysis (created_at, then id); by_analyzer: newest of the first analyzer present; " +
        "aggregate: aggregate expressions over the latest analysis of each analyzer",
    ),
  join_latest: joinLatest,
});

export const sourceSchema = z.discriminatedUnion("from", [tracksSource, analysesSource]);
export type SourceDefinition = z.infer<typeof sourceSchema>;

export const featureViewSchema = z.strictObject({
  kind: z.literal("feature_view"),
  name,
  version: z.int().min(1).max(9999),
  entity: entityName,
  description: text,
  owner: text,
  tags,
  ...lifecycle,
  freshness,
  source: sourceSchema,
  features: z.array(featureSchema).min(1).max(200),
});
export type FeatureViewDefinition = z.infer<typeof featureViewSchema>;

/**
 * How an HNSW index is built. The defaults reach recall@10 ≥ 0.99 with no query below 0.8 on
 * the 57,718 × 384-d lyrics (pgvector's own defaults, m 16 / ef_construction 64, left queries
 * whose neighbours the graph never reached).
 */
export const hnswOptionsSchema = z
  .strictObject({
    m: z.int().min(2).max(100).default(32).describe("Links per node (pgvector: 2–100, default 16)"),
    ef_construction: z
      .int()
      .min(4)
      .max(1000)
      .default(200)
      .describe("Candidate list while building (pgvector: 4–1000, at least 2 × m, default 64)"),
    maintenance_work_mem: z
      .string()
      .regex(/^[1-9][0-9]{0,6}(kB|MB|GB)$/, "must be a PostgreSQL memory size such as 512MB or 2GB")
      .optional()
      .describe(
        "Memory for the build, set for its transaction only; default: the graph's estimated size for " +
          "the rows at build time (or the server's setting if larger)",
      ),
  })
  .refine((o) => o.ef_construction >= 2 * o.m, {
    message: "ef_construction must be at least 2 × m (pgvector refuses less)",
    path: ["ef_construction"],
  })
  .prefault({})
  .describe("Options of the HNSW index (used where the index is hnsw)");
export type HnswOptions = z.infer<typeof hnswOptionsSchema>;

export const embeddingSchema = z.strictObject({
  kind: z.literal("embedding"),
  name,
  version: z.int().min(1).max(9999).default(1),
  entity: z.literal("track"),
  description: text,
  owner: text.optional(),
  tags,
  ...lifecycle,
  freshness,
  source: z.discriminatedUnion("from", [
    z.strictObject({ from: z.literal("tracks"), column: name }),
    z.strictObject({
      from: z.literal("analyses"),
      analyzer,
      column: name,
      pick: z.literal("latest").default("latest"),
    }),
  ]),
  dimension: z.int().min(1).max(16000),
  metric: z.enum(["cosine", "l2", "inner_product"]),
  index: z
    .enum(["auto", "exact", "hnsw"])
    .default("auto")
    .describe(
      "auto: exact scan on embedded PGlite, HNSW on server PostgreSQL (RAPFS_VECTOR_INDEX overrides)",
    ),
  hnsw: hnswOptionsSchema,
});
export type EmbeddingDefinition = z.infer<typeof embeddingSchema>;

const featureRef = z
  .string()
  .describe(
    "view@version:feature, view:feature (latest version) or view@2:*; relation.view@version:feature " +
      "takes a related entity's feature",
  );

export const featureServiceSchema = z.strictObject({
  kind: z.literal("feature_service"),
  name,
  entity: entityName,
  description: text,
  owner: text.optional(),
  tags,
  features: z.array(featureRef).min(1),
});
export type FeatureServiceDefinition = z.infer<typeof featureServiceSchema>;

export const datasetFilterSchema = z.strictObject({
  feature: featureRef,
  op: z.enum([">", ">=", "<", "<=", "=", "!=", "is_null", "not_null"]),
  value: z.union([z.number(), z.string(), z.boolean()]).optional(),
});
export type DatasetFilter = z.infer<typeof datasetFilterSchema>;

/** The SQL operator of each comparing filter op (`is_null`/`not_null` are written as IS [NOT] NULL). */
export const FILTER_SQL_OPERATORS: Record<Exclude<DatasetFilter["op"], "is_null" | "not_null">, string> = {
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
  "=": "=",
  "!=": "<>",
};

export const datasetSchema = z.strictObject({
  kind: z.literal("dataset"),
  name,
  entity: entityName,
  description: text,
  license: text.describe("SPDX id or licence statement shipped with every download"),
  public: z
    .boolean()
    .default(false)
    .describe(
      "downloadable whole on every tier: a download of the dataset as defined spends downloads and bytes per day, not entity rows",
    ),
  owner: text.optional(),
  tags,
  features: z.array(featureRef).min(1).optional(),
  service: name.optional().describe("take the features of this feature service"),
  filters: z.array(datasetFilterSchema).default([]),
});
export type DatasetDefinition = z.infer<typeof datasetSchema>;

export const definitionSchema = z.discriminatedUnion("kind", [
  entitySchema,
  featureViewSchema,
  embeddingSchema,
  featureServiceSchema,
  datasetSchema,
]);
export type Definition = z.infer<typeof definitionSchema>;
export type EntityDefinition = z.infer<typeof entitySchema>;
