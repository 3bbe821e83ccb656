import { IN_MEMORY, startEmbeddedPostgres } from "../../src/db/embedded";
import { embeddedDataDir } from "../support/databases";

/**
 * PGlite (real Postgres + pgvector) for several server processes at once: the embedded database's
 * own worker, whose pooler shares PGlite's one backend between connections as a transaction
 * pooler does. The dev PostgreSQL has no pgvector, which `rapfs start` needs.
 */
export type SharedPglite = { url: string; stop(): Promise<void> };

export async function startSharedPglite(): Promise<SharedPglite> {
  const embedded = await startEmbeddedPostgres(IN_MEMORY, 0, await embeddedDataDir({ migrate: false }));
  return { url: embedded.url, stop: () => embedded.stop() };
}
