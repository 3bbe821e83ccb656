import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/logger";
import { createMetrics, type Metrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { ReadThroughStore } from "../../src/online/read-through";
import type { FallbackLoader, OnlineRow, OnlineStore } from "../../src/online/types";
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
  deleteView = (view: string) => this.inner.deleteView(view);
  ping = async () => this.check();
  close = () => this.inner.close();
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

function setup(retryAfterMs = 1_000) {
  const logs: { level: string; msg: string }[] = [];
  const logger = createLogger("debug", {}, (line) => logs.push(JSON.parse(line)));
  const metrics = createMetrics({ defaultMetrics: false });
  const primary = new SwitchableStore(new MemoryOnlineStore());
  const source = sourceOfTruth();
  let clock = 0;
  const store = new ReadThroughStore({
    primary,
    layer: "memory",
    fallback: source.load,
    metrics,
    logger,
    retryAfterMs,
    now: () => clock,
  });
  return { store, primary, source, metrics, logs, advance: (ms: number) => (clock += ms) };
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

  it("serves every read from the fallback while the primary is down, logs the outage once, and recovers", async () => {
    const { store, primary, source, metrics, logs, advance } = setup(1_000);
    await store.write(
      "v@1",
      range(0, 10).map((i) => makeRow(i)),
    );
    primary.up = false;
    for (let i = 0; i < 5; i++) {
      const found = await store.read("v@1", ["1", "2", "3"]);
      expect([...found.keys()]).toEqual(["1", "2", "3"]);
      advance(100);
    }
    expect(source.asked).toHaveLength(5);
    expect(store.degraded).toBe(true);
    expect(logs.filter((l) => l.msg.includes("unavailable"))).toHaveLength(1);
    expect(await counter(metrics, "rapfs_online_fallbacks_total", { reason: "unavailable" })).toBe(5);
    expect(await counter(metrics, "rapfs_online_store_up", {})).toBe(0);

    primary.up = true;
    advance(1_000);
    const found = await store.read("v@1", ["1", "2", "3"]);
    expect(found.size).toBe(3);
    expect(source.asked).toHaveLength(5);
    expect(store.degraded).toBe(false);
    expect(logs.filter((l) => l.msg === "online store recovered")).toHaveLength(1);
    expect(await counter(metrics, "rapfs_online_store_up", {})).toBe(1);
  });

  it("skips a down primary until the retry interval has passed", async () => {
    const { store, primary, advance } = setup(1_000);
    let primaryReads = 0;
    const read = primary.read.bind(primary);
    primary.read = async (view, ids) => {
      primaryReads++;
      return read(view, ids);
    };
    primary.up = false;
    await store.read("v@1", ["1"]);
    await store.read("v@1", ["1"]);
    advance(999);
    await store.read("v@1", ["1"]);
    expect(primaryReads).toBe(1);
    advance(1);
    await store.read("v@1", ["1"]);
    expect(primaryReads).toBe(2);
  });

  it("propagates a fallback failure: with no store answering, the read fails", async () => {
    const { store, primary } = setup();
    primary.up = false;
    const failing = new ReadThroughStore({
      primary,
      layer: "memory",
      fallback: async () => {
        throw new Error("database down");
      },
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger("silent"),
    });
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
