import type postgres from "postgres";
import type { Logger } from "../log/logger";

type Sql = postgres.Sql;

// Failures to open a connection, as opposed to losing one that was open (a lost connection is
// opened again by the pool; if the server is gone, that attempt fails with one of these).
const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "57P03",
]);

const isConnectFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECT_FAILURES.has(code);
};

/** A query refused at once because the database could not be connected to (a 503 to retry). */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  readonly code = "DATABASE_UNAVAILABLE";
}

export type DatabaseCircuitOptions = {
  /** A cheap statement on a connection of its own: it closes the circuit when it answers. */
  probe: () => Promise<unknown>;
  /** Between probes while the circuit is open (default 250 ms). */
  probeMs?: number;
  logger?: Logger;
};

/** Told when the circuit opens (false: unreachable) and closes (true). */
export type ReachabilityListener = (reachable: boolean) => void;

/**
 * A circuit on a database server. A failure to connect opens it; while it is open, queries fail
 * at once with DatabaseUnavailableError instead of queueing in the pool for a connection that
 * cannot be made (each waiting for the pool's connect timeout and backoff); a probe closes it.
 */
export class DatabaseCircuit {
  private openedAt: number | undefined;
  private cause = "";
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly probeMs: number;
  private readonly listeners: ReachabilityListener[] = [];

  constructor(private readonly options: DatabaseCircuitOptions) {
    this.probeMs = options.probeMs ?? 250;
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** `listener` hears every opening and closing from now on (readiness drops a cached answer). */
  watch(listener: ReachabilityListener): void {
    this.listeners.push(listener);
  }

  /** Called with every failed query's error: a failure to connect opens the circuit. */
  observe(error: unknown): void {
    if (this.openedAt !== undefined || this.stopped || !isConnectFailure(error)) return;
    this.openedAt = Date.now();
    this.cause = (error as Error).message;
    this.options.logger?.warn("the database cannot be reached; queries fail at once until it answers", {
      error: this.cause,
    });
    for (const listener of this.listeners) listener(false);
    this.schedule(0);
  }

  error(): DatabaseUnavailableError {
    return new DatabaseUnavailableError(`The database cannot be reached (${this.cause}).`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), delayMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await this.options.probe();
    } catch (error) {
      this.cause = (error as Error).message;
      this.schedule(this.probeMs);
      return;
    }
    const downMs = Date.now() - (this.openedAt ?? Date.now());
    this.openedAt = undefined;
    this.options.logger?.info("the database answers again", { down_ms: downMs });
    for (const listener of this.listeners) listener(true);
  }
}

/** postgres.js's query internals that the guard stands on (pinned: postgres 3.4.9). */
type Handler = ((query: PendingQuery) => unknown) & { debug?: unknown };
type PendingQuery = Promise<unknown> & { handler?: Handler; reject: (error: unknown) => void };

/**
 * `sql` whose queries go through `circuit`: refused at once while it is open, and their
 * failures observed. Fragments pass through untouched (their handler is never called).
 */
export function guardSql(sql: Sql, circuit: DatabaseCircuit): Sql {
  const guard = <T>(made: T): T => {
    const query = made as unknown as PendingQuery;
    const handler = query instanceof Promise ? query.handler : undefined;
    if (typeof handler !== "function") return made;
    const guarded: Handler = (pending) => {
      if (circuit.isOpen) return pending.reject(circuit.error());
      const reject = pending.reject;
      pending.reject = (error) => {
        circuit.observe(error);
        reject(error);
      };
      return handler(pending);
    };
    guarded.debug = handler.debug;
    query.handler = guarded;
    return made;
  };
  return new Proxy(sql, {
    apply: (target, self, args) => guard(Reflect.apply(target, self, args)),
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "unsafe" || property === "file")
        return (...args: unknown[]) => guard(Reflect.apply(value, target, args));
      if (property === "begin" || property === "reserve")
        return (...args: unknown[]) =>
          circuit.isOpen ? Promise.reject(circuit.error()) : Reflect.apply(value, target, args);
      return value;
    },
  });
}
