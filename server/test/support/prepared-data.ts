import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";
import { generateCorpus } from "../../src/corpus/index";
import { type Database, openDatabase } from "../../src/db/database";
import { IN_MEMORY } from "../../src/db/embedded";
import { migrate } from "../../src/db/migrate";
import { prepareDefinitions } from "../../src/runtime/prepare-definitions";
import { createServerTestDatabase, migrationsDir, openEmbeddedTestDatabase } from "./databases";
import { cachedDataDir } from "./fixture-cache";

/** A corpus as `rapfs start` prepares it: generated, the shipped definitions applied and materialized. */
export type PreparedDataSpec = { scale: number; seed: number };

const SHIPPED_DEFINITIONS = join(repoRoot, "feature-definitions");
// What the prepared data is made from: a change to any of it makes a new fixture.
const INPUTS = [
  "migrations",
  "feature-definitions",
  "server/src/corpus",
  "server/src/db",
  "server/src/definitions",
  "server/src/registry",
  "server/src/materialize",
  "server/src/datasets/point-in-time",
  "server/src/runtime/prepare-definitions.ts",
  "server/test/support/prepared-data.ts",
  "pnpm-lock.yaml",
];

/**
 * The data directory of an embedded database holding the prepared corpus, as a tarball: built
 * once for the state of the code and the spec, so every test file loads its own copy in a moment
 * instead of generating and materializing the corpus again.
 */
export function preparedDataDir(spec: PreparedDataSpec): Promise<Blob> {
  return cachedDataDir(`prepared-${spec.scale}-${spec.seed}`, INPUTS, async () => {
    const db = await openEmbeddedTestDatabase();
    try {
      await generateCorpus(db, spec);
      await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
      if (!db.dumpDataDir) throw new Error("the embedded database cannot dump its data directory");
      return await db.dumpDataDir();
    } finally {
      await db.close();
    }
  });
}

/** A fresh in-memory database holding its own copy of the prepared data. */
export async function preparedDatabase(spec: PreparedDataSpec): Promise<Database> {
  return openDatabase({ dataDir: IN_MEMORY, loadDataDir: await preparedDataDir(spec) });
}

/**
 * The same prepared data in a throwaway database on the development PostgreSQL server, made
 * there (an embedded data directory cannot be loaded into it); `close` drops the database.
 */
export async function preparedServerDatabase(spec: PreparedDataSpec): Promise<Database> {
  const server = await createServerTestDatabase();
  const db = await openDatabase({ databaseUrl: server.url, dataDir: IN_MEMORY });
  const close = async () => {
    await db.close();
    await server.drop();
  };
  try {
    await migrate(db.sql, migrationsDir);
    await generateCorpus(db, spec);
    await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
  } catch (error) {
    await close();
    throw error;
  }
  return { ...db, close };
}
