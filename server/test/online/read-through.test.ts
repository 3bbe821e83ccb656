import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger";
import { createMetrics, type Metrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { type ReadThroughOptions, ReadThroughStore } from "../../src/online/read-through";
import type { FallbackLoader, OnlineRow, OnlineStore, ViewRead, WatchedRow } from "../../src/online/types";
import { makeRow, range } from "./fixtures";

/** A "Postgres" holding rows 0..99 of every view, counting the ids it is asked for. */
function sourceOfTruth() {
  const asked: string[][] = [];
  const load: FallbackLoader = async (_view, ids) => {
    asked.push([...ids]);
    return new Map(ids.filter((id) => Number(id) < 100).map((id) => [id, makeRow(id)] as const));
  };
  return { load, asked };
}

/** A primary that can be switched off, like a Redis that went away. */
class SwitchableStore implements OnlineStore {
  up = true;
  constructor(private readonly inner: OnlineStore) {}
  private check() {
    if (!this.up) throw new Error("connect ECONNREFUSED");
  }
  async write(view: string, rows: readonly OnlineRow[], options?: { ifAbsent?: boolean }) {
    this.check();
    return this.inner.write(view, rows, options);
  }
  async read(view: string, ids: readonly string[]) {
    this.check();
    return this.inner.read(view, ids);
  }
  /** View by view through `read`, as a Cluster reads one version per node. */
  readMany(requests: readonly ViewRead[]) {
    return Promise.all(requests.map((r) => this.read(r.viewKey, r.ids)));
  }
  async vouchedAbsent(view: string, ids: readonly string[]) {
    this.check();
    return this.inner.vouchedAbsent(view, ids);
  }
  async completeRun(view: string) {
    this.check();
    return this.inner.completeRun(view);
  }
  async beginCopy(view: string, runId: number) {
    this.check();
    return this.inner.beginCopy(view, runId);
  }
  deleteView = (view: string) => this.inner.deleteView(view);
  remove = (view: string, ids: readonly string[]) => this.inner.remove(view, ids);
  prune = (view: string, keep: ReadonlySet<string>) => this.inner.prune(view, keep);
  forget = (view: string, ids: readonly string[]) => this.inner.forget(view, ids);
  watch = (rows: readonly WatchedRow[]) => this.inner.watch(rows);
  // No circuit breaker: a failing read is found out by reading.
  readonly degraded = false;
  ping = async () => this.check();
  close = () => this.inner.close();
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

function setup() {
  const logs: { level: string; msg: string }[] = [];
  const logger = createLogger("debug", {}, (line) => logs.push(JSON.parse(line)));
  const metrics = createMetrics({ defaultMetrics: false });
  const primary = new SwitchableStore(new MemoryOnlineStore());
  const source = sourceOfTruth();
  const store = new ReadThroughStore({
    primary,
    layer: "memory",
    fallback: source.load,
    metrics,
    logger,
  });
  return { store, primary, source, metrics, logs };
}

describe("ReadThroughStore", () => {
  it("loads misses from the fallback once, then serves them from the primary", async () => {
    const { store, source, metrics } = setup();
    const first = await store.read("v@1", ["1", "2", "500"]);
    expect([...first.keys()]).toEqual(["1", "2"]);
    expect(first.get("1")).toEqual(makeRow(1));
    expect(source.asked).toEqual([["1", "2", "500"]]);
    const second = await store.read("v@1", ["2", "1", "3"]);
    expect([...second.keys()]).toEqual(["2", "1", "3"]);
    expect(source.asked).toEqual([["1", "2", "500"], ["3"]]);
    expect(await counter(metrics, "rapfs_online_cache_lookups_total", { result: "hit" })).toBe(2);
    expect(await counter(metrics, "rapfs_online_cache_lookups_total", { result: "miss" })).toBe(4);
    expect(await counter(metrics, "rapfs_online_fallbacks_total", { reason: "miss" })).toBe(2);
  });

  it("never lets a backfill overwrite a row the materializer wrote", async () => {
    const { store } = setup();
    await store.write("v@1", [makeRow(7, 2)]);
    await store.read("v@1", ["7", "8"]);
    expect((await store.read("v@1", ["7"])).get("7")?.values.version).toBe(2);
  });

  it("serves every read from the fallback while the primary is down, and the primary again when it is back", async () => {
    const { store, primary, source, metrics } = setup();
    await store.write(
      "v@1",
      range(0, 10).map((i) => makeRow(i)),
    );
    primary.up = false;
    for (let i = 0; i < 5; i++) {
      const found = await store.read("v@1", ["1", "2", "3"]);
      expect([...found.keys()]).toEqual(["1", "2", "3"]);
    }
    expect(source.asked).toHaveLength(5);
    expect(await counter(metrics, "rapfs_online_fallbacks_total", { reason: "unavailable" })).toBe(5);

    primary.up = true;
    const found = await store.read("v@1", ["1", "2", "3"]);
    expect(found.size).toBe(3);
    expect(source.asked).toHaveLength(5);
  });

  it("serves the views a failed multi-view read could still get from the primary (a Cluster with one node down)", async () => {
    const { store, primary, source } = setup();
    await store.write("a@1", [makeRow(1)]);
    await store.write("b@1", [makeRow(1)]);
    const read = primary.read.bind(primary);
    primary.read = async (view, ids) => {
      if (view === "b@1") throw new Error("Connection is closed.");
      return read(view, ids);
    };
    const [a, b] = await store.readMany([
      { viewKey: "a@1", ids: ["1"] },
      { viewKey: "b@1", ids: ["1"] },
    ]);
    expect(a?.get("1")).toEqual(makeRow(1));
    expect(b?.get("1")).toEqual(makeRow(1));
    // Only b's row came from the fallback.
    expect(source.asked).toEqual([["1"]]);
  });

  it("keeps what it loaded while the primary is down for the outage cache's TTL, and not longer", async () => {
    const { primary, source, metrics } = setup();
    const store = new ReadThroughStore({
      primary,
      layer: "memory",
      fallback: source.load,
      metrics,
      logger: createLogger("silent"),
      outageCache: { maxRows: 100, ttlMs: 200 },
    });
    primary.up = false;
    expect([...(await store.read("v@1", ["1", "2", "500"])).keys()]).toEqual(["1", "2"]);
    expect([...(await store.read("v@1", ["2", "1", "3", "500"])).keys()]).toEqual(["2", "1", "3"]);
    // The second read asked only for the id it had not seen (500 is remembered as absent).
    expect(source.asked).toEqual([["1", "2", "500"], ["3"]]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.read("v@1", ["1"]);
    expect(source.asked).toEqual([["1", "2", "500"], ["3"], ["1"]]);
  });

  it("propagates a fallback failure: with no store answering, the read fails", async () => {
    const { store, primary } = setup();
    primary.up = false;
    const failing = overFailingDatabase(primary, "database down");
    await expect(failing.read("v@1", ["1"])).rejects.toThrow("database down");
    await expect(store.read("v@1", [])).resolves.toEqual(new Map());
  });

  it("throws a malformed view key instead of treating it as an outage", async () => {
    const { store, source } = setup();
    await expect(store.read("not a view", ["1"])).rejects.toThrow(/not a view key/);
    expect(source.asked).toHaveLength(0);
    expect(store.degraded).toBe(false);
  });
});

describe("a view whose rows in the primary may be old (a sync Redis refused)", () => {
  it("is read from the fallback, and not watched, while the others are the primary's", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const source = sourceOfTruth();
    const primary = new MemoryOnlineStore();
    await primary.write("old@1", [{ ...makeRow(1), values: { stale: true } }]);
    await primary.write("new@1", [makeRow(1)]);
    const store = new ReadThroughStore({
      primary,
      layer: "memory",
      fallback: source.load,
      metrics,
      logger: createLogger("silent"),
      unsynced: (view) => view === "old@1",
    });
    const [old, fresh] = await store.readMany([
      { viewKey: "old@1", ids: ["1"] },
      { viewKey: "new@1", ids: ["1"] },
    ]);
    expect(old?.get("1")).toEqual(makeRow(1));
    expect(fresh?.get("1")).toEqual(makeRow(1));
    expect(source.asked).toEqual([["1"]]);
    expect(store.watch([{ viewKey: "old@1", row: makeRow(1) }])).toBeUndefined();
  });

  it("starts its fallback read only once the primary answered: a failing fallback is never left unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const slow = new MemoryOnlineStore();
      const primary = Object.assign(Object.create(slow) as MemoryOnlineStore, {
        readMany: async (reads: readonly ViewRead[]) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return slow.readMany(reads);
        },
      });
      const store = overFailingDatabase(primary, "connect ECONNREFUSED (the database is away)", {
        unsynced: (view) => view === "old@1",
      });
      const read = store.readMany([
        { viewKey: "old@1", ids: ["1"] },
        { viewKey: "new@1", ids: ["1"] },
      ]);
      await expect(read).rejects.toThrow(/ECONNREFUSED/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

/** A read-through store over `primary` whose fallback (the database) always fails with `message`. */
function overFailingDatabase(
  primary: OnlineStore,
  message: string,
  options: Pick<ReadThroughOptions, "unsynced"> = {},
): ReadThroughStore {
  return new ReadThroughStore({
    primary,
    layer: "memory",
    fallback: async () => {
      throw new Error(message);
    },
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger("silent"),
    ...options,
  });
}
