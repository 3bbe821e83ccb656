import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeasingLimiter } from "../../src/access/leases";
import { createLimiterRedis, FlexibleLimiter, whenConnected } from "../../src/access/limiter";
import type { Policy } from "../../src/access/tiers";
import { commandsDuring, waitFor } from "../online/redis-harness";
import { dropPrefix, sharedRedis, uniquePrefix } from "./support";

const requests = (limit: number, windowSeconds = 60): Policy => ({
  name: "requests",
  limit,
  windowSeconds,
  window: "fixed",
  unit: "requests",
});

let admin: Redis;
const opened: Redis[] = [];
const limiters: LeasingLimiter[] = [];
let prefix: string;

/** One server process's limiter: its own connection, leases of `leaseMs`. */
async function processLimiter(leaseMs = 200, now?: () => number): Promise<LeasingLimiter> {
  const redis = createLimiterRedis(admin);
  opened.push(redis);
  expect(await whenConnected(redis)).toBe(true);
  const options = { leaseMs, ...(now ? { now } : {}) };
  const limiter = new LeasingLimiter(new FlexibleLimiter({ redis, prefix }), redis, prefix, options);
  limiters.push(limiter);
  return limiter;
}

const counter = async (subject: string) => Number(await admin.get(`${prefix}:rl:requests:${subject}`));
const spend = (limiter: LeasingLimiter, policy: Policy, subject: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => limiter.consume(policy, subject, 1)));
const admitted = (results: { allowed: boolean }[]) => results.filter((r) => r.allowed).length;

beforeAll(() => {
  admin = sharedRedis();
});
afterEach(async () => {
  for (const limiter of limiters.splice(0)) await limiter.close();
  await dropPrefix(admin, prefix);
  for (const redis of opened.splice(0)) redis.disconnect();
});
afterAll(() => admin.disconnect());

