import type { Sql } from "../../db/database";
import { type Logger, silentLogger } from "../../log/logger";
import { connectRedis, createRedisClient } from "../../online/redis-client";
import { RedisOnlineStore } from "../../online/redis-store";
import { type SyncResult, syncOnlineStore } from "./sync";

/**
 * `rapfs materialize` with REDIS_URL: brings the Redis a server reads up to date with what was
 * just materialized, under the deployment's key prefix, over a connection of its own.
 */
export async function syncRedis(
  sql: Sql,
  options: { redisUrl: string; prefix: string; logger?: Logger },
): Promise<SyncResult[]> {
  const logger = options.logger ?? silentLogger;
  // Bulk writes of whole views: a longer command timeout than the serving path's 500 ms.
  const client = createRedisClient(options.redisUrl, logger, {
    commandTimeoutMs: 10_000,
    connectionName: "rapfs-sync",
  });
  const store = new RedisOnlineStore(client, { prefix: options.prefix });
  try {
    if (!(await connectRedis(client))) throw new Error(`Redis at ${options.redisUrl} is not reachable`);
    return await syncOnlineStore({ sql, store, logger });
  } finally {
    await store.close();
  }
}
