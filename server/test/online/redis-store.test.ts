import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { silentLogger } from "../../src/log/logger";
import { CircuitBreaker } from "../../src/online/circuit-breaker";
import { InvalidViewKeyError, rowKey } from "../../src/online/redis-keys";
import { NEAR_KEEP_MAX_ROWS, READ_GROUP_KEYS, RedisOnlineStore } from "../../src/online/redis-store";
import { startTcpProxy } from "../support/tcp-proxy";
import { makeRow, range, rows } from "./fixtures";
import {
  clientAddress,
  deletePrefix,
  type Monitor,
  openMonitor,
  SHARED_REDIS_URL,
  uniquePrefix,
  waitFor,
} from "./redis-harness";

const prefix = uniquePrefix();
let redis: Redis;
let store: RedisOnlineStore;

beforeAll(() => {
  redis = new Redis(SHARED_REDIS_URL);
  store = new RedisOnlineStore(new Redis(SHARED_REDIS_URL), { prefix });
});
afterAll(async () => {
  await store.close();
  await deletePrefix(prefix);
  redis.disconnect();
});

describe("RedisOnlineStore", () => {
  it("reads back what it wrote, values and event timestamps intact", async () => {
    await store.write("qwen_analysis@1", rows([1, 2, 3]));
    const found = await store.read("qwen_analysis@1", ["1", "2", "3"]);
    expect([...found.keys()]).toEqual(["1", "2", "3"]);
    expect(found.get("2")).toEqual(makeRow(2));
  });

  it("keeps an entity's row for one view version under one key, its hash tag the version and a shard of the id", async () => {
    await store.write("qwen_analysis@1", rows([42]));
    const key = rowKey(prefix, "qwen_analysis@1", "42");
    expect(key).toMatch(new RegExp(`^${prefix}:\\{qwen_analysis@1~([0-9]|[1-5][0-9]|6[0-3])\\}:42$`));
    const raw = await redis.get(key);
    expect(JSON.parse(raw ?? "null")).toEqual({ t: makeRow(42).eventTimestamp, v: makeRow(42).values });
  });

  it("leaves out ids that have no row, and answers duplicates once", async () => {
    await store.write("qwen_analysis@1", rows([10, 11]));
    const found = await store.read("qwen_analysis@1", ["10", "missing", "11", "10", "999999"]);
    expect([...found.keys()]).toEqual(["10", "11"]);
    expect((await store.read("qwen_analysis@1", [])).size).toBe(0);
  });

  it("serves several versions of a view side by side and deletes one without touching the other", async () => {
    await store.write("emotion@1", rows(range(0, 20), 1));
    await store.write("emotion@2", rows(range(0, 20), 2));
    expect((await store.read("emotion@1", ["5"])).get("5")?.values.version).toBe(1);
    expect((await store.read("emotion@2", ["5"])).get("5")?.values.version).toBe(2);
    expect(await store.deleteView("emotion@1")).toBe(20);
    expect((await store.read("emotion@1", ["5"])).size).toBe(0);
    expect((await store.read("emotion@2", range(0, 20).map(String))).size).toBe(20);
    expect(await store.deleteView("emotion@1")).toBe(0);
  });

  it("reads a batch of 1,000 ids (with some missing) in MGETs of at most 512 keys, sent together", async () => {
    const present = range(0, 1_000).filter((i) => i % 10 !== 0);
    await store.write("big@1", rows(present));
    const ids = range(0, 1_000).map(String);
    const monitor = await openMonitor(redis);
    onTestFinished(() => monitor.disconnect());
    const commands: string[] = [];
    const sizes: number[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (!args.some((a) => a.startsWith(`${prefix}:{big@1`))) return;
      commands.push((args[0] ?? "").toLowerCase());
      sizes.push(args.length - 1);
    });
    const found = await store.read("big@1", ids);
    // A marker command after the read: once MONITOR shows it, it has shown everything before it.
    await redis.get(`${prefix}:{big@1~0}:marker`);
    await waitFor(async () => (commands.includes("get") ? true : undefined));
    monitor.disconnect();
    expect(found.size).toBe(900);
    expect(found.has("0")).toBe(false);
    expect(found.get("999")).toEqual(makeRow(999));
    expect(commands).toEqual(["mget", "mget", "get"]);
    expect(sizes).toEqual([READ_GROUP_KEYS, 1_000 - READ_GROUP_KEYS, 1]);
  });

  it("with ifAbsent keeps rows already there and adds the rest", async () => {
    await store.write("keep@1", [makeRow(1, 1)]);
    await store.write("keep@1", [makeRow(1, 9), makeRow(2, 9)], { ifAbsent: true });
    const found = await store.read("keep@1", ["1", "2"]);
    expect(found.get("1")?.values.version).toBe(1);
    expect(found.get("2")?.values.version).toBe(9);
  });

  it("overwrites on a plain write (a new materialization of the same version)", async () => {
    await store.write("over@1", [makeRow(1, 1)]);
    await store.write("over@1", [makeRow(1, 2)]);
    expect((await store.read("over@1", ["1"])).get("1")?.values.version).toBe(2);
  });

  it("refuses view keys that could escape their hash tag", async () => {
    for (const bad of ["qwen", "qwen@0", "a}b@1", "qwen@1:x", "Q@1"]) {
      await expect(store.read(bad, ["1"])).rejects.toBeInstanceOf(InvalidViewKeyError);
    }
    expect(() => new RedisOnlineStore(redis, { prefix: "bad prefix" })).toThrow(InvalidViewKeyError);
  });

  it("deletes only its own deployment's rows", async () => {
    const other = new RedisOnlineStore(new Redis(SHARED_REDIS_URL), { prefix: `${prefix}-other` });
    try {
      await other.write("shared@1", rows([1, 2]));
      await store.write("shared@1", rows([1, 2]));
      expect(await store.deleteView("shared@1")).toBe(2);
      expect((await other.read("shared@1", ["1", "2"])).size).toBe(2);
      expect(await other.deleteView("shared@1")).toBe(2);
    } finally {
      await other.close();
    }
  });

  it("sends a read wider than the near cache keeps on the wide reads' connection, and a lookup on its own", async () => {
    const [shared, wide] = [new Redis(SHARED_REDIS_URL), new Redis(SHARED_REDIS_URL)];
    const own = new RedisOnlineStore(shared, { prefix, wideReads: wide });
    let monitor: Monitor | undefined;
    try {
      const ids = range(0, NEAR_KEEP_MAX_ROWS + 1);
      // Two views, each narrower than the near cache keeps, read together: one read that wide.
      await own.write("widea@1", rows(ids.slice(0, 600)));
      await own.write("wideb@1", rows(ids.slice(600)));
      const addresses = { shared: await clientAddress(shared), wide: await clientAddress(wide) };
      monitor = await openMonitor(redis);
      const senders: string[] = [];
      let markerSeen = false;
      monitor.on("monitor", (_time, args, client) => {
        if (!args.some((a) => a.startsWith(`${prefix}:{wide`))) return;
        const command = (args[0] ?? "").toLowerCase();
        if (command === "get") markerSeen = true;
        const by = client === addresses.wide ? "wide" : client === addresses.shared ? "shared" : client;
        if (command === "mget") senders.push(`mget ${args.length - 1} by ${by}`);
      });
      const [a, b] = await own.readMany([
        { viewKey: "widea@1", ids: ids.slice(0, 600).map(String) },
        { viewKey: "wideb@1", ids: ids.slice(600).map(String) },
      ]);
      const lookup = await own.read("widea@1", ["7"]);
      await redis.get(`${prefix}:{widea@1~0}:marker`);
      // Once MONITOR shows this marker, it has shown every command before it.
      await waitFor(async () => (markerSeen ? true : undefined));
      expect(a?.size).toBe(600);
      expect(b?.get(String(NEAR_KEEP_MAX_ROWS))).toEqual(makeRow(NEAR_KEEP_MAX_ROWS));
      expect(lookup.get("7")).toEqual(makeRow(7));
      const groups = range(0, Math.ceil(ids.length / READ_GROUP_KEYS)).map((g) =>
        Math.min(READ_GROUP_KEYS, ids.length - g * READ_GROUP_KEYS),
      );
      expect(senders).toEqual([...groups.map((n) => `mget ${n} by wide`), "mget 1 by shared"]);
    } finally {
      monitor?.disconnect();
      await own.close();
      wide.disconnect();
    }
  });

  it("reads again on the shared connection when the wide one fails, and opens no circuit lookups share", async () => {
    const shared = new Redis(SHARED_REDIS_URL);
    const proxy = await startTcpProxy(Number(new URL(SHARED_REDIS_URL).port || 6379));
    // As the server's clients are: a command on a lost connection fails at once.
    const wide = new Redis({
      port: proxy.port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    const breaker = new CircuitBreaker(shared, { logger: silentLogger });
    const own = new RedisOnlineStore(shared, { prefix, breaker, wideReads: wide });
    try {
      const ids = range(0, NEAR_KEEP_MAX_ROWS + 1);
      await own.write("widec@1", rows(ids));
      await wide.connect();
      const cut = proxy.cutOnRequest("widec@1");
      const found = await own.read("widec@1", ids.map(String));
      await cut;
      expect(found.size).toBe(ids.length);
      expect(found.get("1000")).toEqual(makeRow(1000));
      expect(breaker.open).toEqual([]);
      // While it is down, wide reads go on the shared connection from the start.
      expect(wide.status).not.toBe("ready");
      expect((await own.read("widec@1", ids.map(String))).size).toBe(ids.length);
      expect(breaker.open).toEqual([]);
    } finally {
      await own.close();
      wide.disconnect();
      await proxy.stop();
    }
  });

  it("keeps a hot row decoded through a read wider than the near cache keeps: the wide one decodes for itself", async () => {
    // No near cache: decoded rows are kept, room for 100 of them.
    const own = new RedisOnlineStore(new Redis(SHARED_REDIS_URL), { prefix, decodedRows: 100 });
    try {
      const wide = range(1, NEAR_KEEP_MAX_ROWS + 3);
      await own.write("hot@1", rows(wide));
      const hot = (await own.read("hot@1", ["1"])).get("1");
      const others = await own.read("hot@1", wide.slice(1).map(String));
      expect(others.size).toBe(NEAR_KEEP_MAX_ROWS + 1);
      expect((await own.read("hot@1", ["1"])).get("1")).toBe(hot);
      // A narrow read keeps what it decodes.
      const narrow = (await own.read("hot@1", ["2", "3"])).get("2");
      expect((await own.read("hot@1", ["2"])).get("2")).toBe(narrow);
    } finally {
      await own.close();
    }
  });
});
