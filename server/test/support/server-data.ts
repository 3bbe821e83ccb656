import { createHash } from "node:crypto";
import { startServerProcess, waitLogged, waitReady } from "../access-http/processes";
import { cachedDirectory, copyOfDirectory } from "./fixture-cache";

// What a first start's data directory is made from: a change to any of it makes a new one.
const INPUTS = ["migrations", "feature-definitions", "server/src", "server/bin", "pnpm-lock.yaml"];

/**
 * The data directory a first `rapfs start` with `env` leaves once it is ready and stopped
 * (corpus generated, definitions applied, views materialized), built once for the state of the
 * code and `env`. A test that only needs a server holding that data starts on a copy of it
 * (serverDataCopy): a restart, seconds, instead of a first start's minute at scale 0.25.
 */
export function preparedServerData(name: string, env: Record<string, string>): Promise<string> {
  const envHash = createHash("sha256").update(JSON.stringify(env)).digest("hex").slice(0, 8);
  return cachedDirectory(`server-${name}-${envHash}`, INPUTS, async (directory) => {
    const server = await startServerProcess(`${name}-prepare`, { ...env, RAPFS_DATA_DIR: directory });
    try {
      await waitReady(server);
      // What the server builds after /ready (the embedded default's kept histories) is kept too.
      await waitLogged(server, "warm-up done");
    } finally {
      await server.stop();
    }
    if (server.exit() !== "code 0")
      throw new Error(
        `${name}: the preparing start ended with ${server.exit()}:\n${server.output().slice(-4_000)}`,
      );
  });
}

/** A copy of preparedServerData's directory for one server to own, as RAPFS_DATA_DIR. */
export async function serverDataCopy(name: string, env: Record<string, string>): Promise<string> {
  return copyOfDirectory(await preparedServerData(name, env), `rapfs-${name}`);
}
