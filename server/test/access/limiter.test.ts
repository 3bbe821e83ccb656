import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeasingLimiter } from "../../src/access/leases";
import {
  createLimiterRedis,
  FlexibleLimiter,
  type Limiter,
  type LimitResult,
  whenConnected,
} from "../../src/access/limiter";
import type { Policy } from "../../src/access/tiers";
import { waitFor } from "../online/redis-harness";
import { dropPrefix, PrivateRedis, sharedRedis, uniquePrefix } from "./support";

const policy = (
  limit: number,
  window: Policy["window"] = "fixed",
  unit: Policy["unit"] = "requests",
): Policy => ({
  name: unit,
  limit,
  windowSeconds: window === "fixed" ? 60 : 86_400,
  window,
  unit,
});

let admin: Redis;
const opened: Redis[] = [];
const prefixes: string[] = [];

/** Every spend a script on Redis, or quota leased ahead and spent in memory (the server's default). */
const variants = [
  { name: "every spend on Redis", leaseMs: 0 },
  { name: "leased quota", leaseMs: 100 },
];
type Variant = (typeof variants)[number];

/** A limiter with its own connection, standing in for one server process. */
async function processLimiter(
  variant: Variant,
  prefix: string,
  base: Redis = admin,
  now?: () => Date,
): Promise<Limiter> {
  const redis = createLimiterRedis(base);
  opened.push(redis);
  expect(await whenConnected(redis)).toBe(true);
  const shared = new FlexibleLimiter({ redis, prefix, now });
  if (variant.leaseMs === 0) return shared;
  return new LeasingLimiter(shared, redis, prefix, {
    leaseMs: variant.leaseMs,
    ...(now ? { now: () => now().getTime() } : {}),
  });
}

/** Gives back what a process holds leased, so Redis counts only what was spent. */
const settle = (...limiters: Limiter[]) =>
  Promise.all(limiters.map((l) => (l instanceof LeasingLimiter ? l.release() : undefined)));

beforeAll(() => {
  admin = sharedRedis();
});
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await dropPrefix(admin, prefix);
  for (const redis of opened.splice(0)) redis.disconnect();
});
afterAll(() => {
  admin.disconnect();
});

describe.each(variants)("shared limits on Redis, $name", (variant) => {
  it("admit exactly Q of N ≫ Q concurrent requests across two processes", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const a = await processLimiter(variant, prefix);
    const b = await processLimiter(variant, prefix);
    const quota = policy(50);
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => (i % 2 ? a : b).consume(quota, "acct-1", 1)),
    );
    expect(a.backend).toBe("redis");
    const admitted = results.filter((r) => r.allowed);
    expect(admitted).toHaveLength(50);
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.resetSeconds > 0)).toBe(
      true,
    );
    // Refused requests were refunded, so the shared counter holds exactly what was admitted.
    expect((await b.peek(quota, "acct-1")).remaining).toBe(0);
    expect(await admin.get(`${prefix}:rl:requests:acct-1`)).toBe("50");
  });

  it("charge a batch its row count, never over the quota, and refund a refused batch", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const a = await processLimiter(variant, prefix);
    const b = await processLimiter(variant, prefix);
    const rows = policy(1_000, "utc-day", "rows");
    const sizes = Array.from({ length: 300 }, (_, i) => 1 + ((i * 37) % 50));
    const results = await Promise.all(sizes.map((size, i) => (i % 2 ? a : b).consume(rows, "acct-2", size)));
    const spent = sizes.filter((_, i) => results[i]?.allowed).reduce((sum, size) => sum + size, 0);
    await settle(a, b);
    expect(spent).toBeLessThanOrEqual(1_000);
    expect(spent).toBeGreaterThan(950);
    const left = await a.peek(rows, "acct-2");
    expect(left.remaining).toBe(1_000 - spent);
    // A batch bigger than what is left is refused whole and costs nothing.
    const tooBig = await a.consume(rows, "acct-2", left.remaining + 1);
    expect(tooBig).toMatchObject({ allowed: false, remaining: left.remaining });
    if (left.remaining > 0) expect((await b.consume(rows, "acct-2", left.remaining)).allowed).toBe(true);
    expect((await b.peek(rows, "acct-2")).remaining).toBe(0);
  });

  it("keep accounts and policies apart and keep spent units when a tier changes", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const limiter = await processLimiter(variant, prefix);
    await limiter.consume(policy(10), "acct-x", 7);
    expect((await limiter.peek(policy(10), "acct-y")).remaining).toBe(10);
    expect((await limiter.peek(policy(10, "utc-day", "rows"), "acct-x")).remaining).toBe(10);
    // Upgraded to a bigger limit within the window: the 7 already spent still count.
    expect((await limiter.consume(policy(1_000), "acct-x", 1)).remaining).toBe(992);
  });

  it("reset daily quotas at UTC midnight", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const now = new Date("2031-05-06T23:59:00Z");
    const limiter = await processLimiter(variant, prefix, admin, () => now);
    const result = await limiter.consume(policy(3, "utc-day", "downloads"), "acct-d", 1);
    expect(result).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 60 });
    expect(await admin.get(`${prefix}:rl:downloads:acct-d:2031-05-06`)).toBe("1");
  });
});

