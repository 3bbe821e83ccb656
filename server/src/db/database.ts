import postgres from "postgres";
import type { Logger } from "../log/logger";
import { startEmbeddedPostgres } from "./embedded";

export type Sql = postgres.Sql;

/**
 * Values for a statement's $n placeholders, as `sql.unsafe` takes them. Our statements cast each
 * placeholder explicitly, so any value postgres.js can send will do: typed once, here.
 */
export type SqlParams = postgres.ParameterOrJSON<never>[];
export const sqlParams = (values: readonly unknown[]): SqlParams => values as SqlParams;

export type Database = {
  sql: Sql;
  mode: "embedded" | "server";
  /** Embedded only: the data directory as a tarball, for `loadDataDir`. */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
};

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
  /** Embedded only: start from this data directory tarball (`dumpDataDir`), e.g. a test fixture. */
  loadDataDir?: Blob;
  logger?: Logger;
};

function connect(url: string, max: number): Sql {
  return postgres(url, { max, onnotice: () => {}, connection: { application_name: "rapfs" } });
}

/** Opens the database: a server from DATABASE_URL, or the embedded PGlite in the data directory. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const sql = connect(options.databaseUrl, options.maxConnections ?? 10);
    try {
      if (options.requireVector !== false) await assertVectorAvailable(sql);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return { sql, mode: "server", close: () => sql.end({ timeout: 5 }) };
  }
  options.logger?.info("starting embedded PostgreSQL (PGlite)", { dataDir: options.dataDir });
  const embedded = await startEmbeddedPostgres(options.dataDir, options.embeddedPort, options.loadDataDir);
  const sql = connect(embedded.url, 1);
  return {
    sql,
    mode: "embedded",
    dumpDataDir: () => embedded.dump(),
    async close() {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}

async function assertVectorAvailable(sql: Sql): Promise<void> {
  let rows: { name: string }[];
  try {
    rows = await sql<{ name: string }[]>`select name from pg_available_extensions where name = 'vector'`;
  } catch (error) {
    throw new DatabaseSetupError(`Cannot reach the database at DATABASE_URL: ${(error as Error).message}`);
  }
  if (rows.length === 0) {
    throw new DatabaseSetupError(
      "The PostgreSQL server at DATABASE_URL has no pgvector extension. Install pgvector " +
        "(e.g. the pgvector/pgvector image) or unset DATABASE_URL to use the embedded database.",
    );
  }
}
