import type { Redis } from "ioredis";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import { CircuitBreaker } from "./circuit-breaker";
import { MemoryOnlineStore } from "./memory-store";
import { NearCache } from "./near-cache";
import { ReadThroughStore } from "./read-through";
import { connectRedis, createRedisClient, type RedisConnection } from "./redis-client";
import { rowKeysPrefix } from "./redis-keys";
import { RedisOnlineStore, type RedisOnlineStoreOptions } from "./redis-store";
import { trackInvalidations } from "./tracking";
import type { FallbackLoader } from "./types";

export { CircuitBreaker, CircuitOpenError } from "./circuit-breaker";
export { MemoryOnlineStore } from "./memory-store";
export { NearCache } from "./near-cache";
export { ReadThroughStore } from "./read-through";
export { connectRedis, createRedisClient } from "./redis-client";
export { InvalidViewKeyError, rowKey } from "./redis-keys";
export { RedisOnlineStore } from "./redis-store";
export {
  type FallbackLoader,
  noRows,
  type OnlineRow,
  type OnlineStore,
  type ViewRead,
  type WriteOptions,
} from "./types";

export type OnlineStoreOptions = {
  redisUrl: string | undefined;
  /** A client for REDIS_URL made by the caller (to share with the limiter); the store closes it. */
  redis?: RedisConnection | undefined;
  fallback: FallbackLoader;
  metrics: Metrics;
  logger: Logger;
  /** Redis key prefix per deployment. */
  keyPrefix?: string;
  /** The in-process store used when there is no Redis (an LRU of 50,000 rows by default). */
  memory?: MemoryOnlineStore;
  /** Reads wider than the near cache keeps, on a connection of their own (RedisOnlineStoreOptions). */
  wideReads?: RedisConnection;
  /** Rows of Redis kept in this process, invalidated by Redis (0: none; Redis Cluster: none). */
  nearCacheRows?: number;
  /** The circuits of `redis` (shared with the limiter); one of the store's own otherwise. */
  breaker?: CircuitBreaker | undefined;
  /** View versions Redis may hold older rows of (ReadThroughOptions.unsynced). */
  unsynced?: (viewKey: string) => boolean;
};

/** How stale a row served during a Redis outage can be (materializations cannot reach Redis then either). */
export const OUTAGE_CACHE_TTL_MS = 5_000;

/**
 * Redis in front of the fallback when REDIS_URL is set, an in-process LRU otherwise. A Redis
 * that is down at start is not fatal: reads use the fallback until it answers.
 */
export async function createOnlineStore(options: OnlineStoreOptions): Promise<ReadThroughStore> {
  const { metrics, fallback } = options;
  const logger = options.logger.child({ component: "online-store" });
  if (!options.redisUrl) {
    const primary = options.memory ?? new MemoryOnlineStore({ maxRows: 50_000 });
    return new ReadThroughStore({ primary, layer: "memory", fallback, metrics, logger });
  }
  const client = options.redis ?? createRedisClient(options.redisUrl, logger, { autoPipelining: true });
  const prefix = options.keyPrefix ?? "rapfs";
  const nearRows = options.nearCacheRows ?? 50_000;
  let near: RedisOnlineStoreOptions["near"];
  if (nearRows > 0 && !client.isCluster) {
    const cache = new NearCache({ maxRows: nearRows });
    const keyPrefix = rowKeysPrefix(prefix);
    const tracking = trackInvalidations({ client: client as Redis, keyPrefix, cache, logger });
    metrics.observeNearCache(cache);
    near = { cache, tracking };
  }
  const breaker = options.breaker ?? createCircuitBreaker(client, logger, metrics);
  const primary = new RedisOnlineStore(client, {
    prefix,
    breaker,
    ...(near ? { near } : {}),
    ...(options.wideReads ? { wideReads: options.wideReads } : {}),
  });
  const store = new ReadThroughStore({
    primary,
    layer: "redis",
    fallback,
    metrics,
    logger,
    // While a node is down its rows are read from Postgres once and kept here for a few seconds.
    ...(nearRows > 0 ? { outageCache: { maxRows: nearRows, ttlMs: OUTAGE_CACHE_TTL_MS } } : {}),
    ...(options.unsynced ? { unsynced: options.unsynced } : {}),
  });
  if (!(await connectRedis(client))) {
    logger.warn("Redis is not reachable at start; serving reads from the fallback until it is");
  }
  await near?.tracking.ready;
  return store;
}

/**
 * The circuits of one Redis client, reported as `rapfs_redis_circuits_open` and
 * `rapfs_online_store_up`. Up needs the client connected too: a Cluster never reached has no
 * node whose circuit could open, and an idle process sends no command that would open one.
 */
export function createCircuitBreaker(
  client: RedisConnection,
  logger: Logger,
  metrics: Metrics,
): CircuitBreaker {
  const breaker = new CircuitBreaker(client, { logger });
  metrics.observeOnlineStore({
    get up() {
      return client.status === "ready" && breaker.open.length === 0;
    },
    get circuitsOpen() {
      return breaker.open.length;
    },
  });
  return breaker;
}
