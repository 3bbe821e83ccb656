import { join } from "node:path";
import { createAccessServices } from "../access/access-services";
import type { AccessConfig } from "../access/config";
import { observeAccess } from "../access/observe";
import { sendRateOf, type Tiers } from "../access/tiers";
import type { Config } from "../config/env";
import { IN_MEMORY } from "../config/paths";
import { type DatasetConfig, loadDatasetConfig } from "../datasets/config";
import { createDatasetServices } from "../datasets/dataset-services";
import { RedisChargeLedger } from "../datasets/delivery/charge";
import type { SendPaceOptions } from "../datasets/delivery/send-pace";
import { warmPublicCards } from "../datasets/warm-cards";
import type { Database } from "../db/database";
import type { ReadRouter } from "../db/replica";
import { type FollowRunsDeps, followRuns } from "../freshness/follow-runs";
import { FRESHNESS_OFF } from "../freshness/off";
import { FreshnessScheduler, type SourceFollower } from "../freshness/scheduler";
import { Readiness, type ReadinessCheck } from "../health/readiness";
import type { Logger } from "../log/logger";
import { StatsFollower } from "../materialize/stats-follower";
import { createMetrics, type Metrics } from "../metrics/registry";
import {
  type CircuitBreaker,
  createCircuitBreaker,
  createOnlineStore,
  MemoryOnlineStore,
  RedisOnlineStore,
} from "../online";
import type { RedisConnection } from "../online/redis-client";
import { SyncLocks } from "../online/sync-lock";
import { createPostgresFallback, createServing, createServingCatalog } from "../serving";
import { InProcessViews } from "../serving/online-sync/in-process";
import { NO_HEALING } from "../serving/online-sync/no-healing";
import { OnlineStoreHealer } from "../serving/online-sync/online-healer";
import { UnsyncedViews } from "../serving/online-sync/unsynced-views";
import { createUseCases, type Services, type UseCases } from "../usecases";
import { type DatabaseProfile, profileOf } from "./database-profile";
import { openRedisClients } from "./redis-clients";

export type BuildServicesOptions = {
  config: Config;
  logger: Logger;
  database: Database;
  metrics?: Metrics;
  /** Redis key prefix; tests use one per run. */
  keyPrefix?: string;
  /** Tiers, admin key, metrics token (loadAccessConfig); its redisPrefix gives way to keyPrefix. */
  accessConfig: AccessConfig;
  /** Where read-only serving queries and online-store misses go (DATABASE_REPLICA_URL or the primary). */
  reads: ReadRouter;
  /** Downloads' limits and spool (loadDatasetConfig of the environment by default). */
  datasetConfig?: DatasetConfig;
};

/**
 * A `select 1` queued behind a Redis refill's reads under load (a PGlite shared over the wire,
 * or a saturated pool) answered after the 2 s timeout and took every process out of the load
 * balancer for 1–2 s. A database that answered this recently is busy; longer, it is down.
 */
const DATABASE_SLOW_GRACE_MS = 30_000;

/** The critical `database` readiness check: the database answers, or is busy answering others. */
export function databaseCheck(database: Pick<DatabaseProfile, "probe">): ReadinessCheck {
  return { name: "database", slowGraceMs: DATABASE_SLOW_GRACE_MS, check: () => database.probe() };
}

export type BuiltServices = { services: Services; useCases: UseCases; close(): Promise<void> };

/**
 * The composition root: connects every service the use cases stand on (online store, serving,
 * access, datasets), registers their readiness checks, and binds the use cases to them.
 */
