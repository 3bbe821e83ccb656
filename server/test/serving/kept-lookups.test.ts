import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { packRow, rowKey, unpackRow } from "../../src/online/redis-keys";
import type { RunningServer } from "../../src/runtime/start-server";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix, waitFor } from "../online/redis-harness";
import { call, startServing } from "./support";

// A lookup answered again from memory (the lane's kept answers) must never outlive a change to a
// row it was made from once Redis has reported the change: the near cache's guarantee.
const prefix = uniquePrefix();
const VIEW = "qwen_analysis@2";
const ID = "5";
const PATH = `/v1/features/track/${ID}?features=${VIEW}:sentiment,${VIEW}:mood,track_profile@1:popularity`;
let server: RunningServer;
let redis: Redis;
let auth: { authorization: string };

beforeAll(async () => {
  server = await startServing({ redisUrl: SHARED_REDIS_URL, keyPrefix: prefix });
  redis = new Redis(SHARED_REDIS_URL);
  const signup = await call(server, "/v1/signup", {
    json: { email: "kept@example.com" },
    headers: { authorization: "" },
  });
  auth = { authorization: `Bearer ${(signup.body as { key: { key: string } }).key.key}` };
});
afterAll(async () => {
  await server?.shutdown("test done");
  redis?.disconnect();
  await deletePrefix(prefix);
});

type Values = Record<string, { value: unknown; status: string }>;

async function lookup(): Promise<Values> {
  const res = await call(server, PATH, { headers: auth });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as { features: Values }).features;
}

/** This server's near cache's events so far: `invalidation`, keys it was told changed (by Redis, or by its own writes); `hit`. */
async function nearCacheEvents(event: "invalidation" | "hit"): Promise<number> {
  const metrics = await server.services.metrics.registry.getMetricsAsJSON();
  const events = metrics.find((m) => m.name === "rapfs_online_near_cache_events_total");
  return Number(events?.values.find((v) => v.labels.event === event)?.value ?? 0);
}
const invalidations = () => nearCacheEvents("invalidation");

/** Changes the row in Redis as the sync of another process would: one packed row under its key. */
async function changeInRedis(sentiment: string): Promise<void> {
  const key = rowKey(prefix, VIEW, ID);
  const row = unpackRow(ID, (await redis.get(key)) as string);
  await redis.set(key, packRow({ ...row, values: { ...row.values, sentiment } }));
}

describe("a lookup kept in memory", () => {
  it("is answered again without reading the store", async () => {
    const first = await lookup();
    expect(Object.values(first).map((v) => v.status)).toEqual(["present", "present", "present"]);
    const read = vi.spyOn(server.services.serving.features, "read");
    try {
      expect(await lookup()).toEqual(first);
      expect(read).not.toHaveBeenCalled();
    } finally {
      read.mockRestore();
    }
  });

  it("is never answered after Redis has reported a change to one of its rows", async () => {
    for (const sentiment of ["kept-test-one", "kept-test-two"]) {
      await lookup();
      await lookup();
      const before = await invalidations();
      await changeInRedis(sentiment);
      // Redis has reported the change once this process has counted it.
      await waitFor(async () => ((await invalidations()) > before ? true : undefined));
      expect((await lookup())[`${VIEW}:sentiment`]?.value).toBe(sentiment);
    }
  });

  it("spends exactly its key's quota when answered at once from leased units", async () => {
    const signup = await call(server, "/v1/signup", {
      json: { email: "kept-quota@example.com" },
      headers: { authorization: "" },
    });
    const key = (signup.body as { key: { key: string } }).key.key;
    const headers = { authorization: `Bearer ${key}` };
    const { gate } = server.services.access;
    const held = vi.spyOn(gate, "heldAdmission");
    try {
      const answers = [];
      // The free tier's 60 requests a minute, asked for 150 times, 10 at once.
      for (let wave = 0; wave < 15; wave++)
        answers.push(
          ...(await Promise.all(Array.from({ length: 10 }, () => call(server, PATH, { headers })))),
        );
      const served = answers.filter((a) => a.status === 200);
      expect(served).toHaveLength(60);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(90);
      // Some were admitted from units this process held, without waiting for Redis.
      expect(held.mock.results.filter((r) => r.value !== undefined).length).toBeGreaterThan(0);
      // Each answer says what was left, however it was admitted: the last one nothing. (While a
      // lease hands over to the next, a few say a unit or two less: docs/scaling.md, quota leases.)
      const left = served.map((a) =>
        Number(/"requests";r=(\d+)/.exec(a.headers.get("ratelimit") ?? "")?.[1]),
      );
      expect(Math.min(...left)).toBe(0);
      expect(Math.max(...left)).toBeLessThanOrEqual(59);
      // And a row each: 60 of the day's 10,000.
      const identity = await gate.authenticate(key, null);
      if (!identity.ok) throw new Error("the signed-up key does not authenticate");
      const rows = (await gate.usage(identity.principal, 1)).windows.find((w) => w.policy.unit === "rows");
      expect(rows?.remaining).toBe(10_000 - 60);
      // A refused lookup reads nothing, not even the kept answer's rows in the near cache.
      const hits = await nearCacheEvents("hit");
      for (let i = 0; i < 5; i++) expect((await call(server, PATH, { headers })).status).toBe(429);
      expect(await nearCacheEvents("hit")).toBe(hits);
    } finally {
      held.mockRestore();
    }
  });

  it("is not answered after this process wrote the row (its own write invalidates at once)", async () => {
    await lookup();
    const key = rowKey(prefix, VIEW, ID);
    const row = unpackRow(ID, (await redis.get(key)) as string);
    await server.services.onlineStore.write(VIEW, [
      { ...row, values: { ...row.values, sentiment: "written" } },
    ]);
    expect((await lookup())[`${VIEW}:sentiment`]?.value).toBe("written");
  });
});
