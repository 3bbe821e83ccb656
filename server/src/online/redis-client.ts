import { Redis } from "ioredis";
import type { Logger } from "../log/logger";

export type RedisClientOptions = {
  /** A command with no reply after this long fails, so a hung Redis costs a request this much at most. */
  commandTimeoutMs?: number;
  connectionName?: string;
};

/**
 * A client that fails fast instead of queueing: while Redis is away, commands reject at once
 * (no offline queue, no per-request retries) so callers fall back to Postgres, and the client
 * keeps reconnecting in the background with capped backoff.
 */
export function createRedisClient(url: string, logger: Logger, options: RedisClientOptions = {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2_000,
    connectionName: options.connectionName ?? "rapfs",
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: true,
  });
  // ioredis prints unhandled "error" events to the console; the online store logs outages itself.
  client.on("error", (error: Error) => logger.debug("redis connection error", { error: error.message }));
  return client;
}

/** Connects, resolving false instead of throwing when Redis is not there yet (reconnects continue). */
export async function connectRedis(client: Redis): Promise<boolean> {
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  }
}
