import type { Logger } from "../log/logger";
import { connectRedis, createRedisClient } from "../online";
import type { RedisConnection } from "../online/redis-client";

/**
 * Every Redis client the server opens, each tuned to its work. Subscribers (key invalidation,
 * client-side tracking) are duplicates of `shared`, made where they subscribe.
 */
export type RedisClients = {
  /** Online reads and the limiter: auto-pipelined, so a lookup's read and spend leave in one write. */
  shared: RedisConnection;
  /** Online reads wider than the near cache keeps: their megabytes of replies never ahead of a lookup's. */
  wideReads: RedisConnection;
  /** The online store's healer: bulk writes with a long timeout, so lookups never queue behind a sync. */
  sync: RedisConnection;
  /** The download charge ledger: fail fast, so an outage never queues downloads behind reconnects. */
  charges: RedisConnection;
  close(): Promise<void>;
};

export function openRedisClients(url: string, logger: Logger): RedisClients {
  const shared = createRedisClient(url, logger.child({ component: "redis" }), { autoPipelining: true });
  const wideReads = createRedisClient(url, logger.child({ component: "redis-wide-reads" }), {
    connectionName: "rapfs-wide-reads",
  });
  const sync = createRedisClient(url, logger.child({ component: "online-sync" }), {
    commandTimeoutMs: 10_000,
    connectionName: "rapfs-sync",
  });
  const charges = createRedisClient(url, logger.child({ component: "download-charges" }), {
    commandTimeoutMs: 250,
    connectionName: "rapfs-charges",
  });
  const connecting = Promise.all([connectRedis(wideReads), connectRedis(sync), connectRedis(charges)]);
  return {
    shared,
    wideReads,
    sync,
    charges,
    async close() {
      await connecting.catch(() => {});
      wideReads.disconnect();
      sync.disconnect();
      charges.disconnect();
    },
  };
}
