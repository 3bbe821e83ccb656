import type { Redis } from "ioredis";
import type { Logger } from "../log/logger";
import type { NearCache } from "./near-cache";

const CHANNEL = "__redis__:invalidate";

export type Tracking = {
  /** Resolves once invalidations are flowing (or the first attempt failed; the cache stays off). */
  ready: Promise<void>;
  close(): Promise<void>;
};

/**
 * Keeps `cache` coherent with Redis through server-assisted client-side caching: a connection of
 * its own asks for every change of a key under `keyPrefix` (CLIENT TRACKING in broadcasting
 * mode, so no read has to be registered) and receives the changed keys as messages. Writes,
 * deletions, expiries and evictions by any client all invalidate. Whenever that connection is
 * down the cache is off and empty; after each reconnect tracking is set up again and only then
 * is the cache turned back on.
 */
export function trackInvalidations(options: {
  client: Redis;
  /** Only keys starting with it are tracked (the online store's row keys). */
  keyPrefix: string;
  cache: NearCache;
  logger: Logger;
  connectionName?: string;
}): Tracking {
  const { cache, logger, keyPrefix } = options;
  // RESP2: invalidations then arrive as pub/sub messages, which ioredis hands over.
  const subscriber = options.client.duplicate({
    protocol: 2,
    autoResubscribe: false,
    enableOfflineQueue: true,
    lazyConnect: true,
    connectionName: options.connectionName ?? "rapfs-near-cache",
  });
  subscriber.on("error", (error: Error) =>
    logger.debug("near cache connection error", { error: error.message }),
  );
  subscriber.on("close", () => cache.disable());
  subscriber.on("messageBuffer", (channel: Buffer, keys: Buffer[] | null) => {
    if (channel.toString() !== CHANNEL) return;
    // A null list means everything changed (FLUSHDB, FLUSHALL).
    if (!Array.isArray(keys)) cache.clear();
    else cache.invalidate(keys.map((key) => key.toString()));
  });

  let closing = false;
  const setUp = async (): Promise<void> => {
    try {
      const id = await subscriber.client("ID");
      await subscriber.call("CLIENT", "TRACKING", "ON", "REDIRECT", String(id), "BCAST", "PREFIX", keyPrefix);
      await subscriber.subscribe(CHANNEL);
      cache.enable();
    } catch (error) {
      if (closing) return;
      logger.warn("near cache off: Redis refused invalidation tracking", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  let settled: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    settled = resolve;
  });
  // After every (re)connect: a new connection has no tracking and no subscription.
  subscriber.on("ready", () => void setUp().finally(settled));
  subscriber.connect().catch((error: unknown) => {
    logger.warn("near cache off until Redis answers", {
      error: error instanceof Error ? error.message : String(error),
    });
    settled();
  });

  return {
    ready,
    async close() {
      closing = true;
      cache.disable();
      subscriber.disconnect();
    },
  };
}
