import { randomUUID } from "node:crypto";
import { type Logger, silentLogger } from "../log/logger";
import { duplicateRedis, type RedisConnection } from "../online/redis-client";

/** A change that makes cached verifications stale: one key, every key of an account, or all. */
export type Invalidation = { kind: "key"; id: string } | { kind: "account"; id: string } | { kind: "all" };
export type InvalidationListener = (event: Invalidation) => void;

export interface InvalidationBus {
  /** Reaches this process's listeners at once and other processes' within a Redis round trip. */
  publish(event: Invalidation): Promise<void>;
  subscribe(listener: InvalidationListener): () => void;
  /** Resolves once events from other processes are being received. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

class Listeners {
  private readonly set = new Set<InvalidationListener>();
  add(listener: InvalidationListener): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(event: Invalidation): void {
    for (const listener of this.set) listener(event);
  }
}

/** Single process (no REDIS_URL): nothing else can hold a stale cache. */
export function createLocalInvalidationBus(): InvalidationBus {
  const listeners = new Listeners();
  return {
    async publish(event) {
      listeners.emit(event);
    },
    subscribe: (listener) => listeners.add(listener),
    ready: async () => {},
    close: async () => {},
  };
}

function parse(message: string): { origin: string; event: Invalidation } | null {
  try {
    const value = JSON.parse(message) as { origin?: unknown; event?: { kind?: unknown; id?: unknown } };
    const { origin, event } = value;
    if (typeof origin !== "string" || !event) return null;
    if (event.kind === "all") return { origin, event: { kind: "all" } };
    if ((event.kind === "key" || event.kind === "account") && typeof event.id === "string") {
      return { origin, event: { kind: event.kind, id: event.id } };
    }
  } catch {}
  return null;
}

/**
 * Redis pub/sub on one channel per deployment, published through `redis` and received on a
 * dedicated subscriber connection duplicated from it.
 */
export function createRedisInvalidationBus(options: {
  redis: RedisConnection;
  channel: string;
  logger?: Logger;
}): InvalidationBus {
  const { redis, channel } = options;
  const logger = options.logger ?? silentLogger;
  const origin = randomUUID();
  const listeners = new Listeners();
  const subscriber = duplicateRedis(redis, {
    lazyConnect: false,
    enableOfflineQueue: true,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
  });
  let subscribedOnce = false;
  let markSubscribed: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => {
    markSubscribed = resolve;
  });
  // Subscribe on every (re)connect, including one that only succeeds after a failed start.
  subscriber.on("ready", () => {
    subscriber.subscribe(channel).then(
      () => {
        // Events published while disconnected are lost, so a reconnect flushes everything;
        // only after subscribing again, so none slips between the two.
        if (subscribedOnce) listeners.emit({ kind: "all" });
        subscribedOnce = true;
        markSubscribed();
      },
      (error: Error) => logger.warn("access invalidation: subscribe failed", { error: error.message }),
    );
  });
  subscriber.on("error", () => {});
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const parsed = parse(message);
    if (parsed && parsed.origin !== origin) listeners.emit(parsed.event);
  });

  return {
    async publish(event) {
      listeners.emit(event);
      try {
        await redis.publish(channel, JSON.stringify({ origin, event }));
      } catch (error) {
        // The change is already committed; other processes fall back to their cache TTL.
        logger.warn("access invalidation: publish failed", { error: (error as Error).message });
      }
    },
    subscribe: (listener) => listeners.add(listener),
    ready: () => subscribed,
    async close() {
      subscriber.disconnect();
    },
  };
}