describe("without Redis", () => {
  it("limit in-process with the same interface", async () => {
    const limiter = new FlexibleLimiter({ prefix: uniquePrefix() });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => limiter.consume(policy(7), "acct", 1)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    expect(limiter.backend).toBe("memory");
    expect((await limiter.consume(policy(5, "utc-day", "rows"), "acct", 6)).allowed).toBe(false);
    expect((await limiter.consume(policy(5, "utc-day", "rows"), "acct", 5)).allowed).toBe(true);
  });
});

describe.each(variants)("when Redis fails, $name", (variant) => {
  it("keeps limiting in-process without rejecting for the outage, then shares limits again", async () => {
    const server = await PrivateRedis.start();
    const { Redis } = await import("ioredis");
    const base = new Redis(server.url, { lazyConnect: true });
    const prefix = uniquePrefix();
    const a = await processLimiter(variant, prefix, base);
    const b = await processLimiter(variant, prefix, base);
    try {
      const quota = policy(20);
      const spend = (limiter: Limiter, n: number) =>
        Promise.all(Array.from({ length: n }, () => limiter.consume(quota, "acct-o", 1)));
      const allowed = (results: LimitResult[]) => results.filter((r) => r.allowed).length;

      expect(allowed([...(await spend(a, 5)), ...(await spend(b, 5))])).toBe(10);

      server.down();
      await Promise.all(
        opened.map((redis) =>
          redis.status === "ready" ? new Promise((resolve) => redis.once("close", resolve)) : undefined,
        ),
      );
      expect(a.backend).toBe("insurance");
      // Every request gets an answer; each process now enforces the quota on its own.
      const during = await spend(a, 30);
      expect(during).toHaveLength(30);
      expect(allowed(during)).toBe(20);
      expect(during.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true);

      server.up();
      await Promise.all(opened.map((redis) => whenConnected(redis, 10_000)));
      expect(a.backend).toBe("redis");
      // Shared again. The restarted Redis kept nothing, but a's 20 units granted in memory are
      // added to its count before its next decision: the window is spent, nothing more is
      // admitted this minute (forgetting them admitted 20 more).
      // a does it by itself within a second, with no request to trigger it, so b, asked first, knows.
      await waitFor(async () =>
        (await opened[0]?.get(`${prefix}:rl:requests:acct-o`)) === "20" ? true : undefined,
      );
      const after = [...(await spend(b, 15)), ...(await spend(a, 15))];
      expect(allowed(after)).toBe(0);
      expect(await opened[0]?.get(`${prefix}:rl:requests:acct-o`)).toBe("20");
    } finally {
      server.down();
    }
  });
});
