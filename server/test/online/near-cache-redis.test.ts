import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger";
import { NearCache } from "../../src/online/near-cache";
import { packRow, rowKey, rowKeysPrefix } from "../../src/online/redis-keys";
import { NEAR_KEEP_MAX_ROWS, RedisOnlineStore } from "../../src/online/redis-store";
import { type Tracking, trackInvalidations } from "../../src/online/tracking";
import { absentRow, type OnlineRow } from "../../src/online/types";
import { makeRow, range, rows } from "./fixtures";
import { commandsDuring, deletePrefix, SHARED_REDIS_URL, uniquePrefix, waitFor } from "./redis-harness";

const prefix = uniquePrefix();
const connectionName = `near-cache-test-${randomBytes(4).toString("hex")}`;
const VIEW = "qwen_analysis@1";
const key = (id: number | string) => rowKey(prefix, VIEW, String(id));

let redis: Redis;
let cache: NearCache;
let tracking: Tracking;
let store: RedisOnlineStore;

beforeAll(async () => {
  redis = new Redis(SHARED_REDIS_URL);
  const client = new Redis(SHARED_REDIS_URL);
  cache = new NearCache();
  tracking = trackInvalidations({
    client,
    keyPrefix: rowKeysPrefix(prefix),
    cache,
    logger: silentLogger,
    connectionName,
  });
  await tracking.ready;
  store = new RedisOnlineStore(client, { prefix, near: { cache, tracking } });
});
afterAll(async () => {
  await store.close();
  await deletePrefix(prefix);
  redis.disconnect();
});

describe("RedisOnlineStore with a near cache", () => {
  it("answers a row read before from this process, without asking Redis", async () => {
    expect(cache.enabled).toBe(true);
    await store.write(VIEW, rows([1, 2]));
    expect((await store.read(VIEW, ["1", "2"])).get("2")).toEqual(makeRow(2));
    const hitsBefore = cache.stats().hits;
    const commands = await commandsDuring(redis, prefix, async () => {
      const again = await store.readMany([{ viewKey: VIEW, ids: ["1", "2"] }]);
      expect(again[0]?.get("1")).toEqual(makeRow(1));
    });
    expect(commands).toEqual([]);
    expect(cache.stats().hits - hitsBefore).toBe(2);
  });

  it("asks Redis only for the rows it does not hold", async () => {
    await store.write(VIEW, rows([10, 11, 12]));
    await store.read(VIEW, ["10"]);
    const commands = await commandsDuring(redis, prefix, () => store.read(VIEW, ["10", "11", "12"]));
    expect(commands).toEqual([`mget ${key(11)} ${key(12)}`]);
  });

  it("sees its own write at once", async () => {
    await store.write(VIEW, rows([20], 1));
    await store.read(VIEW, ["20"]);
    await store.write(VIEW, rows([20], 2));
    expect((await store.read(VIEW, ["20"])).get("20")?.values.version).toBe(2);
  });

  it("sees another client's write, deletion and expiry once Redis reports them", async () => {
    await store.write(VIEW, rows([30, 31, 32]));
    await store.read(VIEW, ["30", "31", "32"]);
    await redis.set(key(30), packRow(makeRow(30, 7)));
    await redis.del(key(31));
    await redis.pexpire(key(32), 1);
    await waitFor(async () =>
      (await store.read(VIEW, ["30"])).get("30")?.values.version === 7 ? true : undefined,
    );
    await waitFor(async () => ((await store.read(VIEW, ["31"])).size === 0 ? true : undefined));
    await waitFor(async () => ((await store.read(VIEW, ["32"])).size === 0 ? true : undefined));
  });

  it("never keeps absence markers, which expire by TTL", async () => {
    await store.write(VIEW, [absentRow("40")], { ttlMs: 60_000 });
    await store.read(VIEW, ["40"]);
    const commands = await commandsDuring(redis, prefix, () => store.read(VIEW, ["40"]));
    expect(commands).toEqual([`mget ${key(40)}`]);
  });

  it("forgets a deleted view version", async () => {
    await store.write(VIEW, rows(range(50, 55)));
    await store.read(VIEW, ["50", "51"]);
    await store.deleteView(VIEW);
    expect((await store.read(VIEW, ["50", "51"])).size).toBe(0);
  });

  it("turns off and empties when its invalidation connection drops, and on again after reconnecting", async () => {
    await store.write(VIEW, rows([60]));
    await store.read(VIEW, ["60"]);
    const list = await redis.client("LIST");
    const id = String(list)
      .split("\n")
      .find((line) => line.includes(`name=${connectionName}`))
      ?.match(/^id=(\d+)/)?.[1];
    expect(id).toBeDefined();
    await redis.client("KILL", "ID", id as string);
    await waitFor(async () => (cache.enabled ? undefined : true));
    expect(cache.stats().rows).toBe(0);
    // A change while nobody reports changes must still be seen.
    await redis.set(key(60), packRow(makeRow(60, 9)));
    expect((await store.read(VIEW, ["60"])).get("60")?.values.version).toBe(9);
    await waitFor(async () => (cache.enabled ? true : undefined));
    await store.read(VIEW, ["60"]);
    await redis.set(key(60), packRow(makeRow(60, 10)));
    await waitFor(async () =>
      (await store.read(VIEW, ["60"])).get("60")?.values.version === 10 ? true : undefined,
    );
  });
  it("ends a watch over rows it holds once Redis reports another client's change to one", async () => {
    const before = cache.stats().invalidations;
    await store.write(VIEW, rows([70, 71]));
    // Redis reports this write too (each key counted once more than the two local invalidations).
    await waitFor(async () => (cache.stats().invalidations >= before + 6 ? true : undefined));
    const found = await store.read(VIEW, ["70", "71"]);
    const watch = store.watch(["70", "71"].map((id) => ({ viewKey: VIEW, row: found.get(id) as OnlineRow })));
    expect(watch?.reread()).toBe(true);
    await redis.set(key(71), packRow(makeRow(71, 3)));
    await waitFor(async () => (watch?.reread() ? undefined : true));
    expect((await store.read(VIEW, ["71"])).get("71")?.values.version).toBe(3);
  });
  it("keeps no row of a read wider than NEAR_KEEP_MAX_ROWS (a scan), and still answers from the rows it holds", async () => {
    // Last: its writes' invalidations (BCAST, every key under the prefix) arrive for a while after.
    const wide = range(100_000, 100_000 + NEAR_KEEP_MAX_ROWS + 2);
    await store.write(VIEW, rows(wide));
    await store.read(VIEW, ["100000"]);
    const before = cache.stats().rows;
    const read = await store.read(VIEW, wide.map(String));
    expect(read.size).toBe(wide.length);
    expect(cache.stats().rows).toBe(before);
    const commands = await commandsDuring(redis, prefix, () => store.read(VIEW, ["100000"]));
    expect(commands).toEqual([]);
    await store.read(VIEW, wide.slice(1, NEAR_KEEP_MAX_ROWS + 1).map(String));
    expect(cache.stats().rows).toBe(before + NEAR_KEEP_MAX_ROWS);
  });
});
