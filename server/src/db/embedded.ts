import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { IN_MEMORY } from "../config/paths";
import { lockDataDir } from "./data-dir-lock";

export { IN_MEMORY };

export type EmbeddedPostgres = {
  url: string;
  /** The whole data directory as a tarball, which `from` takes back (a test fixture, a copy). */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
};

/**
 * Runs PostgreSQL in-process (PGlite + pgvector) behind a loopback socket, so the rest of
 * rapfs reaches it with the same postgres.js code as a real server.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port = 0,
  from?: Blob,
): Promise<EmbeddedPostgres> {
  const inMemory = dataDir === IN_MEMORY;
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  try {
    const db = await PGlite.create({
      ...(inMemory ? {} : { dataDir: join(dataDir, "pgdata") }),
      ...(from ? { loadDataDir: from } : {}),
      extensions: { vector },
    });
    // One connection: PGlite has one backend, and interleaving two clients' extended-protocol
    // messages on it would mix their unnamed statements.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 1 });
    await server.start();
    const [host, boundPort] = server.getServerConn().split(":");
    return {
      url: `postgres://postgres@${host}:${boundPort}/postgres`,
      dump: () => db.dumpDataDir("none"),
      async stop() {
        await server.stop();
        await db.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
