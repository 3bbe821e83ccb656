import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database";
import { silentLogger } from "../../../src/log/logger";
import { createMetrics, type Metrics } from "../../../src/metrics/registry";
import { CircuitBreaker } from "../../../src/online/circuit-breaker";
import { connectRedis, createRedisClient, type RedisConnection } from "../../../src/online/redis-client";
import { RedisOnlineStore } from "../../../src/online/redis-store";
import { SyncLocks } from "../../../src/online/sync-lock";
import type { OnlineStore } from "../../../src/online/types";
import { listViews } from "../../../src/registry";
import { OnlineStoreHealer } from "../../../src/serving/online-sync/online-healer";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "../../online/redis-harness";
import { holdWrites, stopWhileWriting } from "../../support/held-writes";
import { preparedDatabase } from "../../support/prepared-data";
import { SCALE, SEED } from "../support";

const prefix = uniquePrefix();
let database: Database;
const clients: RedisConnection[] = [];

/** What one server process has: its own connection, circuits, store, locks, metrics and healer. */
async function process(): Promise<{ healer: OnlineStoreHealer; store: RedisOnlineStore; metrics: Metrics }> {
  const client = createRedisClient(SHARED_REDIS_URL, silentLogger);
  clients.push(client);
  await connectRedis(client);
  const breaker = new CircuitBreaker(client, { logger: silentLogger });
  const store = new RedisOnlineStore(client, { prefix, breaker });
  const metrics = createMetrics({ defaultMetrics: false });
  const healer = new OnlineStoreHealer({
    sql: database.sql,
    markers: store,
    writer: store,
    locks: new SyncLocks(client, prefix),
    logger: silentLogger,
    metrics,
    intervalMs: 100,
  });
  return { healer, store, metrics };
}

async function syncs(metrics: Metrics): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find(
    (m) => m.name === "rapfs_online_syncs_total",
  );
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  database = await preparedDatabase({ scale: SCALE, seed: SEED });
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await deletePrefix(prefix);
  await database?.close();
});

