import postgres from "postgres";
import type { Logger } from "../log/logger";
import { isConnectionError } from "./connection-errors";
import type { Sql } from "./database";

export type ReadRouter = {
  /** A Sql for read-only work: the replica while it answers, the primary otherwise. */
  sql: Sql;
  /** Runs a read on the replica, and again on the primary if the replica fails to connect. */
  run<T>(read: (sql: Sql) => Promise<T>): Promise<T>;
  /** Whether reads go to the replica right now (false without DATABASE_REPLICA_URL). */
  readonly onReplica: boolean;
  /** Whether DATABASE_REPLICA_URL is set: then `onReplica` false means the replica is down. */
  readonly hasReplica: boolean;
  /** Why the replica was last found down, while it is. */
  readonly replicaError: string | undefined;
  close(): Promise<void>;
};

export type ReadRouterOptions = {
  primary: Sql;
  replicaUrl?: string | undefined;
  logger?: Logger;
  maxConnections?: number;
  /** A replica that failed is asked again after this long (a background probe). */
  probeIntervalMs?: number;
};

/**
 * DATABASE_REPLICA_URL: read-only paths use a pool of their own (application_name
 * rapfs-replica) on the replica, with the primary as the fallback while the replica is down.
 */
export async function openReadRouter(options: ReadRouterOptions): Promise<ReadRouter> {
  const { primary } = options;
  if (!options.replicaUrl) {
    return {
      sql: primary,
      run: (read) => read(primary),
      onReplica: false,
      hasReplica: false,
      replicaError: undefined,
      close: async () => {},
    };
  }
  const replica = postgres(options.replicaUrl, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 2,
    connection: { application_name: "rapfs-replica" },
  });
  // Unknown until the first probe, so the first answer is logged whichever it is.
  let healthy: boolean | undefined;
  let lastError: string | undefined;
  let probing: Promise<void> | undefined;
  const probe = () => {
    probing ??= replica`select 1`.then(
      () => {
        if (healthy !== true) options.logger?.info("reads go to the replica");
        healthy = true;
        lastError = undefined;
      },
      (error: Error) => markDown(error),
    );
    return probing.finally(() => {
      probing = undefined;
    });
  };
  const markDown = (error: Error) => {
    if (healthy !== false)
      options.logger?.warn("replica unreachable; reads go to the primary until it answers", {
        error: error.message,
      });
    healthy = false;
    lastError = error.message;
  };
  await probe();
  const timer = setInterval(() => void probe(), options.probeIntervalMs ?? 2_000);
  timer.unref();
  const pick = () => (healthy ? replica : primary);
  const routed = new Proxy(primary, {
    apply: (_target, thisArg, args) => Reflect.apply(pick(), thisArg, args),
    get: (_target, property) => {
      const value = Reflect.get(pick(), property);
      return typeof value === "function" ? value.bind(pick()) : value;
    },
  });
  return {
    sql: routed,
    async run(read) {
      if (!healthy) return read(primary);
      try {
        return await read(replica);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        markDown(error as Error);
        return read(primary);
      }
    },
    get onReplica() {
      return healthy === true;
    },
    hasReplica: true,
    get replicaError() {
      return lastError;
    },
    async close() {
      clearInterval(timer);
      await replica.end({ timeout: 5 });
    },
  };
}