export async function buildServices(options: BuildServicesOptions): Promise<BuiltServices> {
  const { config, logger, database } = options;
  const profile = profileOf(database);
  const metrics = options.metrics ?? createMetrics();
  const clients = config.redisUrl ? openRedisClients(config.redisUrl, logger) : undefined;
  // A start refused (a spool directory that cannot be made, access services that cannot start)
  // leaves no connection reconnecting behind it.
  const refused = async (error: unknown): Promise<never> => {
    await clients?.close();
    throw error;
  };
  const chargesPrefix = options.keyPrefix ?? options.accessConfig.redisPrefix;
  let datasets: ReturnType<typeof createDatasetServices>;
  try {
    datasets = createDatasetServices({
      config: options.datasetConfig ?? loadDatasetConfig(process.env),
      ...(clients ? { ledger: new RedisChargeLedger(clients.charges, chargesPrefix) } : {}),
      logger,
      ...profile.datasets,
      pace: tierPace(options.accessConfig.tiers, metrics),
    });
  } catch (error) {
    return refused(error);
  }
  // One client for online reads and limits: a lookup's MGET and limiter scripts share a write.
  const redis = clients?.shared;
  // Its circuits are shared too: a node that stopped answering is skipped by reads and limits alike.
  const breaker = redis
    ? createCircuitBreaker(redis, logger.child({ component: "redis" }), metrics)
    : undefined;
  const catalog = createServingCatalog({ sql: options.reads.sql, logger, metrics });
  // Without Redis: the views held whole in the process, and an LRU of the rest.
  const memory = redis ? undefined : new MemoryOnlineStore({ maxRows: Math.max(1, config.nearCacheRows) });
  const readiness = new Readiness();
  const unsynced = clients
    ? new UnsyncedViews(logger.child({ component: "online-sync" }), () => readiness.invalidate())
    : undefined;
  if (unsynced) metrics.observeUnsyncedViews(unsynced);
  const onlineStore = await createOnlineStore({
    redisUrl: config.redisUrl,
    redis,
    ...(clients ? { wideReads: clients.wideReads } : {}),
    breaker,
    nearCacheRows: config.nearCacheRows,
    ...(memory ? { memory } : {}),
    fallback: createPostgresFallback(catalog, options.reads, profile.wideReads),
    metrics,
    logger,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
    ...(unsynced ? { unsynced: (viewKey: string) => unsynced.has(viewKey) } : {}),
  });
  readiness.register(databaseCheck(profile));
  // A report cached a moment before the database went away must not answer for it.
  metrics.databaseUp.set(1);
  profile.watchReachability((reachable) => {
    readiness.invalidate();
    metrics.databaseUp.set(reachable ? 1 : 0);
  });
  // Non-critical: only downloads need the spool. A full or unwritable one on every replica (the
  // same heavy downloads reach them all) must not take the lookups out of the load balancer too.
  readiness.register({
    name: "spool",
    critical: false,
    check: () =>
      datasets.spool.check().catch((error: Error) => {
        throw new Error(`${error.message}; new downloads are refused until it takes files again`);
      }),
  });
  profile.observe(metrics);
  if (options.reads.hasReplica) {
    const { reads } = options;
    metrics.observeReplica(reads);
    readiness.register({
      name: "replica",
      critical: false,
      check: async () => {
        if (!reads.onReplica)
          throw new Error(`${reads.replicaError ?? "the replica does not answer"}; reads go to the primary`);
      },
    });
  }
  if (config.redisUrl) {
    readiness.register({
      name: "redis",
      critical: false,
      // Each master through its circuit: an open one fails at once, with no waiting.
      check: async () => {
        await onlineStore.ping().catch((error: Error) => {
          throw new Error(`${error.message}; its reads come from Postgres until it answers`);
        });
        const failing = unsynced?.describe() ?? [];
        if (failing.length > 0)
          throw new Error(
            `Redis did not take the latest rows of ${failing.join("; ")}; those views are read from Postgres until a sync succeeds`,
          );
      },
    });
  }
  const serving = createServing({
    sql: options.reads.sql,
    reads: options.reads,
    catalog,
    onlineStore,
    logger,
    metrics,
    inMemorySearch: profile.search.inMemory,
    ...(profile.search.inMemory && config.dataDir !== IN_MEMORY
      ? { vectorDirectory: join(config.dataDir, "vectors") }
      : {}),
  });
  // Provisions RAPFS_ADMIN_KEY (hashed) before the first request can use it.
  const access = await createAccessServices({
    sql: database.sql,
    redisUrl: config.redisUrl,
    sharedRedis: redis,
    breaker,
    config: { ...options.accessConfig, redisPrefix: options.keyPrefix ?? options.accessConfig.redisPrefix },
    logger,
  }).catch(async (error: unknown) => {
    await onlineStore.close();
    return refused(error);
  });
  observeAccess(access, metrics, readiness);
  const healer = clients
    ? createHealer(options, clients.sync, onlineStore, breaker as CircuitBreaker, metrics, unsynced)
    : memory && config.memoryRows > 0
      ? holdViews(options, memory, metrics, readiness)
      : undefined;
  // Bulk connections: on the embedded database every other connection goes before its slices.
  const statistics = config.freshness.enabled
    ? new StatsFollower({ sql: database.bulk, logger: logger.child({ component: "statistics" }) })
    : undefined;
  const freshness = config.freshness.enabled
    ? createFreshness(options, serving.embeddings, {
        metrics,
        onlineStore,
        ...(statistics ? { statistics } : {}),
        refreshCatalog: () => catalog.refresh(),
        ...(healer ? { healer } : {}),
        warmCards: () =>
          warmPublicCards({ sql: database.sql, bulkSql: database.bulk, catalog, datasets }).catch(
            (error: Error) =>
              logger.warn("could not refresh the public datasets' cards", { error: error.message }),
          ),
      })
    : undefined;
  const services: Services = {
    config,
    logger,
    sql: database.sql,
    bulkSql: database.bulk,
    database,
    onlineStore,
    metrics,
    readiness,
    serving,
    access,
    datasets,
    onlineHealer: healer ?? NO_HEALING,
    freshness: freshness ?? FRESHNESS_OFF,
  };
  return {
    services,
    useCases: createUseCases(services),
    async close() {
      await freshness?.stop();
      await statistics?.stop();
      await datasets.close();
      await healer?.stop();
      await access.close();
      await onlineStore.close();
      await clients?.close();
    },
  };
}

