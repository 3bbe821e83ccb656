import { Redis } from "ioredis";
import type { Sql } from "../db/database";
import { type Logger, silentLogger } from "../log/logger";
import { CircuitBreaker } from "../online/circuit-breaker";
import { openRedis, type RedisConnection } from "../online/redis-client";
import { AccountService } from "./accounts";
import { bootstrapAdminKey } from "./admin-key";
import type { AccessConfig } from "./config";
import { AccessGate } from "./gate";
import { createLocalInvalidationBus, createRedisInvalidationBus, type InvalidationBus } from "./invalidation";
import { KeyStore } from "./key-store";
import { LastUsedRecorder } from "./last-used";
import { LeasingLimiter } from "./leases";
import { createLimiterRedis, FlexibleLimiter, type Limiter, whenConnected } from "./limiter";
import { seedDailyWindows } from "./seed-windows";
import type { Tiers } from "./tiers";
import { UsageRecorder } from "./usage";
import { KeyVerifier } from "./verifier";

export type AccessServices = {
  config: AccessConfig;
  tiers: Tiers;
  accounts: AccountService;
  keys: KeyStore;
  verifier: KeyVerifier;
  limiter: Limiter;
  gate: AccessGate;
  usage: UsageRecorder;
  lastUsed: LastUsedRecorder;
  bus: InvalidationBus;
  /** Flushes pending usage and last-used writes, then drops this module's own connections. */
  close(): Promise<void>;
};

type AccessOptions = {
  sql: Sql;
  config: AccessConfig;
  logger?: Logger;
  flushIntervalMs?: number;
};

/** How often usage is written when in-process limits restart from it. */
export const IN_PROCESS_USAGE_FLUSH_MS = 1_000;

/**
 * Wires the access layer. With Redis it opens two connections of its own: a fail-fast one for
 * limits and publishing, and a pub/sub subscriber. RAPFS_ADMIN_KEY is provisioned here.
 */
export async function createAccessServices(
  options: AccessOptions & {
    /** A client to duplicate connections from, or else a URL (REDIS_URL); neither means in-process. */
    redis?: RedisConnection | undefined;
    redisUrl?: string | undefined;
    /**
     * A fail-fast, auto-pipelining client to use as is for limits and publishing, owned by the
     * caller: the server shares the online store's, so a lookup's limiter scripts and its read
     * leave in one write.
     */
    sharedRedis?: RedisConnection | undefined;
    /** The circuits of `sharedRedis` (the online store's); the limiter's own otherwise. */
    breaker?: CircuitBreaker | undefined;
  },
): Promise<AccessServices> {
  const redis =
    options.sharedRedis ??
    (options.redis
      ? createLimiterRedis(options.redis)
      : options.redisUrl
        ? createLimiterRedis(openRedis(options.redisUrl, { lazyConnect: true }))
        : undefined);
  if (redis) await whenConnected(redis);
  const breaker =
    options.breaker ??
    (redis ? new CircuitBreaker(redis, { logger: options.logger ?? silentLogger }) : undefined);
  const access = assemble(options, redis, options.sharedRedis === undefined, breaker);
  if (options.config.adminKey) await bootstrapAdminKey(options.sql, access.bus, options.config.adminKey);
  // In-process limits forget everything on a restart; the usage history does not.
  if (!redis) await seedDailyWindows(options.sql, access.limiter, options.config.tiers);
  return access;
}

/** In-process only (no Redis, no admin key): for a single process such as a test app. */
export function createLocalAccessServices(options: AccessOptions): AccessServices {
  return assemble(options, undefined, false, undefined);
}

function assemble(
  options: AccessOptions,
  redis: RedisConnection | undefined,
  ownsRedis: boolean,
  breaker: CircuitBreaker | undefined,
): AccessServices {
  const { sql, config } = options;
  const logger = options.logger ?? silentLogger;
  const bus = redis
    ? createRedisInvalidationBus({ redis, channel: `${config.redisPrefix}:access:invalidate`, logger })
    : createLocalInvalidationBus();
  const keys = new KeyStore(sql, bus, { logger });
  const accounts = new AccountService(sql, keys, config.tiers, bus, logger);
  const flush = { flushIntervalMs: options.flushIntervalMs, logger };
  const lastUsed = new LastUsedRecorder(sql, flush);
  // Without Redis the history is what the day's quota restarts from: a SIGKILL loses one interval.
  const usage = new UsageRecorder(sql, {
    flushIntervalMs: options.flushIntervalMs ?? (redis ? undefined : IN_PROCESS_USAGE_FLUSH_MS),
    logger,
  });
  const verifier = new KeyVerifier(keys, bus, { ttlMs: config.keyCacheTtlMs, lastUsed, logger });
  const limiter = leased(new FlexibleLimiter({ redis, breaker, prefix: config.redisPrefix }), redis, config);
  const gate = new AccessGate({
    verifier,
    limiter,
    tiers: config.tiers,
    usage,
    failedAuthPerMinute: config.failedAuthPerMinute,
  });
  return {
    config,
    tiers: config.tiers,
    accounts,
    keys,
    verifier,
    limiter,
    gate,
    usage,
    lastUsed,
    bus,
    async close() {
      verifier.close();
      await Promise.all([usage.close(), lastUsed.close(), limiter.close()]);
      await bus.close();
      if (ownsRedis) {
        breaker?.close();
        redis?.disconnect();
      }
    },
  };
}

/** Leases on a single Redis; on a Cluster the counter and its lease set could sit on two nodes. */
function leased(limiter: Limiter, redis: RedisConnection | undefined, config: AccessConfig): Limiter {
  if (!(redis instanceof Redis) || config.quotaLeaseMs === 0) return limiter;
  return new LeasingLimiter(limiter, redis, config.redisPrefix, { leaseMs: config.quotaLeaseMs });
}
