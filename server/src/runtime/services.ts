import type { Services } from "../api/env";
import type { Config } from "../config/env";
import type { Database } from "../db/database";
import type { Logger } from "../log/logger";
import { createMetrics, type Metrics } from "../metrics/registry";
import { createOnlineStore } from "../online";
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
};

export type BuiltServices = { services: Services; close(): Promise<void> };

/** Connects the services the API stands on and registers their readiness checks. */
export async function buildServices(options: BuildServicesOptions): Promise<BuiltServices> {
  const { config, logger, database } = options;
  const metrics = options.metrics ?? createMetrics();
  const onlineStore = await createOnlineStore({
    redisUrl: config.redisUrl,
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
  const serving = createServing({ sql: database.sql, onlineStore, logger, metrics });
  const services: Services = { config, logger, sql: database.sql, onlineStore, metrics, readiness, serving };
  return {
    services,
    async close() {
      await onlineStore.close();
    },
  };
}