/**
 * The online store's healer: markers read through the serving store, bulk writes on a
 * connection of their own (a longer timeout, and lookups never queue behind a sync).
 */
function createHealer(
  options: BuildServicesOptions,
  client: RedisConnection,
  markers: Services["onlineStore"],
  breaker: CircuitBreaker,
  metrics: Metrics,
  unsynced: UnsyncedViews | undefined,
): OnlineStoreHealer {
  const { config, logger, database } = options;
  // The online store's prefix (createOnlineStore's default without one).
  const prefix = options.keyPrefix ?? "rapfs";
  return new OnlineStoreHealer({
    sql: database.sql,
    markers,
    writer: new RedisOnlineStore(client, { prefix, breaker }),
    locks: new SyncLocks(client, prefix),
    logger: logger.child({ component: "online-sync" }),
    metrics,
    intervalMs: config.onlineCheckMs,
    ...(unsynced ? { unsynced } : {}),
  });
}

/**
 * Without Redis: the views that fit RAPFS_MEMORY_ROWS held in this process, copied in the
 * background from the start on; /ready is degraded (not failing) until the first copy is done.
 */
function holdViews(
  options: BuildServicesOptions,
  store: MemoryOnlineStore,
  metrics: Metrics,
  readiness: Readiness,
): InProcessViews {
  const { config, logger, database } = options;
  const views = new InProcessViews({
    sql: database.bulk,
    store,
    maxRows: config.memoryRows,
    logger: logger.child({ component: "online-memory" }),
    metrics,
    intervalMs: config.onlineCheckMs,
  });
  readiness.register({
    name: "online-memory",
    critical: false,
    check: async () => {
      if (views.started && !views.copied)
        throw new Error("copying the feature views into memory: until then lookups read the database");
    },
  });
  return views;
}

/**
 * Change-driven materialization (started by prepareData once the data is ready). A server
 * hears source changes by LISTEN on a connection of its own; the embedded PGlite, which only
 * this process writes, is polled.
 */
function createFreshness(
  options: BuildServicesOptions,
  sources: SourceFollower,
  follow: FollowRunsDeps,
): FreshnessScheduler {
  const { config, logger, database } = options;
  const scheduler = new FreshnessScheduler({
    sql: database.sql,
    logger: logger.child({ component: "freshness" }),
    defaultObjectiveSeconds: config.freshness.defaultObjectiveSeconds,
    pollMs: config.freshness.pollMs,
    ...profileOf(database).freshness,
    afterRuns: followRuns(follow),
    ...(follow.statistics
      ? { afterStart: () => follow.statistics?.followUncounted() ?? Promise.resolve() }
      : {}),
    sources,
  });
  follow.metrics.observeFreshness(scheduler);
  return scheduler;
}

/** What the HTTP layer is given over `services`: their use cases, logger and metrics. */
export const httpDependencies = (services: Services) => ({
  useCases: createUseCases(services),
  logger: services.logger,
  metrics: services.metrics,
});

/** Each tier's download pace as configured (RAPFS_TIERS), its waits counted in `metrics`. */
export function tierPace(tiers: Tiers, metrics: Pick<Metrics, "downloadPacedSeconds">): SendPaceOptions {
  return {
    rateOf: (tier) => sendRateOf(tiers, tier),
    onWait: (tier, seconds) => metrics.downloadPacedSeconds.inc({ tier }, seconds),
  };
}
