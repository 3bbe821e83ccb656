import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../access/support";
import { burst, type Cluster, count, Q, startCluster } from "./cluster";
import { eventually, limiterBackend, type ServerProcess } from "./processes";

// A redis-server of this test's own, on a free port, stopped and started at will; 6379 is never touched.
let redis: PrivateRedis;
let cluster: Cluster;
let c: ServerProcess;
let d: ServerProcess;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  cluster = await startCluster({ count: 2, redisUrl: redis.url });
  [c, d] = cluster.servers as [ServerProcess, ServerProcess];
});
afterAll(async () => {
  await cluster?.stop();
  redis?.down();
});

const backends = async () => Promise.all([c, d].map(limiterBackend));
const untilBackend = (backend: string) =>
  eventually(
    async () => {
      const now = await backends();
      if (now.some((b) => b !== backend)) throw new Error(`limiter backends ${now.join(", ")}`);
    },
    30_000,
    100,
  );

describe("a Redis outage under two server processes", () => {
  it("shares limits while Redis is up", async () => {
    expect(await backends()).toEqual(["redis", "redis"]);
    const { key } = await cluster.signup(c, "before@example.com");
    const result = await burst(cluster, [c, d], key, 3 * Q);
    expect(count(result.statuses, 200)).toBe(Q);
  });

  it("keeps serving while Redis is killed mid-burst: no 5xx, every answer limited", async () => {
    const { key } = await cluster.signup(d, "during@example.com");
    const statuses = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 10));
        if (i === 30) redis.down();
        const res = await cluster.call(i % 2 ? c : d, "GET", "/v1/usage", key);
        await res.arrayBuffer();
        if (!res.headers.get("ratelimit-policy")) throw new Error(`no RateLimit-Policy on ${res.status}`);
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // At most Q shared before the kill plus Q per process after it.
    expect(count(statuses, 200)).toBeLessThanOrEqual(3 * Q);
    await untilBackend("insurance");
  });

  it("limits each process in-process while Redis is down", async () => {
    const { key } = await cluster.signup(c, "outage@example.com");
    const onC = await burst(cluster, [c], key, 3 * Q);
    const onD = await burst(cluster, [d], key, 3 * Q);
    console.log(
      `redis down: admitted ${count(onC.statuses, 200)} on c, ${count(onD.statuses, 200)} on d (Q=${Q})`,
    );
    expect(count(onC.statuses, 200)).toBe(Q);
    expect(count(onD.statuses, 200)).toBe(Q);
    for (const seconds of [...onC.retryAfter, ...onD.retryAfter]) {
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
    }
    const ready = await fetch(`${c.url}/ready`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as {
      status: string;
      checks: Array<{ name: string; status: string }>;
    };
    expect(report.status).toBe("degraded");
    expect(report.checks).toContainEqual(expect.objectContaining({ name: "limiter", status: "fail" }));
  });

  it("shares limits again once Redis is back, without a restart", async () => {
    redis.up();
    await untilBackend("redis");
    const { key } = await cluster.signup(d, "after@example.com");
    const result = await burst(cluster, [c, d], key, 3 * Q);
    console.log(`redis back: N=${3 * Q} admitted=${count(result.statuses, 200)}`, result.byServer);
    expect(count(result.statuses, 200)).toBe(Q);
  });
});
