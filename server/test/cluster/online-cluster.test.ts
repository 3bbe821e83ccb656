import { randomUUID } from "node:crypto";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisInvalidationBus, type Invalidation } from "../../src/access/invalidation";
import { createLimiterRedis, FlexibleLimiter, whenConnected } from "../../src/access/limiter";
import type { Policy } from "../../src/access/tiers";
import { silentLogger } from "../../src/log/logger";
import {
  connectRedis,
  createRedisClient,
  parseClusterUrl,
  type RedisConnection,
} from "../../src/online/redis-client";
import { RedisOnlineStore } from "../../src/online/redis-store";
import { makeRow, range, rows } from "../online/fixtures";
import { waitFor } from "../online/redis-harness";
import { type LocalCluster, startRedisCluster } from "./redis-cluster";

let cluster: LocalCluster;
const opened: RedisConnection[] = [];

function client(): RedisConnection {
  const c = createRedisClient(cluster.url, silentLogger);
  opened.push(c);
  return c;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  for (const c of opened) c.disconnect();
  await cluster?.stop();
});

describe("REDIS_URL redis+cluster://", () => {
  it("parses seed nodes and credentials", () => {
    expect(parseClusterUrl("redis+cluster://u:p%40ss@10.0.0.1:7000,10.0.0.2:7001")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
      username: "u",
      password: "p@ss",
    });
    expect(() => parseClusterUrl("redis+cluster://")).toThrow(/seed nodes/);
  });

  it("opens an ioredis Cluster that sees three masters", async () => {
    const c = client();
    expect(c).toBeInstanceOf(Cluster);
    expect(await connectRedis(c)).toBe(true);
    expect((c as Cluster).nodes("master")).toHaveLength(3);
  });
});

describe("online store on Redis Cluster", () => {
  const views = range(0, 12).map((i) => `view_${i}@${(i % 3) + 1}`);
  let store: RedisOnlineStore;

  beforeAll(async () => {
    const c = client();
    await connectRedis(c);
    store = new RedisOnlineStore(c, { prefix: "rapfs-cluster-test" });
  });

  it("spreads each view version's rows over every master, and reads a 1,000-id batch across them", async () => {
    const c = opened[opened.length - 1] as Cluster;
    for (const view of views) await store.write(view, rows(range(0, 50)));
    await store.write("wide@1", rows(range(0, 3_000)));
    const perMaster: number[] = [];
    for (const node of c.nodes("master")) {
      perMaster.push((await node.keys("rapfs-cluster-test:{wide@1~*")).length);
    }
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(3_000);
    // One slot held the whole version before: every master holds a fair share now.
    for (const held of perMaster) expect(held).toBeGreaterThan(600);
    const ids = range(0, 1_000).map((i) => String(i * 3 + 1));
    const found = await store.read("wide@1", [...ids, "99999"]);
    expect(found.size).toBe(1_000);
    expect(await store.deleteView("wide@1")).toBe(3_000);
  });

  it("reads, reads many across slots, writes with TTL and NX, deletes a view", async () => {
    expect([...(await store.read(views[0] ?? "", ["3", "49", "999"])).keys()].sort()).toEqual(["3", "49"]);
    const many = await store.readMany(views.map((viewKey, i) => ({ viewKey, ids: [String(i), "404"] })));
    expect(many.map((m) => [...m.values()].map((r) => r.id))).toEqual(views.map((_, i) => [String(i)]));
    expect(many[5]?.get("5")).toEqual(makeRow(5));

    await store.write("ttl_view@1", rows([1, 2]), { ttlMs: 60_000 });
    await store.write("ttl_view@1", [makeRow(1, 2)], { ifAbsent: true, ttlMs: 60_000 });
    expect((await store.read("ttl_view@1", ["1"])).get("1")).toEqual(makeRow(1));

    expect(await store.deleteView(views[1] ?? "")).toBe(50);
    expect((await store.read(views[1] ?? "", ["1"])).size).toBe(0);
    expect((await store.read(views[2] ?? "", ["1"])).size).toBe(1);
  });
});

describe("limiter and invalidation on Redis Cluster", () => {
  const policy: Policy = {
    name: "requests",
    limit: 25,
    windowSeconds: 60,
    window: "fixed",
    unit: "requests",
  };

  it("admits exactly the limit from two limiter connections racing over many subjects", async () => {
    const base = client();
    await connectRedis(base);
    const prefix = `cluster-limit-${randomUUID()}`;
    const limiters: FlexibleLimiter[] = [];
    for (let i = 0; i < 2; i++) {
      const redis = createLimiterRedis(base);
      opened.push(redis);
      expect(await whenConnected(redis, 5_000)).toBe(true);
      limiters.push(new FlexibleLimiter({ redis, prefix }));
    }
    expect(limiters.map((l) => l.backend)).toEqual(["redis", "redis"]);
    // Subjects hash to different slots, so every master takes part.
    const subjects = range(0, 8).map((i) => `key-${i}`);
    const results = await Promise.all(
      subjects.flatMap((subject) =>
        range(0, 60).map((i) => (limiters[i % 2] as FlexibleLimiter).consume(policy, subject)),
      ),
    );
    for (let s = 0; s < subjects.length; s++) {
      const admitted = results.slice(s * 60, s * 60 + 60).filter((r) => r.allowed).length;
      expect(admitted).toBe(policy.limit);
    }
  });

  it("delivers invalidations between two buses over cluster pub/sub", async () => {
    const channel = `rapfs-cluster-test:access:invalidate:${randomUUID()}`;
    const [a, b] = [client(), client()];
    await Promise.all([connectRedis(a), connectRedis(b)]);
    const busA = createRedisInvalidationBus({ redis: a, channel });
    const busB = createRedisInvalidationBus({ redis: b, channel });
    try {
      await Promise.all([busA.ready(), busB.ready()]);
      const seen: Invalidation[] = [];
      busB.subscribe((event) => seen.push(event));
      await busA.publish({ kind: "key", id: "k1" });
      await waitFor(async () => (seen.length > 0 ? true : undefined));
      expect(seen).toEqual([{ kind: "key", id: "k1" }]);
    } finally {
      await Promise.all([busA.close(), busB.close()]);
    }
  });
});
