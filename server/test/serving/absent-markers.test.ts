import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger";
import { createMetrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { ReadThroughStore } from "../../src/online/read-through";
import { rowKey } from "../../src/online/redis-keys";
import { RedisOnlineStore } from "../../src/online/redis-store";
import type { FallbackLoader, OnlineStore } from "../../src/online/types";
import { makeRow } from "../online/fixtures";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "../online/redis-harness";

/** A source of truth holding ids below 10, recording what it is asked. */
function source() {
  const asked: string[][] = [];
  const load: FallbackLoader = async (_view, ids) => {
    asked.push([...ids]);
    return new Map(ids.filter((id) => Number(id) < 10).map((id) => [id, makeRow(id)] as const));
  };
  return { asked, load };
}

function readThrough(primary: OnlineStore, load: FallbackLoader) {
  const logger = createLogger("silent");
  const metrics = createMetrics({ defaultMetrics: false });
  return new ReadThroughStore({
    primary,
    layer: "test",
    fallback: load,
    metrics,
    logger,
    absentTtlMs: 1_000,
  });
}

const prefix = uniquePrefix();
const redis = new Redis(SHARED_REDIS_URL);
afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

describe("absence markers", () => {
  it("answer repeated lookups of missing ids without the fallback, until they expire", async () => {
    let now = 0;
    const { asked, load } = source();
    const store = readThrough(new MemoryOnlineStore({ now: () => now }), load);
    const first = await store.read("v@1", ["1", "50", "51"]);
    expect([...first.keys()]).toEqual(["1"]);
    expect(asked).toEqual([["1", "50", "51"]]);
    expect([...(await store.read("v@1", ["1", "50", "51"])).keys()]).toEqual(["1"]);
    expect(asked).toHaveLength(1);
    now = 1_001;
    await store.read("v@1", ["50"]);
    expect(asked).toEqual([["1", "50", "51"], ["50"]]);
  });

  it("are replaced by a real row written later (a sync), and expire in Redis", async () => {
    const { asked, load } = source();
    const primary = new RedisOnlineStore(redis, { prefix });
    const store = readThrough(primary, load);
    expect((await store.read("v@1", ["77"])).size).toBe(0);
    expect(await redis.pttl(rowKey(prefix, "v@1", "77"))).toBeGreaterThan(0);
    await primary.write("v@1", [makeRow(77)]);
    expect((await store.read("v@1", ["77"])).get("77")).toEqual(makeRow(77));
    expect(await redis.pttl(rowKey(prefix, "v@1", "77"))).toBe(-1);
    expect(asked).toEqual([["77"]]);
  });
});
