import type { AccessServices } from "../access/access-services";
import type { Config } from "../config/env";
import type { DatasetServices } from "../datasets/dataset-services";
import type { Database, Sql } from "../db/database";
import type { Freshness } from "../freshness/off";
import type { Readiness } from "../health/readiness";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import type { OnlineStore } from "../online/types";
import type { Serving } from "../serving";
import type { OnlineHealing } from "../serving/online-sync/no-healing";

/**
 * The domain services, built once by the composition root (runtime/compose.ts) and injected
 * (never imported as singletons), so tests build them over their own database, Redis prefix and
 * metrics registry. Use cases read them per call: a test may replace one on a running server.
 */
export type Services = {
  config: Config;
  logger: Logger;
  sql: Sql;
  /** Downloads, dataset cards and training data: connections that wait behind interactive work. */
  bulkSql: Sql;
  /** The database `sql` and `bulkSql` belong to: embedded (its readers' turns, a bulk load from a blob) or a server. */
  database: Database;
  /** Read-through online store: Redis or the in-process LRU, falling back to Postgres. */
  onlineStore: OnlineStore;
  metrics: Metrics;
  readiness: Readiness;
  /** Feature and embedding lookups over the cached registry catalog. */
  serving: Serving;
  /** API keys, accounts, scopes and quotas. */
  access: AccessServices;
  /** Download spool, charges and dataset cards. */
  datasets: DatasetServices;
  /** With Redis: keeps it holding every servable view version (syncs at start, heals lost keys); NO_HEALING without. */
  onlineHealer: OnlineHealing;
  /** Materializes views as their sources change, within each one's freshness objective; FRESHNESS_OFF with RAPFS_FRESHNESS=off. */
  freshness: Freshness;
};
