import postgres from "postgres";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { generateKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import type { Sql } from "../../src/db/database";
import { SHARED_REDIS_URL, sharedRedis, uniquePrefix } from "../access/support";
import { type ServerProcess, startServerProcess, waitReady } from "./processes";
import { type SharedPglite, startSharedPglite } from "./shared-pglite";

/** Free tier: Q requests a minute, so bursts of many times Q show whether limits are shared. */
export const Q = 20;
const TIERS = JSON.stringify({ free: { requests: Q, rows: 1_000, downloads: 2 } });

export type Cluster = {
  servers: ServerProcess[];
  /** The servers' environment, to start more processes of the same deployment. */
  env: Record<string, string>;
  prefix: string;
  adminKey: string;
  pg: SharedPglite;
  /** A connection and access services of the test itself, on the same database and Redis prefix. */
  sql: Sql;
  access: AccessServices;
  /** Every plaintext key the test saw, including RAPFS_ADMIN_KEY. */
  issued: string[];
  call(server: ServerProcess, method: string, path: string, key?: string, body?: unknown): Promise<Response>;
  signup(server: ServerProcess, email: string): Promise<{ accountId: string; key: string; keyId: string }>;
  stop(): Promise<void>;
};

let clients = 0;

/**
 * `count` real `rapfs start` processes on one database (PGlite shared over a socket) and one
 * Redis, started one after the other so the first generates the corpus and the next reuse it.
 * RAPFS_KEY_CACHE_SECONDS=300: only the invalidation bus can make a revocation reach another process.
 */
export async function startCluster(options: {
  count: number;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const pg = await startSharedPglite();
  const prefix = uniquePrefix();
  const adminKey = generateKey().key;
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const env = {
    DATABASE_URL: pg.url,
    REDIS_URL: redisUrl,
    RAPFS_REDIS_PREFIX: prefix,
    RAPFS_TIERS: TIERS,
    RAPFS_CORPUS_SCALE: "0.004",
    RAPFS_ADMIN_KEY: adminKey,
    RAPFS_KEY_CACHE_SECONDS: "300",
    RAPFS_TRUSTED_PROXY_HOPS: "1",
    ...options.env,
  };
  const servers: ServerProcess[] = [];
  const start = async (i: number) => {
    const server = await startServerProcess(String.fromCharCode(97 + i), env);
    servers.push(server);
    await waitReady(server);
  };
  try {
    // The first loads the corpus and materializes; the others only open what it made, together.
    await start(0);
    await Promise.all(Array.from({ length: options.count - 1 }, (_, i) => start(i + 1)));
    servers.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    await pg.stop();
    throw error;
  }
  const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  const redis = options.redisUrl ? undefined : sharedRedis();
  const config = loadAccessConfig({ RAPFS_REDIS_PREFIX: prefix, RAPFS_TIERS: TIERS });
  const access = await createAccessServices({ sql, config, ...(redis ? { redis } : { redisUrl }) });
  const issued = [adminKey];

  const call: Cluster["call"] = (server, method, path, key, body) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        "x-forwarded-for": `198.18.${clients >> 8}.${clients++ & 255}`,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  return {
    servers,
    env,
    prefix,
    adminKey,
    pg,
    sql,
    access,
    issued,
    call,
    async signup(server, email) {
      const res = await call(server, "POST", "/v1/signup", undefined, { email });
      if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { account: { id: string }; key: { key: string; id: string } };
      issued.push(body.key.key);
      return { accountId: body.account.id, key: body.key.key, keyId: body.key.id };
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await access.close();
      redis?.disconnect();
      await sql.end({ timeout: 5 });
      await pg.stop();
    },
  };
}

export type Burst = {
  statuses: number[];
  retryAfter: number[];
  resets: number[];
  byServer: Record<string, number>;
};

/**
 * `n` concurrent GET /v1/usage with one key, alternating between the servers given, after one
 * request on each (counted in `statuses`) so every server has verified the key and the burst
 * interleaves instead of being won by whichever process looked the key up first.
 */
export async function burst(
  cluster: Cluster,
  servers: ServerProcess[],
  key: string,
  n: number,
): Promise<Burst> {
  const send = async (server: ServerProcess) => {
    const res = await cluster.call(server, "GET", "/v1/usage", key);
    await res.arrayBuffer();
    return { server: server.name, res };
  };
  const warm = [];
  for (const server of servers) warm.push(await send(server));
  const responses = [
    ...warm,
    ...(await Promise.all(
      Array.from({ length: n - servers.length }, (_, i) =>
        send(servers[i % servers.length] as ServerProcess),
      ),
    )),
  ];
  const refused = responses.filter(({ res }) => res.status === 429);
  const byServer: Record<string, number> = {};
  for (const { server, res } of responses)
    if (res.status === 200) byServer[server] = (byServer[server] ?? 0) + 1;
  return {
    statuses: responses.map(({ res }) => res.status),
    retryAfter: refused.map(({ res }) => Number(res.headers.get("retry-after"))),
    resets: refused.map(({ res }) =>
      Number(/"requests";r=\d+;t=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]),
    ),
    byServer,
  };
}

export const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;
