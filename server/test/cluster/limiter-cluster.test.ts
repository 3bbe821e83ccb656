import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiterRedis, FlexibleLimiter, whenConnected } from "../../src/access/limiter";
import type { Policy } from "../../src/access/tiers";
import { silentLogger } from "../../src/log/logger";
import { connectRedis, createRedisClient, type RedisConnection } from "../../src/online/redis-client";
import { range } from "../online/fixtures";
import { type LocalCluster, startRedisCluster } from "./redis-cluster";

let cluster: LocalCluster;
const opened: RedisConnection[] = [];
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  cluster = await startRedisCluster();
  process.on("uncaughtException", onUncaught);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  for (const c of opened) c.disconnect();
  await cluster?.stop();
});

const policy = (name: string, limit: number, windowSeconds = 60): Policy => ({
  name,
  limit,
  windowSeconds,
  window: "fixed",
  unit: "requests",
});

describe("the limiter on a Redis Cluster", () => {
  // A process crashed on a free key's first request: its policies' limiters were made then, while
  // leased spends of other keys already waited in the connection's auto-pipelines, and ioredis's
  // pipelines lacked the script defined after them ("pipeline[functionName] is not a function",
  // then an uncaught "results[i] is not iterable").
  it("a policy's first spend, sent while other commands wait in every node's pipeline, answers and throws nothing", async () => {
    const base = createRedisClient(cluster.url, silentLogger);
    opened.push(base);
    await connectRedis(base);
    const redis = createLimiterRedis(base);
    opened.push(redis);
    expect(await whenConnected(redis, 5_000)).toBe(true);
    const prefix = `cluster-first-spend-${randomUUID()}`;
    const limiter = new FlexibleLimiter({ redis, prefix });
    const subjects = range(0, 12).map((i) => `free-${i}`);
    // Commands on every master, waiting to be sent in this tick's pipelines.
    const waiting = subjects.map((subject) => redis.get(`${prefix}:rl:requests:${subject}`));
    const free = [policy("requests", 60), policy("rows", 10_000, 86_400)];
    const results = await Promise.all(
      subjects.flatMap((subject) => free.map((p) => limiter.consume(p, subject))),
    );
    await Promise.all(waiting);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uncaught).toEqual([]);
    expect(results.every((r) => r.allowed)).toBe(true);
    // Spent in Redis, not in the in-process insurance.
    expect(await base.get(`${prefix}:rl:requests:free-0`)).toBe("1");
    expect(limiter.backend).toBe("redis");
  });
});
