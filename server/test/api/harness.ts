import { createLocalAccessServices } from "../../src/access/access-services";
import { loadAccessConfig } from "../../src/access/config";
import type { Tiers } from "../../src/access/tiers";
import { type CreateAppOptions, createApp } from "../../src/api/app";
import type { App } from "../../src/api/env";
import { type Config, loadConfig } from "../../src/config/env";
import { loadDatasetConfig } from "../../src/datasets/config";
import { createDatasetServices, type DatasetServices } from "../../src/datasets/dataset-services";
import type { Database } from "../../src/db/database";
import { IN_MEMORY } from "../../src/db/embedded";
import { FRESHNESS_OFF } from "../../src/freshness/off";
import { Readiness } from "../../src/health/readiness";
import { createLogger } from "../../src/log/logger";
import { createMetrics, type Metrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { ReadThroughStore } from "../../src/online/read-through";
import { type FallbackLoader, noRows } from "../../src/online/types";
import { httpDependencies } from "../../src/runtime/compose";
import { createServing } from "../../src/serving";
import { NO_HEALING } from "../../src/serving/online-sync/no-healing";
import type { Services } from "../../src/usecases";

export const testConfig = (): Config => ({ ...loadConfig({ LOG_LEVEL: "silent" }), dataDir: IN_MEMORY });

export type LogLine = { level: string; msg: string } & Record<string, unknown>;

/** A logger that keeps its JSON lines for assertions. */
export function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger("debug", {}, (line) => lines.push(JSON.parse(line) as LogLine));
  return { logger, lines, raw: () => lines.map((l) => JSON.stringify(l)).join("\n") };
}

export type TestApp = { app: App; services: Services; logs: LogLine[]; rawLogs: () => string };

/**
 * An app over a real database (embedded PGlite from the caller), an in-process online store
 * and a private metrics registry. Readiness starts with the database check only.
 */
export function createTestApp(
  database: Database,
  options: CreateAppOptions & {
    fallback?: FallbackLoader;
    /** The app's dataset services, or how to make them with its metrics and tiers (their pace). */
    datasets?: DatasetServices | ((app: { metrics: Metrics; tiers: Tiers }) => DatasetServices);
    /** The access environment (RAPFS_TIERS, …); default tiers without it. */
    accessEnv?: NodeJS.ProcessEnv;
  } = {},
): TestApp {
  const { logger, lines, raw } = capturingLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const onlineStore = new ReadThroughStore({
    primary: new MemoryOnlineStore({ maxRows: 1_000 }),
    layer: "memory",
    fallback: options.fallback ?? noRows,
    metrics,
    logger,
  });
  const readiness = new Readiness({ timeoutMs: 1_000 }).register({
    name: "database",
    check: async () => {
      await database.sql`select 1`;
    },
  });
  const accessConfig = loadAccessConfig(options.accessEnv ?? {});
  const datasets =
    typeof options.datasets === "function"
      ? options.datasets({ metrics, tiers: accessConfig.tiers })
      : (options.datasets ?? createDatasetServices({ config: loadDatasetConfig({}) }));
  const services: Services = {
    config: testConfig(),
    logger,
    sql: database.sql,
    bulkSql: database.bulk,
    onlineStore,
    metrics,
    readiness,
    serving: createServing({ sql: database.sql, onlineStore, logger }),
    // In-process limits, default tiers; /v1 requests need a key (see test/access/support.ts).
    access: createLocalAccessServices({ sql: database.sql, config: accessConfig, logger }),
    datasets,
    database,
    onlineHealer: NO_HEALING,
    freshness: FRESHNESS_OFF,
  };
  return { app: createApp(httpDependencies(services), options), services, logs: lines, rawLogs: raw };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