describe("the online store heals itself", () => {
  it("three processes starting at once sync each view version once, not three times", async () => {
    const processes = await Promise.all([process(), process(), process()]);
    const results = await Promise.all(processes.map((p) => p.healer.check()));
    const views = (await listViews(database.sql)).filter((v) => v.lastRun?.status === "succeeded");
    expect(views.length).toBeGreaterThan(3);
    for (const view of views) {
      const key = `${view.name}@${view.version}`;
      const modes = results.map((r) => r.find((x) => x.viewKey === key)?.mode);
      // One copy; the others found its lock held or, after it, its seal.
      expect(modes.filter((m) => m === "full")).toHaveLength(1);
      expect(modes.every((m) => m === "full" || m === "held" || m === "skipped")).toBe(true);
    }
    const total = (await Promise.all(processes.map((p) => syncs(p.metrics)))).reduce((a, b) => a + b, 0);
    expect(total).toBe(views.length);
    // Every view's seal is there for the next look: nothing to do.
    for (const p of processes) expect((await p.healer.check()).every((r) => r.mode === "skipped")).toBe(true);
  });

  it("re-syncs a view version whose keys were lost, in the background, without a restart", async () => {
    const [a, b] = await Promise.all([process(), process()]);
    await a.healer.check();
    const before = (await syncs(a.metrics)) + (await syncs(b.metrics));
    const [view] = (await listViews(database.sql)).filter((v) => v.name === "track_profile");
    const viewKey = `${view?.name}@${view?.version}`;
    const [track] = await database.sql<{ id: number }[]>`select id from tracks order by id limit 1`;
    const id = String(track?.id);
    expect((await a.store.read(viewKey, [id])).get(id)).toBeDefined();

    // A master that came back empty: the view's rows and its seal are gone.
    expect(await a.store.deleteView(viewKey)).toBeGreaterThan(1);
    expect(await a.store.completeRun(viewKey)).toBeNaN();
    a.healer.start();
    b.healer.start();
    const deadline = Date.now() + 30_000;
    while ((await a.store.read(viewKey, [id])).size === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all([a.healer.stop(), b.healer.stop()]);
    expect((await a.store.read(viewKey, [id])).get(id)).toBeDefined();
    expect(await a.store.completeRun(viewKey)).toBe(view?.lastRun?.id);
    // Healed once across the two, that view alone.
    expect((await syncs(a.metrics)) + (await syncs(b.metrics)) - before).toBe(1);
  });

  it("leaves a view sealed at a run newer than the one it listed (another process caught up first)", async () => {
    const { healer, store, metrics } = await process();
    await healer.check();
    const [view] = (await listViews(database.sql)).filter((v) => v.name === "track_profile");
    const viewKey = `${view?.name}@${view?.version}`;
    const listed = view?.lastRun?.id as number;
    // What a process that listed the views before a newer run finds: the seal ahead of its list.
    expect(await (await store.beginCopy(viewKey, listed + 1)).seal()).toBe(true);
    const before = await syncs(metrics);
    const result = (await healer.check()).find((r) => r.viewKey === viewKey);
    expect(result?.mode).toBe("skipped");
    expect(await syncs(metrics)).toBe(before);
    expect(await store.completeRun(viewKey)).toBe(listed + 1);
  });

  it("checks as soon as the store stops being degraded (a circuit closed), not a check interval later", async () => {
    const { store, metrics } = await process();
    let degraded = true;
    // The serving store's view of its circuits, switched by the test: Redis itself is real.
    const markers: OnlineStore = {
      get degraded() {
        return degraded;
      },
      completeRun: (viewKey) => store.completeRun(viewKey),
      read: (viewKey, ids) => store.read(viewKey, ids),
      readMany: (requests) => store.readMany(requests),
      write: (viewKey, rows) => store.write(viewKey, rows),
      deleteView: (viewKey) => store.deleteView(viewKey),
      remove: (viewKey, ids) => store.remove(viewKey, ids),
      prune: (viewKey, keep) => store.prune(viewKey, keep),
      forget: (viewKey, ids) => store.forget(viewKey, ids),
      watch: (rows) => store.watch(rows),
      beginCopy: (viewKey, runId) => store.beginCopy(viewKey, runId),
      vouchedAbsent: (viewKey, ids) => store.vouchedAbsent(viewKey, ids),
      ping: () => store.ping(),
      close: async () => {},
    };
    const client = clients[clients.length - 1] as RedisConnection;
    const healer = new OnlineStoreHealer({
      sql: database.sql,
      markers,
      writer: store,
      locks: new SyncLocks(client, prefix),
      logger: silentLogger,
      metrics,
      intervalMs: 3_600_000,
      watchMs: 20,
    });
    await healer.check();
    const [view] = (await listViews(database.sql)).filter((v) => v.name === "track_profile");
    const viewKey = `${view?.name}@${view?.version}`;
    healer.start();
    try {
      // Keys lost while a node was down; nothing is checked until the store recovers.
      await store.deleteView(viewKey);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await store.completeRun(viewKey)).toBeNaN();
      degraded = false;
      const deadline = Date.now() + 20_000;
      while (Number.isNaN(await store.completeRun(viewKey)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await store.completeRun(viewKey)).toBe(view?.lastRun?.id);
    } finally {
      await healer.stop();
    }
  });
});

describe("a stop while the healer copies the views (a shutdown)", () => {
  it("returns after the chunk in flight, copies no other view, and leaves them to the next process", async () => {
    const { healer, store } = await process();
    const views = (await listViews(database.sql)).filter((v) => v.lastRun?.status === "succeeded");
    expect(views.length).toBeGreaterThan(3);
    const keys = views.map((v) => `${v.name}@${v.version}`);
    for (const key of keys) await store.deleteView(key);
    const writes = holdWrites(store);

    await stopWhileWriting(writes, healer);
    expect(writes.count()).toBe(1);
    const sealed = await Promise.all(keys.map((key) => store.completeRun(key)));
    expect(sealed.filter((run, i) => run === views[i]?.lastRun?.id).length).toBeLessThanOrEqual(1);
    // A stopped healer checks no more; another process copies the rest (no lock was left held).
    expect(await healer.check()).toEqual([]);
    const next = await process();
    await next.healer.check();
    const after = await Promise.all(keys.map((key) => next.store.completeRun(key)));
    expect(after).toEqual(views.map((v) => v.lastRun?.id));
  });
});
