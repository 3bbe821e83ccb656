import postgres from "postgres";
import type { Logger } from "../log/logger";
import { emptyHoldStats } from "./backend-holds";
import { DatabaseCircuit, guardSql, type ReachabilityListener } from "./circuit";
import { isConnectionError } from "./connection-errors";
import { type BackendHolds, startEmbeddedPostgres } from "./embedded";
import { TableGate } from "./table-gate";

export type Sql = postgres.Sql;

/**
 * Values for a statement's $n placeholders, as `sql.unsafe` takes them. Our statements cast each
 * placeholder explicitly, so any value postgres.js can send will do: typed once, here.
 */
export type SqlParams = postgres.ParameterOrJSON<never>[];
export const sqlParams = (values: readonly unknown[]): SqlParams => values as SqlParams;

type DatabaseBase = {
  /** Interactive and maintenance work. */
  sql: Sql;
  /**
   * Bulk reads (downloads, dataset cards, training data) on connections of their own
   * (application_name rapfs-bulk): on a server a pool that cannot take the interactive one's
   * connections, with its own statement timeout; embedded, the backend goes to every other
   * connection first.
   */
  bulk: Sql;
  close(): Promise<void>;
};

/** A PostgreSQL server at DATABASE_URL, behind one circuit for both pools. */
export type ServerDatabase = DatabaseBase & {
  mode: "server";
  /**
   * `select 1` on a connection of its own (never queued behind the pools' work), refused at once
   * while the circuit is open: whether the server answers.
   */
  ping(): Promise<void>;
  /** Hears the server become unreachable (false) and reachable again (true). */
  watchReachability(listener: ReachabilityListener): void;
};

/** PGlite, in this process (or, attached, another's through its pooler): one backend, taken in turns. */
export type EmbeddedDatabase = DatabaseBase & {
  mode: "embedded";
  /** Whether PGlite is working right now (a long statement is busy, not down). */
  busy(withinMs: number): boolean;
  /** The turns of sliced readers (downloads, cards) and the materialization runs of the tables they read, in this process. */
  gate: TableGate;
  /** How long connections held the one backend, per work class, since the last reset. */
  holds(options: { reset: boolean }): Promise<BackendHolds>;
  /** The owner's only (absent when attached): `COPY … FROM '/dev/blob'` inside a transaction open on `sql` (a bulk load). */
  copyFromBlob?(statement: string, data: Uint8Array): Promise<void>;
  /** The owner's only (absent when attached): the data directory as a tarball, for `loadDataDir`. */
  dumpDataDir?(): Promise<Blob>;
};

export type Database = ServerDatabase | EmbeddedDatabase;

export class DatabaseSetupError extends Error {
  override name = "DatabaseSetupError";
}

export type OpenDatabaseOptions = {
  databaseUrl?: string | undefined;
  dataDir: string;
  embeddedPort?: number;
  /** Server mode refuses a PostgreSQL without pgvector unless this is false. */
  requireVector?: boolean;
  maxConnections?: number;
  /** Server only: the bulk pool's size and statement timeout (RAPFS_BULK_CONNECTIONS, …). */
  bulkConnections?: number;
  bulkStatementTimeoutMs?: number;
  /** Embedded only: start from this data directory tarball (`dumpDataDir`), e.g. a test fixture. */
  loadDataDir?: Blob;
  logger?: Logger;
  /** Server only: how long a start keeps retrying its first connection (default 60 s; 0: once). */
  connectWaitMs?: number;
};

type ConnectOptions = Pick<
  postgres.Options<Record<string, never>>,
  "connect_timeout" | "backoff" | "idle_timeout"
>;

function connect(
  url: string,
  max: number,
  connection: Record<string, string | number> = {},
  options: ConnectOptions = {},
): Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    connection: { application_name: "rapfs", ...connection },
    ...options,
  });
}

/**
 * A server that stops must cost a request a fast 503, and its return a short wait. postgres.js's
 * defaults wait 30 s for a connection and, after a few refused ones, 10–20 s before the next
 * attempt, with every query given to that connection waiting as long: a stopped PostgreSQL hung
 * requests for 15 s and failed them for 9 s after it was back (#27, item 2).
 */
const SERVER_CONNECT_OPTIONS: ConnectOptions = {
  connect_timeout: 2,
  backoff: (retries) => Math.min(0.05 * 2 ** retries, 0.4) * (0.5 + Math.random() / 2),
};

export const BULK_APPLICATION_NAME = "rapfs-bulk";

/** Opens the database: a server from DATABASE_URL, or the embedded PGlite in the data directory. */
/**
 * A start waits for its database (a server restarting, a pod scheduled before PostgreSQL),
 * retrying with backoff and saying so, instead of exiting on the first refused connection.
 */