describe("quota leases", () => {
  it("spend a busy account's units in memory: a few scripts instead of one per request", async () => {
    prefix = uniquePrefix();
    const limiter = await processLimiter(10_000);
    const policy = requests(1_000_000);
    // Sequential spends: each renewal asks for twice what the last lease saw used.
    for (let i = 0; i < 50; i++) await limiter.consume(policy, "busy", 1);
    const commands = await commandsDuring(admin, prefix, async () => {
      for (let i = 0; i < 500; i++) {
        const result = await limiter.consume(policy, "busy", 1);
        expect(result.allowed).toBe(true);
      }
    });
    // MONITOR also lists the commands scripts run; the requests are the scripts themselves.
    const scripts = commands.filter((c) => c.startsWith("evalsha") || c.startsWith("eval "));
    // Renewals of 64, 128, 256 and 512 units, each with the spent lease's return.
    expect(scripts.length).toBeLessThanOrEqual(10);
    // Redis counts what was spent and what is held; the RateLimit figures count only the spent.
    expect(await counter("busy")).toBe(550 + limiter.heldUnits);
    expect((await limiter.consume(policy, "busy", 1)).remaining).toBe(1_000_000 - 551);
    await limiter.release();
    expect(limiter.heldUnits).toBe(0);
    expect(await counter("busy")).toBe(551);
  });

  it("ask for a busy account's next lease while the current one still spends", async () => {
    prefix = uniquePrefix();
    let now = 1_800_000_000_000; // a clock of its own, moved by hand: nothing here reads the time
    const limiter = await processLimiter(10_000, () => now);
    const policy = requests(1_000_000);
    for (let i = 0; i < 10; i++) await limiter.consume(policy, "ahead", 1);
    // No renewal on its way (Redis counts what was spent and what is held).
    await waitFor(async () => ((await counter("ahead")) === 10 + limiter.heldUnits ? true : undefined));
    // Past three quarters of the lease: the request spends from it, and the next lease is asked for.
    now += 8_000;
    const counted = await counter("ahead");
    const commands = await commandsDuring(admin, prefix, async () => {
      expect((await limiter.consume(policy, "ahead", 1)).allowed).toBe(true);
      // The spend itself changes nothing in Redis; the next lease's units do.
      await waitFor(async () => ((await counter("ahead")) !== counted ? true : undefined));
    });
    expect(commands.filter((c) => c.startsWith("evalsha") || c.startsWith("eval "))).not.toEqual([]);
    // The new lease replaced the old one, whose unspent units went back: Redis counts 11 spent and the held.
    await waitFor(async () => ((await counter("ahead")) === 11 + limiter.heldUnits ? true : undefined));
    await limiter.release();
    expect(await counter("ahead")).toBe(11);
  });

  it("admit exactly Q when the units are lent to a process that does not spend them", async () => {
    prefix = uniquePrefix();
    // The holder's leases last longer than the other's: the other waits for them all the same.
    const holder = await processLimiter(1_500);
    const other = await processLimiter(100);
    const policy = requests(2_000);
    for (let i = 0; i < 100; i++) await holder.consume(policy, "lent", 1);
    const held = holder.heldUnits;
    expect(held).toBeGreaterThan(0);
    // The other process asks for everything: the holder's units come back when its lease ends,
    // and the other waits for them rather than refusing while the quota is not spent.
    const results = await spend(other, policy, "lent", 2_500);
    expect(admitted(results)).toBe(1_900);
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true);
    expect(await counter("lent")).toBe(2_000);
  });

  it("admit exactly Q of N ≫ Q concurrent requests spread over three processes, leases in play", async () => {
    prefix = uniquePrefix();
    const processes = await Promise.all([processLimiter(), processLimiter(), processLimiter()]);
    const policy = requests(2_000);
    const waves = await Promise.all(
      processes.map(async (limiter, p) => {
        const results = [];
        // Uneven load: the processes renew at different sizes and times.
        for (let wave = 0; wave < 10; wave++)
          results.push(...(await spend(limiter, policy, "spread", 40 * (p + 1))));
        return results;
      }),
    );
    expect(waves.flat()).toHaveLength(2_400);
    expect(admitted(waves.flat())).toBe(2_000);
    expect(await counter("spread")).toBe(2_000);
  });

  it("spend held units at once, every charge or none, only when told to", async () => {
    prefix = uniquePrefix();
    const limiter = await processLimiter(10_000);
    const perMinute = requests(100_000);
    const perDay: Policy = { ...requests(100_000), name: "rows", unit: "rows", window: "utc-day" };
    const charges = [
      { policy: perMinute, subject: "held", cost: 1 },
      { policy: perDay, subject: "held", cost: 1 },
    ];
    expect(limiter.heldSpend(charges)).toBeUndefined();
    for (let i = 0; i < 20; i++) await limiter.consume(perMinute, "held", 1);
    // The requests are held, the rows are not: nothing is spent.
    const held = limiter.heldUnits;
    expect(held).toBeGreaterThan(1);
    expect(limiter.heldSpend(charges)).toBeUndefined();
    // Two charges on one counter are asked of it together: more than it holds is not held.
    const onOne = (first: number) => [
      { policy: perMinute, subject: "held", cost: first },
      { policy: perMinute, subject: "held", cost: 1 },
    ];
    expect(limiter.heldSpend(onOne(held))).toBeUndefined();
    expect(limiter.heldSpend(onOne(held - 1))).toBeDefined();
    expect(limiter.heldUnits).toBe(held);
    for (let i = 0; i < 20; i++) await limiter.consume(perDay, "held", 1);
    const before = limiter.heldUnits;
    const spend = limiter.heldSpend(charges);
    expect(limiter.heldUnits).toBe(before);
    expect(spend?.().map((r) => [r.policy.name, r.allowed])).toEqual([
      ["requests", true],
      ["rows", true],
    ]);
    expect(limiter.heldUnits).toBe(before - 2);
    await limiter.release();
    expect(await counter("held")).toBe(21);
  });

  it("admit exactly Q of N ≫ Q over three processes spending held units at once where they can", async () => {
    prefix = uniquePrefix();
    const processes = await Promise.all([processLimiter(), processLimiter(), processLimiter()]);
    const policy = requests(2_000);
    const charge = [{ policy, subject: "at-once", cost: 1 }];
    let atOnce = 0;
    const spendOne = (limiter: LeasingLimiter) => {
      const held = limiter.heldSpend(charge)?.()[0];
      if (held) atOnce++;
      return held ?? limiter.consume(policy, "at-once", 1);
    };
    const waves = await Promise.all(
      processes.map(async (limiter, p) => {
        const results = [];
        for (let wave = 0; wave < 10; wave++)
          results.push(...(await Promise.all(Array.from({ length: 40 * (p + 1) }, () => spendOne(limiter)))));
        return results;
      }),
    );
    expect(atOnce).toBeGreaterThan(0);
    expect(admitted(waves.flat())).toBe(2_000);
    expect(await counter("at-once")).toBe(2_000);
  });

  it("give a refund back into the lease and return it with the rest", async () => {
    prefix = uniquePrefix();
    const limiter = await processLimiter(10_000);
    const policy = requests(1_000);
    await spend(limiter, policy, "refund", 20);
    await limiter.refund(policy, "refund", 5);
    await limiter.release();
    expect(await counter("refund")).toBe(15);
  });

  it("end a lease with its window: the next window is not given the last one's units", async () => {
    prefix = uniquePrefix();
    const limiter = await processLimiter(10_000);
    const policy = requests(1_000, 1);
    for (let i = 0; i < 20; i++) await limiter.consume(policy, "window", 1);
    expect(limiter.heldUnits).toBeGreaterThan(0);
    // A stalled process: the lease's own end comes after its window ended, with units unspent.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_200);
    for (let i = 0; i < 3; i++) await limiter.consume(policy, "window", 1);
    await limiter.release();
    expect(await counter("window")).toBe(3);
    expect(await admin.pttl(`${prefix}:rl:requests:window`)).toBeGreaterThan(0);
  });

  it("write off a dead holder's units after the grace period, then refuse", async () => {
    prefix = uniquePrefix();
    const holder = await processLimiter(200);
    const other = await processLimiter(200);
    const policy = requests(500);
    for (let i = 0; i < 60; i++) await holder.consume(policy, "dead", 1);
    const held = holder.heldUnits;
    expect(held).toBeGreaterThan(0);
    // The holder's process dies: its connection is gone and its lease is never given back.
    opened[0]?.disconnect();
    const results = await spend(other, policy, "dead", 600);
    expect(admitted(results)).toBe(500 - 60 - held);
    expect(await counter("dead")).toBe(500);
  });
});
