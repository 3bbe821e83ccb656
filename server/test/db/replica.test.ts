import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionError } from "../../src/db/connection-errors";
import type { Sql } from "../../src/db/database";
import { openReadRouter, type ReadRouter } from "../../src/db/replica";
import type { Logger } from "../../src/log/logger";
import { eventually } from "../access-http/processes";
import { capturingLogger } from "../api/harness";
import { freePort } from "../online/redis-harness";
import { SERVER_POSTGRES_URL } from "../support/databases";
import { startTcpProxy } from "../support/tcp-proxy";

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

async function router(replicaUrl: string | undefined, logger?: Logger) {
  const r = await openReadRouter({
    primary,
    replicaUrl,
    probeIntervalMs: 100,
    ...(logger ? { logger } : {}),
  });
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

describe("a replica that goes away and comes back", () => {
  it("is logged at each change, shows in hasReplica/replicaError, and gets the reads again when it answers", async () => {
    const proxy = await startTcpProxy(Number(new URL(SERVER_POSTGRES_URL).port || 5432));
    const { logger, lines } = capturingLogger();
    const url = new URL(SERVER_POSTGRES_URL);
    url.port = String(proxy.port);
    try {
      const reads = await openReadRouter({
        primary,
        replicaUrl: url.toString(),
        probeIntervalMs: 100,
        logger,
      });
      routers.push(reads);
      expect(reads.hasReplica).toBe(true);
      expect(reads.onReplica).toBe(true);
      await proxy.cut();
      await eventually(async () => expect(reads.onReplica).toBe(false), 10_000);
      expect(reads.replicaError).toBeTruthy();
      expect(await reads.run(appName)).toBe("rapfs");
      await proxy.restore();
      await eventually(async () => expect(reads.onReplica).toBe(true), 10_000);
      expect(await reads.run(appName)).toBe("rapfs-replica");
      expect(lines.filter((l) => l.msg.includes("replica")).map((l) => [l.level, l.msg])).toEqual([
        ["info", "reads go to the replica"],
        ["warn", "replica unreachable; reads go to the primary until it answers"],
        ["info", "reads go to the replica"],
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it("unreachable from the start is logged at once, not only after it was once up", async () => {
    const { logger, lines } = capturingLogger();
    const reads = await router(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, logger);
    expect(reads.onReplica).toBe(false);
    expect(lines.map((l) => l.msg)).toContain(
      "replica unreachable; reads go to the primary until it answers",
    );
  });
});
