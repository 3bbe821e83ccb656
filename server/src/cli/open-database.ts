import { existsSync } from "node:fs";
import type { Config } from "../config/env";
import { IN_MEMORY } from "../config/paths";
import { embeddedUrl, lockOwner } from "../db/data-dir-lock";
import { attachEmbedded, type Database, openDatabase } from "../db/database";
import { holdsDatabase } from "../db/embedded";
import { CliError, ExitCode } from "./run";

// A command at a terminal says soon that the database is away; a server start waits longer.
const CLI_CONNECT_WAIT_MS = 5_000;

/**
 * The database a command works on: DATABASE_URL's; else, when a running server holds the data
 * directory, that server's embedded database through the port it recorded (said on stderr);
 * else the embedded database in the data directory. Only the commands that set one up (`create`:
 * migrate, corpus generate) may start a new one: the others, given a directory without a
 * database — RAPFS_DATA_DIR unset in another folder — or with one never migrated, refuse and
 * create nothing.
 */
export async function openCliDatabase(config: Config, options: { create?: boolean } = {}): Promise<Database> {
  const { databaseUrl, dataDir } = config;
  if (databaseUrl || dataDir === IN_MEMORY)
    return openDatabase({ databaseUrl, dataDir, connectWaitMs: CLI_CONNECT_WAIT_MS });
  const owner = lockOwner(dataDir);
  if (owner?.port) {
    const url = embeddedUrl(owner.port);
    process.stderr.write(
      `rapfs: ${dataDir} is in use by the server of process ${owner.pid}; working through its database at ${url}\n`,
    );
    return attachEmbedded(url);
  }
  // A live owner without a port yet is still starting: openDatabase's lock error says so.
  if (!owner && !options.create && !holdsDatabase(dataDir)) {
    throw new CliError(
      `There is no rapfs database in ${dataDir}${existsSync(dataDir) ? "" : " (no such directory)"}. ` +
        "Set RAPFS_DATA_DIR to the data directory `rapfs start` uses (default ./.rapfs in the folder it " +
        "was started from) or DATABASE_URL to its PostgreSQL; or run `rapfs start` first to create one.",
      ExitCode.config,
    );
  }
  const db = await openDatabase({ databaseUrl, dataDir });
  if (options.create) return db;
  // A database never migrated: what an earlier version of `rapfs plan` left in a stray folder.
  const [row] = await db.sql<
    { migrated: boolean }[]
  >`select to_regclass('rapfs_migrations') is not null as migrated`;
  if (row?.migrated) return db;
  await db.close();
  throw new CliError(
    `The database in ${dataDir} was never set up (no migrations). Set RAPFS_DATA_DIR to the data ` +
      "directory `rapfs start` uses, or run `rapfs start` (or `rapfs migrate`) on this one.",
    ExitCode.config,
  );
}
