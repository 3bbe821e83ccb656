import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureVectorSchema } from "../../../src/api/routes/features/get";
import type { Database } from "../../../src/db/database";
import { silentLogger } from "../../../src/log/logger";
import { createMetrics, type Metrics } from "../../../src/metrics/registry";
import { MemoryOnlineStore } from "../../../src/online/memory-store";
import { listViews, type ViewVersion } from "../../../src/registry";
import type { RunningServer } from "../../../src/runtime/start-server";
import { InProcessViews } from "../../../src/serving/online-sync/in-process";
import { syncOnlineStore } from "../../../src/serving/online-sync/sync";
import { holdWrites, stopWhileWriting } from "../../support/held-writes";
import { preparedDatabase } from "../../support/prepared-data";
import { call, ok, SCALE, SEED, startServing } from "../support";

const servable = async (sql: Database["sql"]): Promise<ViewVersion[]> =>
  (await listViews(sql)).filter((v) => v.status !== "retired" && v.lastRun?.status === "succeeded");
const keyOf = (v: ViewVersion) => `${v.name}@${v.version}`;

async function fallbacks(metrics: Metrics): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find(
    (m) => m.name === "rapfs_online_fallbacks_total",
  );
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe("the embedded default holds the views in memory", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServing();
  });
  afterAll(async () => {
    await server?.shutdown("test done");
  });

  it("copies every view once it serves, then answers lookups, misses included, without the database", async () => {
    const { services } = server;
    const views = await servable(services.sql);
    // A check asked for now runs after the start's first copy: once it resolves, every view is copied.
    await services.onlineHealer.check();
    const sealed = async () =>
      (await Promise.all(views.map((v) => services.onlineStore.completeRun(keyOf(v))))).every(
        (run, i) => run === views[i]?.lastRun?.id,
      );
    expect(await sealed()).toBe(true);

    const ids = (await services.sql<{ id: number }[]>`select id from tracks order by random() limit 40`).map(
      (r) => r.id,
    );
    const before = await fallbacks(services.metrics);
    // Tracks with and without each view's row, and an id no track has.
    for (const id of [...ids, 2_000_000_000]) {
      ok(await call(server, `/v1/features/track/${id}?service=hit_predictor`), FeatureVectorSchema);
    }
    expect(await fallbacks(services.metrics)).toBe(before);
  });
});

describe("views copied into memory from a database of their own", () => {
  let database: Database;
  beforeAll(async () => {
    database = await preparedDatabase({ scale: SCALE, seed: SEED });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("beyond RAPFS_MEMORY_ROWS are read through the LRU: the smallest views that fit are held, and a version pushed out is let go", async () => {
    const views = (await servable(database.sql)).sort(
      (a, b) => (a.lastRun?.rowCount ?? 0) - (b.lastRun?.rowCount ?? 0) || keyOf(a).localeCompare(keyOf(b)),
    );
    const [smallest, second] = views;
    const bound = (smallest?.lastRun?.rowCount ?? 0) + (second?.lastRun?.rowCount ?? 0);
    const store = new MemoryOnlineStore({ maxRows: 10 });
    const make = (maxRows: number) =>
      new InProcessViews({
        sql: database.bulk,
        store,
        maxRows,
        logger: silentLogger,
        metrics: createMetrics({ defaultMetrics: false }),
        intervalMs: 60_000,
      });
    // A version held before that is no longer servable (retired since): let go at the next check.
    await store.beginCopy("retired_view@1", 1);
    const results = await make(bound).check();
    expect(store.holds("retired_view@1")).toBe(false);
    expect(results.map((r) => r.viewKey).sort()).toEqual(
      [keyOf(smallest as ViewVersion), keyOf(second as ViewVersion)].sort(),
    );
    for (const view of views) expect(store.holds(keyOf(view))).toBe(views.indexOf(view) < 2);
    expect(await store.completeRun(keyOf(second as ViewVersion))).toBe(second?.lastRun?.id);

    // A smaller bound on the next check: the second view no longer fits and goes back to the LRU.
    await make(smallest?.lastRun?.rowCount ?? 0).check();
    expect(store.holds(keyOf(smallest as ViewVersion))).toBe(true);
    expect(store.holds(keyOf(second as ViewVersion))).toBe(false);
    expect(await store.completeRun(keyOf(second as ViewVersion))).toBeNaN();
  });

  it("a stop during the copy (Ctrl-C during the first copy) returns after the chunk in flight, copies nothing more, and checks no more", async () => {
    const store = new MemoryOnlineStore({ maxRows: 10 });
    const writes = holdWrites(store);
    const views = new InProcessViews({
      sql: database.bulk,
      store,
      maxRows: 1_000_000,
      logger: silentLogger,
      metrics: createMetrics({ defaultMetrics: false }),
      intervalMs: 60_000,
    });
    expect((await servable(database.sql)).length).toBeGreaterThan(1);

    await stopWhileWriting(writes, views);
    expect(writes.count()).toBe(1);
    expect(views.copied).toBe(false);
    expect(await views.check()).toEqual([]);
    expect(writes.count()).toBe(1);
  });

  it("a sync stopped in the middle of a view leaves it unsealed: it is not served as whole", async () => {
    const store = new MemoryOnlineStore({ maxRows: 10 });
    const stop = new AbortController();
    const view = (await servable(database.sql)).sort(
      (a, b) => (b.lastRun?.rowCount ?? 0) - (a.lastRun?.rowCount ?? 0),
    )[0] as ViewVersion;
    expect(view.lastRun?.rowCount).toBeGreaterThan(200);
    let writes = 0;
    const write = store.write.bind(store);
    store.write = async (key, rows) => {
      writes++;
      await write(key, rows);
      stop.abort();
    };
    const results = await syncOnlineStore({
      sql: database.bulk,
      store,
      only: [keyOf(view)],
      chunk: 100,
      signal: stop.signal,
    });
    expect(writes).toBe(1);
    expect(results).toMatchObject([{ viewKey: keyOf(view), mode: "failed" }]);
    expect(await store.completeRun(keyOf(view))).not.toBe(view.lastRun?.id);
  });
});

describe("a server stopped during its first copy of the views (Ctrl-C after a first start)", () => {
  it("stops the copy after the chunk in flight, before draining its connections", async () => {
    // The first write of the copy waits for the test; a second one means the copy went on.
    const writes = holdWrites(MemoryOnlineStore.prototype);
    try {
      // Its preparation waits for the backend the held chunk's copy holds: not awaited.
      const server = await startServing({ awaitPrepared: false });
      await writes.first;
      const stopped = server.shutdown("test done");
      writes.release();
      await Promise.race([
        stopped,
        writes.second.then(() => {
          throw new Error("the copy went on after the stop began");
        }),
      ]);
      expect(writes.count()).toBe(1);
    } finally {
      writes.restore();
    }
  });
});
