import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionError } from "../../src/db/connection-errors";
import type { Sql } from "../../src/db/database";
import { openReadRouter, type ReadRouter } from "../../src/db/replica";
import { freePort } from "../online/redis-harness";
import { SERVER_POSTGRES_URL } from "../support/databases";

let primary: Sql;
const routers: ReadRouter[] = [];

const appName = async (sql: Sql) =>
  (await sql<{ app: string }[]>`select current_setting('application_name') as app`)[0]?.app;

beforeAll(() => {
  primary = postgres(SERVER_POSTGRES_URL, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: "rapfs" },
  });
});
afterAll(async () => {
  for (const router of routers) await router.close();
  await primary.end();
});

async function router(replicaUrl: string | undefined) {
  const r = await openReadRouter({ primary, replicaUrl, probeIntervalMs: 100 });
  routers.push(r);
  return r;
}

describe("DATABASE_REPLICA_URL", () => {
  it("sends reads to the replica pool and leaves the primary for writes", async () => {
    // A second connection to the same database stands in for a streaming replica.
    const reads = await router(SERVER_POSTGRES_URL);
    expect(reads.onReplica).toBe(true);
    expect(await appName(reads.sql)).toBe("rapfs-replica");
    expect(await reads.run(appName)).toBe("rapfs-replica");
    expect(await appName(primary)).toBe("rapfs");
    // Helpers of the routed Sql (unsafe, begin) go to the replica too.
    expect((await reads.sql.unsafe("select current_setting('application_name') as app"))[0]?.app).toBe(
      "rapfs-replica",
    );
    expect(await reads.sql.begin((tx) => appName(tx as unknown as Sql))).toBe("rapfs-replica");
  });

  it("without a replica, reads are the primary's", async () => {
    const reads = await router(undefined);
    expect(reads.onReplica).toBe(false);
    expect(await appName(reads.sql)).toBe("rapfs");
  });

  it("falls back to the primary when the replica cannot be reached", async () => {
    const port = await freePort();
    const reads = await router(`postgres://postgres@127.0.0.1:${port}/postgres`);
    expect(reads.onReplica).toBe(false);
    expect(await appName(reads.sql)).toBe("rapfs");
    expect(await reads.run(appName)).toBe("rapfs");
  });

  it("a query error that is not about the connection is not retried on the primary", async () => {
    const reads = await router(SERVER_POSTGRES_URL);
    let attempts = 0;
    await expect(
      reads.run(async (sql) => {
        attempts++;
        return sql`select * from no_such_table_anywhere`;
      }),
    ).rejects.toThrow(/no_such_table/);
    expect(attempts).toBe(1);
    expect(reads.onReplica).toBe(true);
  });

  it("tells a lost connection (also as a cause) from a refused query", () => {
    expect(isConnectionError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isConnectionError(new Error("wrapped", { cause: { code: "CONNECTION_CLOSED" } }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error("no table"), { code: "42P01" }))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});
