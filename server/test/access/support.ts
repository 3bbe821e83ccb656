import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { loadAccessConfig } from "../../src/access/config";
import { DEFAULT_SCOPES, type Scope } from "../../src/access/scopes";
import type { Sql } from "../../src/db/database";
import { createServerTestDatabase, migrationsDir } from "../support/databases";

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type AccessTestDatabase = { url: string; sql: Sql; close(): Promise<void> };

/**
 * A throwaway database on the dev PostgreSQL with only the access tables: the server has no
 * pgvector, so the corpus migration cannot run there.
 */
export async function accessTestDatabase(): Promise<AccessTestDatabase> {
  const database = await createServerTestDatabase();
  const sql = postgres(database.url, { max: 8, onnotice: () => {} });
  // The access tables only (server PostgreSQL here has no pgvector for the others).
  for (const migration of ["0003_access.sql", "0004_key_lineage.sql", "0007_usage_bytes.sql"])
    await sql.unsafe(await readFile(join(migrationsDir, migration), "utf8"));
  return {
    url: database.url,
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
}

export function uniquePrefix(): string {
  return `rapfs-test-${randomBytes(5).toString("hex")}`;
}

export function sharedRedis(): Redis {
  return new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Deletes every key under a test prefix, so the shared Redis is left as found. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Every key under a prefix with its value, whatever its type: to search for what must not be stored. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<string> {
  const lines: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === "string"
          ? await redis.get(key)
          : type === "hash"
            ? await redis.hgetall(key)
            : type === "zset"
              ? await redis.zrange(key, "0", "-1")
              : type;
      lines.push(`${key} ${JSON.stringify(value)}`);
    }
    cursor = next;
  } while (cursor !== "0");
  return lines.join("\n");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private, throwaway redis-server this test may stop and start; the shared one is never touched. */
export class PrivateRedis {
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  up(): void {
    execFileSync("redis-server", [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--logfile",
      "",
    ]);
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        execFileSync("redis-cli", ["-p", String(this.port), "ping"], { stdio: "pipe" });
        return;
      } catch {
        execFileSync("sleep", ["0.05"]);
      }
    }
    throw new Error(`private redis-server on port ${this.port} did not start`);
  }

  down(): void {
    try {
      execFileSync("redis-cli", ["-p", String(this.port), "shutdown", "nosave"], { stdio: "pipe" });
    } catch {
      // shutdown closes the connection before replying; the server is gone either way.
    }
  }
}

let issuedAccounts = 0;

/**
 * Headers with a new key of a new account, for tests of /v1 routes. Tier `admin` by default
 * (no quota in the way) with every scope but admin, so a scope check still means something.
 */
export async function authHeaders(
  access: AccessServices,
  options: { scopes?: Scope[]; tier?: string } = {},
): Promise<{ authorization: string }> {
  const account = await access.accounts.create({
    email: `test-${process.pid}-${randomBytes(4).toString("hex")}-${issuedAccounts++}@example.com`,
    tier: options.tier ?? "admin",
  });
  const { key } = await access.keys.create(account.id, { scopes: options.scopes ?? DEFAULT_SCOPES });
  return { authorization: `Bearer ${key}` };
}

/**
 * Access services with tiny free-tier limits, in-process (no Redis), flushing usage only when
 * closed: what each call spends, and the order of the checks, are what the unit tests look at.
 */
export async function tinyLimitsAccess(sql: Sql): Promise<AccessServices> {
  const config = loadAccessConfig({
    RAPFS_TIERS: JSON.stringify({ free: { requests: 3, rows: 10, downloads: 1, bytes: 1_000 } }),
  });
  return createAccessServices({ sql, config, flushIntervalMs: 3_600_000 });
}
