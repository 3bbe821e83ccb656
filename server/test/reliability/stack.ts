import { generateKey } from "../../src/access/api-key-format";
import { PrivateRedis } from "../access/support";
import { type ServerProcess, startServerProcess, waitReady } from "../access-http/processes";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { type LocalCluster, startRedisCluster } from "../cluster/redis-cluster";
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
  /** The private Redis; undefined on a Cluster (`cluster`). */
  redis: PrivateRedis | undefined;
  cluster: LocalCluster | undefined;
  adminKey: string;
  /** The servers' environment, for CLI children (rapfs materialize) of the same deployment. */
  env: Record<string, string>;
  stop(): Promise<void>;
};

export async function startStack(
  count: number,
  options: { topology?: "redis" | "cluster"; env?: Record<string, string> } = {},
): Promise<Stack> {
  const pg = await startSharedPglite();
  const proxy = await startTcpProxy(Number(new URL(pg.url).port));
  const cluster = options.topology === "cluster" ? await startRedisCluster() : undefined;
  const redis = cluster ? undefined : await PrivateRedis.start();
  const adminKey = generateKey().key;
  const env = {
    RAPFS_CORPUS_SCALE: "0.004",
    ...options.env,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
    REDIS_URL: cluster ? cluster.url : (redis as PrivateRedis).url,
    RAPFS_REDIS_PREFIX: uniquePrefix(),
    RAPFS_ADMIN_KEY: adminKey,
    LOG_LEVEL: "info",
  };
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await proxy.stop();
    await pg.stop();
    redis?.down();
    await cluster?.stop();
  };
  const start = async (i: number) => {
    const server = await startServerProcess(`rel${i}`, env);
    servers.push(server);
    await waitReady(server);
  };
  try {
    // The first loads the corpus and materializes; the others only open what it made, together.
    if (count > 0) await start(0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
    servers.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers, pg, proxy, redis, cluster, adminKey, env, stop };
}
