import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../src/db/circuit";
import { silentLogger } from "../../src/log/logger";
import { createMetrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { ReadThroughStore } from "../../src/online/read-through";
import { RedisOnlineStore } from "../../src/online/redis-store";
import { absentRow, type FallbackLoader, type OnlineStore } from "../../src/online/types";
import { range, rows } from "./fixtures";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "./redis-harness";

/**
 * Issue #37 item 3: a view version the online store holds whole answers a missing row as absent
 * without asking Postgres; one it does not (still syncing, or keys lost since) still asks.
 */

const VIEW = "gemma_analysis@1";
/** Rows 0..49 exist; 50..59 have no row in the view (a track without a gemma analysis). */
const PRESENT = range(0, 50);
const ABSENT_IDS = range(50, 60).map(String);

/** Postgres stopped: every fallback read fails as the database layer does. */
function stoppedDatabase() {
  const asked: string[][] = [];
  const load: FallbackLoader = async (_view, ids) => {
    asked.push([...ids]);
    throw new DatabaseUnavailableError("The database cannot be reached (test).");
  };
  return { load, asked };
}

function readThrough(primary: OnlineStore) {
  const database = stoppedDatabase();
  const store = new ReadThroughStore({
    primary,
    layer: "test",
    fallback: database.load,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
  return { store, asked: database.asked };
}

/** What the sync does: open a copy, write every row, seal it at the run. */
async function copyWhole(store: OnlineStore, runId: number): Promise<boolean> {
  const copy = await (store.beginCopy?.(VIEW, runId) as ReturnType<NonNullable<OnlineStore["beginCopy"]>>);
  await store.write(VIEW, rows(PRESENT));
  return copy.seal();
}

/** The store, where a sync copies the version whole just before a read looks at its seal. */
function sealedBetweenReadAndLook(primary: OnlineStore): OnlineStore {
  return new Proxy(primary, {
    get(target, name) {
      if (name === "vouchedAbsent")
        return async (view: string, ids: readonly string[]) => {
          await copyWhole(target, 5);
          return target.vouchedAbsent(view, ids);
        };
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const opened: Redis[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const client of opened) client.disconnect();
  for (const prefix of prefixes) await deletePrefix(prefix);
});

function redisStore(): RedisOnlineStore {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const client = new Redis(SHARED_REDIS_URL);
  opened.push(client);
  return new RedisOnlineStore(client, { prefix });
}

const topologies: [string, () => OnlineStore][] = [
  ["the in-process store", () => new MemoryOnlineStore({ maxRows: 1_000 })],
  ["Redis", redisStore],
];

describe.each(topologies)("completeness on %s", (_name, makeStore) => {
  it("answers absent ids of a version copied whole without the database, single and batch", async () => {
    const primary = makeStore();
    expect(await copyWhole(primary, 7)).toBe(true);
    expect(await primary.completeRun?.(VIEW)).toBe(7);
    const { store, asked } = readThrough(primary);

    const single = await store.read(VIEW, [ABSENT_IDS[0] as string]);
    expect(single.size).toBe(0);
    const batch = await store.read(VIEW, ["1", ...ABSENT_IDS, "2"]);
    expect([...batch.keys()]).toEqual(["1", "2"]);
    const [many] = await store.readMany([{ viewKey: VIEW, ids: ["3", "55"] }]);
    expect([...(many ?? new Map()).keys()]).toEqual(["3"]);
    expect(asked).toEqual([]);
  });

  it("answers the rows a sync wrote and sealed between the read that missed them and its look at the seal", async () => {
    const primary = makeStore();
    const asked: string[][] = [];
    const store = new ReadThroughStore({
      primary: sealedBetweenReadAndLook(primary),
      layer: "test",
      fallback: async (_view, ids) => {
        asked.push([...ids]);
        return new Map(rows(ids.map(Number).filter((id) => id < 50)).map((row) => [row.id, row]));
      },
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
    });
    // Fails where the seal alone vouches: every id the read missed was answered absent.
    expect([...(await store.read(VIEW, ["1", "2", "55"])).keys()]).toEqual(["1", "2"]);
    expect(asked).toEqual([["1", "2"]]);
  });

  it("asks the database for a version never sealed (still syncing), and fails with it", async () => {
    const primary = makeStore();
    await primary.beginCopy?.(VIEW, 1);
    await primary.write(VIEW, rows(PRESENT));
    expect(await primary.completeRun?.(VIEW)).toBeNaN();
    const { store, asked } = readThrough(primary);
    expect((await store.read(VIEW, ["1"])).size).toBe(1);
    await expect(store.read(VIEW, ["1", "55"])).rejects.toThrow(DatabaseUnavailableError);
    expect(asked).toEqual([["55"]]);
  });

  it("stops vouching once the version's rows are gone, and a copy that lost rows is not sealed", async () => {
    const primary = makeStore();
    expect(await copyWhole(primary, 3)).toBe(true);
    await primary.deleteView(VIEW);
    expect(await primary.completeRun?.(VIEW)).toBeNaN();
    const { store, asked } = readThrough(primary);
    await expect(store.read(VIEW, ["1"])).rejects.toThrow(DatabaseUnavailableError);
    expect(asked).toEqual([["1"]]);

    // Keys lost in the middle of a copy (a flush, a master restarted empty): the seal is refused.
    const copy = await (primary.beginCopy?.(VIEW, 4) as ReturnType<NonNullable<OnlineStore["beginCopy"]>>);
    await primary.write(VIEW, rows(PRESENT));
    await primary.deleteView(VIEW);
    await primary.write(VIEW, rows(PRESENT.slice(10)));
    expect(await copy.seal()).toBe(false);
    expect(await primary.completeRun?.(VIEW)).toBeNaN();
  });
});

describe("completeness of the in-process store", () => {
  it("holds a version copied whole outside the LRU: no other view's rows evict it, and it stays sealed", async () => {
    const primary = new MemoryOnlineStore({ maxRows: 10 });
    expect(await copyWhole(primary, 1)).toBe(true);
    await primary.write("other_view@1", rows(range(0, 100)));
    expect(primary.holds(VIEW)).toBe(true);
    expect(await primary.completeRun(VIEW)).toBe(1);
    expect((await primary.read(VIEW, PRESENT.map(String))).size).toBe(PRESENT.length);
    // The LRU kept its bound with the other view's rows alone.
    expect((await primary.read("other_view@1", range(0, 100).map(String))).size).toBe(10);
    expect(primary.size).toBe(PRESENT.length + 10);
  });

  it("keeps a version it holds whole when told to forget rows (its sync writes them), not the LRU's", async () => {
    const primary = new MemoryOnlineStore({ maxRows: 100 });
    expect(await copyWhole(primary, 2)).toBe(true);
    await primary.write("other_view@1", rows(range(0, 5)));
    await primary.forget(VIEW, ["1", "2"]);
    await primary.forget("other_view@1", ["1", "2"]);
    expect((await primary.read(VIEW, ["1", "2"])).size).toBe(2);
    expect(await primary.completeRun(VIEW)).toBe(2);
    expect((await primary.read("other_view@1", ["1", "2", "3"])).size).toBe(1);
  });

  it("fills a version it holds from its sync alone: no LRU leftover, no backfill, and lets it go with deleteView", async () => {
    const primary = new MemoryOnlineStore({ maxRows: 5 });
    await primary.write(VIEW, rows(range(100, 103)));
    const copy = await primary.beginCopy(VIEW, 5);
    // A read-through backfill (a row, an absence marker) loaded before a run removed the row.
    await primary.write(VIEW, rows(range(200, 201)), { ifAbsent: true });
    await primary.write(VIEW, [absentRow("201")], { ifAbsent: true, ttlMs: 60_000 });
    await primary.write(VIEW, rows(range(0, 3)));
    expect(await copy.seal()).toBe(true);
    expect([...(await primary.read(VIEW, ["0", "100", "200", "201"])).keys()]).toEqual(["0"]);
    // The leftovers age out of the LRU without unsealing the version.
    await primary.write("other_view@1", rows(range(0, 10)));
    expect(await primary.completeRun(VIEW)).toBe(5);
    expect(await primary.deleteView(VIEW)).toBe(3);
    expect(primary.holds(VIEW)).toBe(false);
    expect(await primary.completeRun(VIEW)).toBeNaN();
  });

  it("vouches only for ids still without a row: one written after a read missed it is not absent", async () => {
    const primary = new MemoryOnlineStore();
    expect(await copyWhole(primary, 1)).toBe(true);
    await primary.write(VIEW, rows(range(70, 71)));
    expect([...(await primary.vouchedAbsent(VIEW, ["70", "71"]))]).toEqual(["71"]);
  });

  it("keeps a version sealed when a wide read that began before the copy resumes after it", async () => {
    const count = 100_000;
    const ids = range(0, count).map(String);
    const primary = new MemoryOnlineStore({ maxRows: count });
    await primary.write(VIEW, rows(range(0, count)));
    // So many ids that the read lets the event loop turn along the way; the copy begins meanwhile.
    let readDone = false;
    const reading = primary.read(VIEW, ids).then(() => {
      readDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(readDone).toBe(false);
    const copy = await primary.beginCopy(VIEW, 9);
    await primary.write(VIEW, rows(range(0, count)));
    expect(await copy.seal()).toBe(true);
    await reading;
    await primary.write("other_view@1", rows(range(0, count)));
    expect(await primary.completeRun(VIEW)).toBe(9);
    expect((await primary.read(VIEW, ids)).size).toBe(count);
  });

  it("stops vouching once an expired row of a version it holds is gone, but not for an expired absence marker", async () => {
    let now = 0;
    const primary = new MemoryOnlineStore({ maxRows: 100, now: () => now });
    expect(await copyWhole(primary, 1)).toBe(true);
    await primary.write(VIEW, [absentRow("77")], { ttlMs: 10 });
    now = 20;
    expect((await primary.read(VIEW, ["77"])).size).toBe(0);
    expect(await primary.completeRun(VIEW)).toBe(1);
    await primary.write(VIEW, rows(range(80, 81)), { ttlMs: 10 });
    now = 40;
    expect((await primary.read(VIEW, ["80"])).size).toBe(0);
    expect(await primary.completeRun(VIEW)).toBeNaN();
  });
});

describe("completeness in Redis", () => {
  it("is lost with the seal key when Redis loses its keys (a flush), while the rows answer", async () => {
    const primary = redisStore();
    expect(await copyWhole(primary, 2)).toBe(true);
    const client = opened[opened.length - 1] as Redis;
    const seals = await client.keys(`${primary.prefix}:complete-sharded:*`);
    expect(seals).toEqual([`${primary.prefix}:complete-sharded:${VIEW}`]);
    await client.del(...seals);
    const { store, asked } = readThrough(primary);
    expect((await store.read(VIEW, ["1"])).size).toBe(1);
    await expect(store.read(VIEW, ["55"])).rejects.toThrow(DatabaseUnavailableError);
    expect(asked).toEqual([["55"]]);
  });
});
