import calculateSlot from "cluster-key-slot";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../log/logger";

/** A standalone Redis or a Redis Cluster; every Redis user in rapfs takes either. */
export type RedisConnection = Redis | Cluster;

export type RedisClientOptions = {
  /** A command with no reply after this long fails, so a hung Redis costs a request this much at most. */
  commandTimeoutMs?: number;
  connectionName?: string;
  /** Coalesce commands issued in the same tick into one write (concurrent requests' MGETs). */
  autoPipelining?: boolean;
};

/** The connection settings rapfs varies; the rest stay ioredis defaults for Redis and Cluster alike. */
export type ConnectionSettings = Pick<
  RedisOptions,
  | "enableOfflineQueue"
  | "maxRetriesPerRequest"
  | "commandTimeout"
  | "connectTimeout"
  | "connectionName"
  | "retryStrategy"
  | "lazyConnect"
  | "enableAutoPipelining"
>;

export const CLUSTER_SCHEME = "redis+cluster://";

/** `redis+cluster://[user:pass@]host:port,host:port` → the seed nodes and credentials. */
export function parseClusterUrl(url: string): {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
} {
  const rest = url.slice(CLUSTER_SCHEME.length).replace(/\/.*$/, "");
  const at = rest.lastIndexOf("@");
  const [user, pass] = at >= 0 ? rest.slice(0, at).split(":").map(decodeURIComponent) : [];
  const nodes = (at >= 0 ? rest.slice(at + 1) : rest)
    .split(",")
    .filter((node) => node !== "")
    .map((node) => {
      const colon = node.lastIndexOf(":");
      const host = colon > 0 ? node.slice(0, colon).replace(/^\[|\]$/g, "") : node;
      return { host, port: colon > 0 ? Number(node.slice(colon + 1)) : 6379 };
    });
  if (nodes.length === 0 || nodes.some((n) => !Number.isInteger(n.port) || n.port <= 0)) {
    throw new Error(`REDIS_URL ${CLUSTER_SCHEME}… needs host:port seed nodes separated by commas`);
  }
  return { nodes, ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
}

/** Opens a client for REDIS_URL: an ioredis Cluster for `redis+cluster://`, a Redis otherwise. */
export function openRedis(url: string, settings: ConnectionSettings): RedisConnection {
  if (!url.startsWith(CLUSTER_SCHEME)) return new Redis(url, settings);
  const { nodes, username, password } = parseClusterUrl(url);
  return new Cluster(nodes, clusterOptions(settings, { username, password }));
}

/** Another connection to the same deployment with different settings (limiter, subscriber). */
export function duplicateRedis<C extends RedisConnection>(client: C, settings: ConnectionSettings): C {
  if (client instanceof Cluster) {
    return client.duplicate([], clusterOptions(settings, client.options.redisOptions)) as C;
  }
  return (client as Redis).duplicate(settings) as C;
}

function clusterOptions(settings: ConnectionSettings, base: RedisOptions = {}) {
  const { enableOfflineQueue, lazyConnect, enableAutoPipelining, retryStrategy, ...perNode } = settings;
  return {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    clusterRetryStrategy: retryStrategy ?? ((attempt: number) => Math.min(50 * 2 ** attempt, 2_000)),
    // ioredis retries a command every 100 ms for CLUSTERDOWN or a closed node connection, up to 16
    // times: measured on a 3-master cluster with one master killed, every command then took its
    // full timeout, seconds per request. Fail at once instead; the circuit breaker and the
    // fallbacks take it from there, and a failover's new master is found by the slot refresh.
    retryDelayOnClusterDown: 0,
    retryDelayOnFailover: 0,
    // Node connections follow the same fail-fast rules; the cluster reconnects them.
    redisOptions: { ...base, ...perNode },
  };
}

/**
 * A client that fails fast instead of queueing: while Redis is away, commands reject at once
 * (no offline queue, no per-request retries) so callers fall back to Postgres, and the client
 * keeps reconnecting in the background with capped backoff.
 */
export function createRedisClient(
  url: string,
  logger: Logger,
  options: RedisClientOptions = {},
): RedisConnection {
  const client = openRedis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2_000,
    connectionName: options.connectionName ?? "rapfs",
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: true,
    ...(options.autoPipelining ? { enableAutoPipelining: true } : {}),
  });
  // ioredis prints unhandled "error" events to the console; the online store logs outages itself.
  client.on("error", (error: Error) => logger.debug("redis connection error", { error: error.message }));
  return client;
}

/** Connects, resolving false instead of throwing when Redis is not there yet (reconnects continue). */
export async function connectRedis(client: RedisConnection): Promise<boolean> {
  try {
    await client.connect();
  } catch {
    return false;
  }
  // A Cluster opens a master's connection at its first command and, failing fast, refuses the
  // commands that reach it while it is still connecting: a view's shards are on every master, so
  // the first batch would. Every master is reached once here.
  if (client instanceof Cluster)
    await Promise.all(client.nodes("master").map((node) => node.ping().catch(() => undefined)));
  return true;
}

/** Unlinks every key on `node` matching a SCAN glob, a page at a time; returns how many went. */
export async function unlinkMatching(
  node: Redis,
  pattern: string,
  keep: (key: string) => boolean = () => false,
): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, found] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
    cursor = next;
    const keys = found.filter((key) => !keep(key));
    // A Cluster node refuses a multi-key command across slots (CROSSSLOT): one UNLINK per slot.
    for (const slotKeys of bySlot(keys)) removed += await node.unlink(...slotKeys);
  } while (cursor !== "0");
  return removed;
}

function bySlot(keys: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = calculateSlot(key);
    const group = groups.get(slot);
    if (group) group.push(key);
    else groups.set(slot, [key]);
  }
  return [...groups.values()];
}
