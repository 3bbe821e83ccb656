import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../access/support";
import { type ServerProcess, startServerProcess, waitReady } from "../access-http/processes";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { uniquePrefix } from "../online/redis-harness";

/**
 * Issue #37 item 8: three `rapfs start` processes started at once on an empty server database
 * (PGlite with pgvector behind its pooler, standing in for a PostgreSQL server: the development
 * one has no pgvector) and one Redis. One loads the corpus and one builds each HNSW index while
 * the others wait for them; before, the losers died on a duplicate `emb_lyrics_v1_hnsw`.
 */
describe("three processes started together on an empty server database", () => {
  let pg: SharedPglite;
  let redis: PrivateRedis;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    pg = await startSharedPglite();
    redis = await PrivateRedis.start();
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      RAPFS_REDIS_PREFIX: uniquePrefix(),
      RAPFS_CORPUS_SCALE: "0.004",
      LOG_LEVEL: "info",
    };
    servers = await Promise.all([0, 1, 2].map((i) => startServerProcess(`together${i}`, env)));
  }, 300_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await pg?.stop();
    redis?.down();
  });

  it("all reach /ready, one having loaded the corpus and built each index", async () => {
    await Promise.all(servers.map((server) => waitReady(server)));
    for (const server of servers) {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(server.output()).not.toMatch(/uncaught|data preparation failed|"level":"error"/);
    }
    const outputs = servers.map((server) => server.output());
    const count = (pattern: RegExp) => outputs.filter((output) => pattern.test(output)).length;
    expect(count(/"msg":"demo corpus generated"/)).toBe(1);
    const built = outputs.flatMap((output) =>
      [...output.matchAll(/"msg":"hnsw index built".*?"embedding":"([^"]+)"/g)].map((m) => m[1]),
    );
    expect(built.length).toBeGreaterThan(0);
    expect(new Set(built).size).toBe(built.length);
  }, 300_000);
});
