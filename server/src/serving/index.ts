import type { Sql } from "../db/database";
import type { ReadRouter } from "../db/replica";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import type { OnlineStore } from "../online/types";
import { ServingCatalog } from "./catalog";
import { FeatureServer } from "./features";
import { EmbeddingServer } from "./search/embeddings";

export { type CatalogState, type CatalogView, ServingCatalog } from "./catalog";
export { deprecationHeaders, viewVersionPath } from "./deprecation";
export { createPostgresFallback } from "./fallback";
export { FeatureServer, type FeatureTable } from "./features";
export { type FeatureFilter, FILTER_OPS } from "./filters";
export { type EntityId, entityOf, idFromKey, type ParsedId, parseId, parseIds, parsePathId } from "./ids";
export { type SyncResult, syncOnlineStore } from "./online-sync/sync";
export { acceptedRelationKey, type RelationKey, relationKeyOf } from "./relations";
export {
  type ReferenceProblem,
  type Resolution,
  type ResolvedColumn,
  resolveReferences,
  type Selection,
} from "./resolve";
export { EmbeddingServer, type Neighbor, type SearchQuery, type SearchResult } from "./search/embeddings";
export { SEARCH_STRATEGIES, type SearchStrategy } from "./search/hnsw-search";

/** The online serving layer: the cached catalog, feature lookups and embedding search. */
export type Serving = {
  catalog: ServingCatalog;
  features: FeatureServer;
  embeddings: EmbeddingServer;
};

export type CreateCatalogOptions = {
  sql: Sql;
  logger: Logger;
  /** When given, each view version's last materialization is exported for the freshness gauge. */
  metrics?: Metrics | undefined;
  /** Time between background registry checks, in ms (default 5 s). */
  refreshMs?: number;
};

/** The registry as serving reads it, built before the online store, whose fallback reads through it. */
export function createServingCatalog(options: CreateCatalogOptions): ServingCatalog {
  return new ServingCatalog(options.sql, {
    logger: options.logger.child({ component: "catalog" }),
    ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
    onLoad: (state) => {
      for (const view of state.byKey.values()) {
        if (view.lastMaterializedAt) options.metrics?.markMaterialized(view.viewKey, view.lastMaterializedAt);
      }
    },
  });
}

export type CreateServingOptions = CreateCatalogOptions & {
  onlineStore: OnlineStore;
  /** The catalog the online store's fallback already reads (a new one otherwise). */
  catalog?: ServingCatalog;
  /** Clock for sunsets (tests pin it). */
  now?: () => number;
  /** Exact embeddings searched from memory: only where this process owns the database (embedded). */
  inMemorySearch?: boolean;
  /** Where in-memory search indexes persist between starts (embedded mode with a data directory). */
  vectorDirectory?: string;
  /** Searches retried on the primary when the replica's connection is lost under them. */
  reads?: Pick<ReadRouter, "run">;
};

export function createServing(options: CreateServingOptions): Serving {
  const clock = options.now ? { now: options.now } : {};
  const catalog = options.catalog ?? createServingCatalog(options);
  return {
    catalog,
    features: new FeatureServer(catalog, options.onlineStore, clock),
    embeddings: new EmbeddingServer(options.sql, catalog, {
      ...clock,
      inMemory: options.inMemorySearch === true,
      ...(options.vectorDirectory ? { vectorDirectory: options.vectorDirectory } : {}),
      ...(options.reads ? { reads: options.reads } : {}),
      logger: options.logger.child({ component: "embeddings" }),
    }),
  };
}
export { type FeatureDrift, statsDrift } from "./drift";
export { syncRedis } from "./online-sync/sync-redis";
