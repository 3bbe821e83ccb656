import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { createLogger } from "../../src/log/logger";
import { createMetrics } from "../../src/metrics/registry";
import {
  CircuitBreaker,
  createOnlineStore,
  createRedisClient,
  type FallbackLoader,
  type OnlineRow,
  type ReadThroughStore,
} from "../../src/online";
import { openEmbeddedTestDatabase } from "../support/databases";
import { makeRow, range } from "./fixtures";
import { freePort, startPrivateRedis, uniquePrefix, waitFor } from "./redis-harness";

const VIEW = "qwen_analysis@2";
let database: Database;
let asked = 0;

/** The fallback as production has it: rows of a materialized table in (embedded) Postgres. */
const postgresLoader: FallbackLoader = async (_view, ids) => {
  asked++;
  const found = await database.sql<{ id: string; vals: Record<string, unknown>; ts: Date }[]>`
    select id, vals, ts from online_source where id = any(${ids as string[]})`;
  return new Map(found.map((r) => [r.id, { id: r.id, values: r.vals, eventTimestamp: r.ts.toISOString() }]));
};

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  await database.sql`create table online_source (id text primary key, vals jsonb not null, ts timestamptz not null)`;
  const source = range(0, 200).map((i) => makeRow(i));
  await database.sql`insert into online_source ${database.sql(
    source.map((r) => ({ id: r.id, vals: r.values, ts: r.eventTimestamp })) as Record<string, unknown>[],
  )}`;
});
afterAll(async () => {
  await database.close();
});

function setup(redisUrl: string) {
  const logs: { level: string; msg: string }[] = [];
  const logger = createLogger("debug", {}, (line) => logs.push(JSON.parse(line)));
  const metrics = createMetrics({ defaultMetrics: false });
  const outageWarnings = () => logs.filter((l) => l.level === "warn" && l.msg.includes("unavailable")).length;
  const recoveries = () => logs.filter((l) => l.msg === "redis node answers again").length;
  const open = () => {
    const redis = createRedisClient(redisUrl, logger);
    // A short cooldown: the probe after a restart comes within the test's patience.
    const breaker = new CircuitBreaker(redis, { logger, cooldownMs: 50, maxCooldownMs: 100 });
    return createOnlineStore({
      redisUrl,
      redis,
      breaker,
      fallback: postgresLoader,
      metrics,
      logger,
      keyPrefix: uniquePrefix(),
    });
  };
  return { open, metrics, logs, outageWarnings, recoveries };
}

const expected = (ids: number[]) => new Map(ids.map((i) => [String(i), makeRow(i)] as [string, OnlineRow]));
const ids = [1, 2, 3, 150, 199];
const idStrings = [...ids.map(String), "404"];

/** Reads until one is answered by Redis alone (the fallback not asked), bounded in attempts. */
async function untilServedByRedis(store: ReadThroughStore) {
  return waitFor(
    async () => {
      const before = asked;
      const found = await store.read(VIEW, ids.map(String));
      return asked === before && !store.degraded ? found : undefined;
    },
    400,
    25,
  );
}

describe("online store with Redis unreachable", () => {
  it("serves reads from Postgres when nothing listens on the Redis port", async () => {
    const port = await freePort();
    const t = setup(`redis://127.0.0.1:${port}`);
    const store = await t.open();
    try {
      for (let i = 0; i < 3; i++) expect(await store.read(VIEW, idStrings)).toEqual(expected(ids));
      expect(t.outageWarnings()).toBe(1);
      const fallbacks = await t.metrics.onlineFallbacks.get();
      expect(fallbacks.values.find((v) => v.labels.reason === "unavailable")?.value).toBeGreaterThanOrEqual(
        1,
      );
    } finally {
      await store.close();
    }
  });

  it("keeps answering when Redis is killed mid-test and goes back to Redis when it returns", async () => {
    const redis = await startPrivateRedis();
    const t = setup(redis.url);
    const store = await t.open();
    try {
      await store.write(
        VIEW,
        ids.map((i) => makeRow(i)),
      );
      asked = 0;
      expect(await store.read(VIEW, ids.map(String))).toEqual(expected(ids));
      expect(asked).toBe(0);

      await redis.kill();
      for (let i = 0; i < 10; i++) expect(await store.read(VIEW, idStrings)).toEqual(expected(ids));
      expect(store.degraded).toBe(true);
      expect(t.outageWarnings()).toBe(1);

      await redis.start();
      // The restarted Redis is empty: the first reads refill it from Postgres, later ones hit it.
      expect(await untilServedByRedis(store)).toEqual(expected(ids));
      expect(t.recoveries()).toBe(1);
      expect(t.outageWarnings()).toBe(1);
    } finally {
      await store.close();
      await redis.kill();
    }
  });

  it("starts without Redis and picks it up once it appears", async () => {
    const redis = await startPrivateRedis({ started: false });
    const t = setup(redis.url);
    const store = await t.open();
    try {
      expect(await store.read(VIEW, idStrings)).toEqual(expected(ids));
      expect(store.degraded).toBe(true);
      await redis.start();
      expect(await untilServedByRedis(store)).toEqual(expected(ids));
      expect(t.recoveries()).toBe(1);
    } finally {
      await store.close();
      await redis.kill();
    }
  });
});
