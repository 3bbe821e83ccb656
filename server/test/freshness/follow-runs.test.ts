import { describe, expect, it } from "vitest";
import { followRuns } from "../../src/freshness/follow-runs";
import type { RunResult } from "../../src/materialize/runner";
import { createMetrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";

const run = (mode: RunResult["mode"], keys?: string[]): RunResult => ({
  runId: 1,
  kind: "feature_view",
  name: "labels",
  version: 1,
  mode,
  rowsWritten: keys?.length ?? 3,
  rowCount: 3,
  durationMs: 5,
  watermarkBefore: null,
  watermarkAfter: null,
  stats: { scope: "table", rows: 3, features: {} },
  quarantine: { found: [], total: 0 },
  ...(keys ? { keys } : {}),
});

const row = (id: string) => ({ id, values: { v: id }, eventTimestamp: "2026-01-01T00:00:00Z" });

describe("what follows a scheduler's runs without Redis", () => {
  it("drops the rows an incremental run rewrote from the in-process cache, and the whole view after a rebuild", async () => {
    const store = new MemoryOnlineStore();
    await store.write("labels@1", [row("1"), row("2"), row("3")]);
    let refreshed = 0;
    const follow = followRuns({
      metrics: createMetrics({ defaultMetrics: false }),
      onlineStore: store,
      refreshCatalog: () => refreshed++,
    });
    await follow([run("incremental", ["2"])]);
    expect([...(await store.read("labels@1", ["1", "2", "3"])).keys()]).toEqual(["1", "3"]);
    await follow([run("full")]);
    expect((await store.read("labels@1", ["1", "3"])).size).toBe(0);
    expect(refreshed).toBe(2);
  });

  it("drops the rewritten rows of a view it does not hold in memory even when copying the held ones fails", async () => {
    const store = new MemoryOnlineStore();
    await store.write("labels@1", [row("1"), row("2")]);
    const follow = followRuns({
      metrics: createMetrics({ defaultMetrics: false }),
      onlineStore: store,
      refreshCatalog: () => {},
      healer: {
        check: async () => {
          throw new Error("the database went away");
        },
        start: () => {},
        stop: async () => {},
        holds: (view) => view !== "labels@1",
      },
    });
    await expect(follow([run("incremental", ["2"])])).rejects.toThrow(/went away/);
    expect([...(await store.read("labels@1", ["1", "2"])).keys()]).toEqual(["1"]);
  });

  it("refreshes the public cards at most once per interval however many runs follow", async () => {
    let cards = 0;
    const follow = followRuns({
      metrics: createMetrics({ defaultMetrics: false }),
      onlineStore: new MemoryOnlineStore(),
      refreshCatalog: () => {},
      warmCards: async () => cards++,
      cardsEveryMs: 0,
    });
    await follow([run("incremental", ["1"])]);
    await follow([run("incremental", ["1"])]);
    expect(cards).toBe(2);
    const slow = followRuns({
      metrics: createMetrics({ defaultMetrics: false }),
      onlineStore: new MemoryOnlineStore(),
      refreshCatalog: () => {},
      warmCards: async () => cards++,
      cardsEveryMs: 60_000,
    });
    for (let i = 0; i < 5; i++) await slow([run("incremental", ["1"])]);
    expect(cards).toBe(2);
  });
});
