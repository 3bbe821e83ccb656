import { generateKey } from "../../src/access/api-key-format";
import { PrivateRedis } from "../access/support";
import { type ServerProcess, startServerProcess, waitReady } from "../access-http/processes";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { uniquePrefix } from "../online/redis-harness";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

/**
 * Real `rapfs start` processes sharing one PGlite (through a TCP proxy the test can cut) and one
 * private Redis the test can kill; requests carry the operator key, whose tier is unlimited.
 */
export type Stack = {
  servers: ServerProcess[];
  pg: SharedPglite;
  proxy: TcpProxy;
  redis: PrivateRedis;
  adminKey: string;
  /** The servers' environment, for CLI children (rapfs materialize) of the same deployment. */
  env: Record<string, string>;
  stop(): Promise<void>;
};

export async function startStack(count: number): Promise<Stack> {
  const pg = await startSharedPglite();
  const proxy = await startTcpProxy(Number(new URL(pg.url).port));
  const redis = await PrivateRedis.start();
  const adminKey = generateKey().key;
  const env = {
    DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
    REDIS_URL: redis.url,
    RAPFS_REDIS_PREFIX: uniquePrefix(),
    RAPFS_CORPUS_SCALE: "0.004",
    RAPFS_ADMIN_KEY: adminKey,
    LOG_LEVEL: "info",
  };
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await proxy.stop();
    await pg.stop();
    redis.down();
  };
  try {
    for (let i = 0; i < count; i++) {
      const server = await startServerProcess(`rel${i}`, env);
      servers.push(server);
      await waitReady(server);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers, pg, proxy, redis, adminKey, env, stop };
}
