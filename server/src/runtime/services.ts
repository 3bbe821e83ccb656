import type { AccessConfig } from "../access/config";
import { observeAccess } from "../access/observe";
import { createAccessServices } from "../access/services";
import type { Services } from "../api/env";
import type { Config } from "../config/env";
import type { Database, Sql } from "../db/database";
import type { Logger } from "../log/logger";
import { createMetrics, type Metrics } from "../metrics/registry";
import { createOnlineStore, createRedisClient } from "../online";
import type { FallbackLoader } from "../online/types";
import { createServing } from "../serving";
import { Readiness } from "./readiness";

export type BuildServicesOptions = {
  config: Config;
  logger: Logger;
  database: Database;
  /** What the online store loads misses from; late-bound by the runtime once views are loaded. */
  fallback: FallbackLoader;
  metrics?: Metrics;
  /** Redis key prefix; tests use one per run. */
  keyPrefix?: string;
  /** Tiers, admin key, metrics token (loadAccessConfig); its redisPrefix gives way to keyPrefix. */
  accessConfig: AccessConfig;
  /** Where read-only serving queries go (DATABASE_REPLICA_URL); the primary by default. */
  readSql?: Sql;
};

export type BuiltServices = { services: Services; close(): Promise<void> };

/** Connects the services the API stands on and registers their readiness checks. */
export async function buildServices(options: BuildServicesOptions): Promise<BuiltServices> {
  const { config, logger, database } = options;
  const metrics = options.metrics ?? createMetrics();
  // One client for online reads and limits: a lookup's MGET and limiter scripts share a write.
  const redis = config.redisUrl
    ? createRedisClient(config.redisUrl, logger.child({ component: "redis" }), { autoPipelining: true })
    : undefined;
  const onlineStore = await createOnlineStore({
    redisUrl: config.redisUrl,
    redis,
    nearCacheRows: config.nearCacheRows,
    fallback: options.fallback,
    metrics,
    logger,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  });
  const readiness = new Readiness();
  readiness.register({
    name: "database",
    check: async () => {
      await database.sql`select 1`;
    },
  });
  if (config.redisUrl) {
    readiness.register({ name: "redis", critical: false, check: () => onlineStore.ping() });
  }
  const serving = createServing({
    sql: options.readSql ?? database.sql,
    onlineStore,
    logger,
    metrics,
    inMemorySearch: database.mode === "embedded",
  });
  // Provisions RAPFS_ADMIN_KEY (hashed) before the first request can use it.
  const access = await createAccessServices({
    sql: database.sql,
    redisUrl: config.redisUrl,
    sharedRedis: redis,
    config: { ...options.accessConfig, redisPrefix: options.keyPrefix ?? options.accessConfig.redisPrefix },
    logger,
  }).catch(async (error: unknown) => {
    await onlineStore.close();
    throw error;
  });
  observeAccess(access, metrics, readiness);
  const services: Services = {
    config,
    logger,
    sql: database.sql,
    onlineStore,
    metrics,
    readiness,
    serving,
    access,
  };
  return {
    services,
    async close() {
      await access.close();
      await onlineStore.close();
    },
  };
}