async function firstConnection(ping: () => Promise<unknown>, waitMs: number, logger?: Logger): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await ping();
      return;
    } catch (error) {
      // A server that answered (no pgvector, a refused password) was reached: no retry helps.
      if (!isConnectionError(error))
        throw new DatabaseSetupError(
          `The database at DATABASE_URL cannot be used: ${(error as Error).message}`,
        );
      if (Date.now() + delay > deadline) {
        const waited = waitMs > 0 ? ` (retried for ${Math.round(waitMs / 1000)} s)` : "";
        throw new DatabaseSetupError(
          `Cannot reach the database at DATABASE_URL${waited}: ${(error as Error).message}`,
        );
      }
      logger?.warn("database not reachable yet; retrying", {
        error: (error as Error).message,
        retry_in_ms: delay,
        gives_up_in_ms: deadline - Date.now(),
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function openDatabase(
  options: OpenDatabaseOptions & { databaseUrl: string },
): Promise<ServerDatabase>;
export async function openDatabase(
  options: OpenDatabaseOptions & { databaseUrl?: undefined },
): Promise<EmbeddedDatabase>;
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database>;
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    // One circuit for both pools (one server), probed on a connection of its own.
    const probe = connect(
      options.databaseUrl,
      1,
      { application_name: "rapfs-probe" },
      { connect_timeout: 1, backoff: () => 0, idle_timeout: 5 },
    );
    const circuit = new DatabaseCircuit({
      probe: () => probe`select 1`,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const ends = async () => {
      circuit.stop();
      await probe.end({ timeout: 1 });
    };
    const waitMs = options.connectWaitMs ?? 60_000;
    const deadline = Date.now() + waitMs;
    try {
      await firstConnection(() => probe`select 1`, waitMs, options.logger);
    } catch (error) {
      await ends();
      throw error;
    }
    const sql = guardSql(
      connect(options.databaseUrl, options.maxConnections ?? 10, {}, SERVER_CONNECT_OPTIONS),
      circuit,
    );
    try {
      // The pool's first connection waits as the probe's did: a server that answered the probe
      // can still time a connection out (loaded, or a pooler whose backend another process's
      // long transaction holds, as three processes starting together saw), which ended the start.
      const first = () => (options.requireVector !== false ? assertVectorAvailable(sql) : sql`select 1`);
      await firstConnection(first, Math.max(0, deadline - Date.now()), options.logger);
    } catch (error) {
      await Promise.all([sql.end({ timeout: 1 }), ends()]);
      throw error;
    }
    const bulk = guardSql(
      connect(
        options.databaseUrl,
        options.bulkConnections ?? 2,
        {
          application_name: BULK_APPLICATION_NAME,
          statement_timeout: options.bulkStatementTimeoutMs ?? 300_000,
        },
        SERVER_CONNECT_OPTIONS,
      ),
      circuit,
    );
    return {
      sql,
      bulk,
      mode: "server",
      ping: async () => {
        if (circuit.isOpen) throw circuit.error();
        await probe`select 1`;
      },
      watchReachability: (listener) => circuit.watch(listener),
      close: async () => {
        await Promise.all([sql.end({ timeout: 5 }), bulk.end({ timeout: 5 }), ends()]);
      },
    };
  }
  options.logger?.info("starting embedded PostgreSQL (PGlite)", { dataDir: options.dataDir });
  const embedded = await startEmbeddedPostgres(
    options.dataDir,
    options.embeddedPort,
    options.loadDataDir,
    // Bulk work is sliced to hold the backend ~40 ms of work at a time: a long bulk hold is a bug
    // to see. Long interactive holds are materialization runs and migrations, expected at a start.
    ({ work, ms, cpuMs, statement }) => {
      const fields = { work, held_ms: Math.round(ms), worked_ms: Math.round(cpuMs), statement };
      if (work === "bulk")
        options.logger?.warn("the embedded database was held long by one connection", fields);
      else options.logger?.debug("the embedded database was held long by one connection", fields);
    },
    {
      onRecovery: (state) =>
        options.logger?.warn(
          "the embedded database was not shut down cleanly (a crash, or a stop that killed the " +
            "process); PostgreSQL replays its write-ahead log before it opens",
          { state },
        ),
    },
  );
  // Random unless RAPFS_EMBEDDED_PORT: logged (and kept in the data directory's lock) for psql and the CLI.
  options.logger?.info("embedded PostgreSQL listening", { url: embedded.url });
  const sql = connect(embedded.url, 1);
  const bulk = connect(embedded.url, 1, { application_name: BULK_APPLICATION_NAME });
  return {
    sql,
    bulk,
    mode: "embedded",
    gate: new TableGate(),
    busy: (withinMs) => embedded.busy(withinMs),
    copyFromBlob: (statement, data) => embedded.copyFromBlob(statement, data),
    dumpDataDir: () => embedded.dump(),
    holds: (options) => embedded.holds(options),
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), bulk.end({ timeout: 5 })]);
      await embedded.stop();
    },
  };
}

/**
 * The embedded database of another process (a running `rapfs start`) through its loopback
 * pooler, as that process's own pools reach it: one connection each for interactive and bulk
 * work, so everything runs as in embedded mode. Statements of the two processes share PGlite's one
 * backend a transaction at a time.
 */
export function attachEmbedded(url: string): EmbeddedDatabase {
  const sql = connect(url, 1);
  const bulk = connect(url, 1, { application_name: BULK_APPLICATION_NAME });
  const none = emptyHoldStats();
  return {
    sql,
    bulk,
    mode: "embedded",
    // The owner's backend is not seen from here: never busy, no holds of this process's own.
    busy: () => false,
    gate: new TableGate(),
    holds: async () => ({ interactive: none, bulk: none }),
    close: async () => {
      await Promise.all([sql.end({ timeout: 5 }), bulk.end({ timeout: 5 })]);
    },
  };
}

async function assertVectorAvailable(sql: Sql): Promise<void> {
  let rows: { name: string }[];
  try {
    rows = await sql<{ name: string }[]>`select name from pg_available_extensions where name = 'vector'`;
  } catch (error) {
    if (isConnectionError(error)) throw error;
    throw new DatabaseSetupError(`Cannot reach the database at DATABASE_URL: ${(error as Error).message}`);
  }
  if (rows.length === 0) {
    throw new DatabaseSetupError(
      "The PostgreSQL server at DATABASE_URL has no pgvector extension. Install pgvector " +
        "(e.g. the pgvector/pgvector image) or unset DATABASE_URL to use the embedded database.",
    );
  }
}
