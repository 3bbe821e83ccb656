import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { loadConfig } from "../../src/config/env";
import { type EmbeddedDatabase, openDatabase, type Sql } from "../../src/db/database";
import { IN_MEMORY } from "../../src/db/embedded";
import { migrate } from "../../src/db/migrate";
import { cachedDataDir } from "./fixture-cache";

export const migrationsDir = loadConfig({}).migrationsDir;
export const SERVER_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh in-memory PGlite (real Postgres + pgvector) with the rapfs migrations applied. */
export async function openEmbeddedTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<EmbeddedDatabase> {
  return openDatabase({ dataDir: IN_MEMORY, loadDataDir: await embeddedDataDir(options) });
}

// What an empty or migrated database is made from; this file is among them for the build below.
const EMBEDDED_INPUTS = ["migrations", "server/src/db", "server/test/support/databases.ts", "pnpm-lock.yaml"];

/**
 * The data directory of a new embedded database (after initdb), migrated unless told not to:
 * built once and copied, because initdb takes most of a fresh PGlite's start.
 */
export function embeddedDataDir(options: { migrate?: boolean } = {}): Promise<Blob> {
  const migrated = options.migrate !== false;
  return cachedDataDir(migrated ? "migrated" : "initdb", EMBEDDED_INPUTS, async () => {
    const db = await openDatabase({ dataDir: IN_MEMORY });
    try {
      if (migrated) await migrate(db.sql, migrationsDir);
      if (!db.dumpDataDir) throw new Error("the embedded database cannot dump its data directory");
      return await db.dumpDataDir();
    } finally {
      await db.close();
    }
  });
}

/**
 * A throwaway database on the development PostgreSQL server (no pgvector there), for tests
 * that need real concurrency between connections.
 */
export async function createServerTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rapfs_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(SERVER_POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(SERVER_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * Whether the development PostgreSQL server offers pgvector (CI's does not): tests of the whole
 * corpus on a server need it, and run on the embedded database alone without it.
 */
export async function serverOffersPgvector(): Promise<boolean> {
  const admin = postgres(SERVER_POSTGRES_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [row] = await admin<{ n: number }[]>`
      select count(*)::int as n from pg_available_extensions where name = 'vector'`;
    return (row?.n ?? 0) > 0;
  } catch {
    return false;
  } finally {
    await admin.end();
  }
}

/**
 * A bare database (no migrations) on the embedded PostgreSQL or on a throwaway database of the
 * development server (a pool of 4): for a test that must hold on both.
 */
export async function openBareTestDatabase(
  topology: "embedded" | "server",
): Promise<{ sql: Sql; close(): Promise<void> }> {
  if (topology === "embedded") {
    const db = await openEmbeddedTestDatabase({ migrate: false });
    return { sql: db.sql, close: () => db.close() };
  }
  const database = await createServerTestDatabase();
  const pool = postgres(database.url, { max: 4, onnotice: () => {} });
  return {
    sql: pool as unknown as Sql,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}
