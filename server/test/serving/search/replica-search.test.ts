import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SearchResponseSchema } from "../../../src/api/routes/embeddings/search";
import { noProgress } from "../../../src/log/progress";
import { type RunningServer, startServer } from "../../../src/runtime/start-server";
import { capturingLogger, testConfig } from "../../api/harness";
import { freePort } from "../../online/redis-harness";
import { preparedDataDir } from "../../support/prepared-data";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy";
import { ADMIN_KEY, call, ok, SCALE, SEED } from "../support";

/**
 * DATABASE_REPLICA_URL pointing at the embedded database itself through a proxy the test can
 * kill: the replica dies with the search's query in flight (#27, item 9).
 */
describe("a search whose replica dies under it", () => {
  let server: RunningServer;
  let proxy: TcpProxy;
  const { logger, lines } = capturingLogger();
  // Filtered: a search by id alone is answered from the in-memory vectors, with no SQL to cut.
  const search = () =>
    call(server, "/v1/embeddings/audio/search", {
      json: { id: 9, k: 5, filters: [{ feature: "track_profile:popularity", op: "gte", value: 0 }] },
    });

  beforeAll(async () => {
    const embeddedPort = await freePort();
    proxy = await startTcpProxy(embeddedPort);
    server = await startServer({
      config: {
        ...testConfig(),
        host: "127.0.0.1",
        port: 0,
        corpus: { scale: SCALE, seed: SEED },
        embeddedPort,
        databaseReplicaUrl: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
      },
      env: { ...process.env, RAPFS_ADMIN_KEY: ADMIN_KEY },
      logger,
      handleSignals: false,
      progress: noProgress,
      loadDataDir: await preparedDataDir({ scale: SCALE, seed: SEED }),
    });
    await server.prepared;
  });
  afterAll(async () => {
    await server?.shutdown();
    await proxy?.stop();
  });

  it("is answered by the primary, once, with the same neighbours", async () => {
    expect(lines.map((l) => l.msg)).toContain("reads go to the replica");
    const before = ok(await search(), SearchResponseSchema);
    const died = proxy.cutOnRequest("audio_embedding");
    const after = await search();
    await died;
    expect(ok(after, SearchResponseSchema).neighbors).toEqual(before.neighbors);
    expect(lines.map((l) => l.msg)).toContain(
      "replica unreachable; reads go to the primary until it answers",
    );
  });
});
