import { describe, expect, it } from "vitest";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import type { OnlineRow } from "../../src/online/types";
import { makeRow, range, rows } from "./fixtures";

describe("MemoryOnlineStore", () => {
  it("round-trips rows and leaves out unknown ids", async () => {
    const store = new MemoryOnlineStore();
    await store.write("qwen_analysis@2", rows([1, 2]));
    const found = await store.read("qwen_analysis@2", ["1", "nope", "2"]);
    expect([...found.keys()]).toEqual(["1", "2"]);
    expect(found.get("1")).toEqual(makeRow(1));
  });

  it("never holds more rows than its bound, evicting the least recently used", async () => {
    const store = new MemoryOnlineStore({ maxRows: 3 });
    await store.write("v@1", rows([1, 2, 3]));
    await store.read("v@1", ["1"]); // 1 is now the most recently used
    await store.write("v@1", rows([4]));
    expect(store.size).toBe(3);
    expect([...(await store.read("v@1", ["1", "2", "3", "4"])).keys()]).toEqual(["1", "3", "4"]);
    await store.write("v@1", rows(range(100, 200)));
    expect(store.size).toBe(3);
    expect([...(await store.read("v@1", ["197", "198", "199", "1"])).keys()]).toEqual(["197", "198", "199"]);
  });

  it("keeps versions apart and deletes one version only", async () => {
    const store = new MemoryOnlineStore();
    await store.write("v@1", rows([1, 2], 1));
    await store.write("v@2", rows([1, 2], 2));
    expect((await store.read("v@2", ["1"])).get("1")?.values.version).toBe(2);
    expect(await store.deleteView("v@1")).toBe(2);
    expect((await store.read("v@1", ["1", "2"])).size).toBe(0);
    expect((await store.read("v@2", ["1", "2"])).size).toBe(2);
  });

  it("with ifAbsent keeps rows already there", async () => {
    const store = new MemoryOnlineStore();
    await store.write("v@1", [makeRow(1, 1)]);
    await store.write("v@1", [makeRow(1, 5), makeRow(2, 5)], { ifAbsent: true });
    const found = await store.read("v@1", ["1", "2"]);
    expect(found.get("1")?.values.version).toBe(1);
    expect(found.get("2")?.values.version).toBe(5);
  });

  it("hands out rows nobody can change in place", async () => {
    const store = new MemoryOnlineStore();
    const row = makeRow(1);
    await store.write("v@1", [row]);
    row.values.sentiment = "changed by the writer";
    const read = (await store.read("v@1", ["1"])).get("1");
    expect(read?.values.sentiment).toBe("negative");
    expect(() => {
      (read as { values: Record<string, unknown> }).values.sentiment = "x";
    }).toThrow(TypeError);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => new MemoryOnlineStore({ maxRows: 0 })).toThrow(RangeError);
  });
  it("watches rows it answered until one is rewritten, forgotten or removed", async () => {
    const store = new MemoryOnlineStore();
    await store.write("v@1", rows([1, 2, 3]));
    const watched = async (ids: string[]) => {
      const found = await store.read("v@1", ids);
      return ids.map((id) => ({ viewKey: "v@1", row: found.get(id) as OnlineRow }));
    };
    expect(store.watch([{ viewKey: "v@1", row: makeRow(1) }])).toBeUndefined();
    const watch = store.watch(await watched(["1", "2"]));
    expect(watch?.reread()).toBe(true);
    await store.write("v@1", [makeRow(2, 2)]);
    expect(watch?.reread()).toBe(false);
    for (const change of [
      () => store.forget("v@1", ["1"]),
      () => store.remove("v@1", ["1"]),
      () => store.deleteView("v@1"),
    ]) {
      await store.write("v@1", rows([1]));
      const again = store.watch(await watched(["1"]));
      expect(again?.reread()).toBe(true);
      await change();
      expect(again?.reread()).toBe(false);
    }
  });

  describe("a version held whole (copied by a sync)", () => {
    const odd: OnlineRow[] = [
      {
        id: "1",
        values: { score: 0.125, name: 'Dür "x"\n', tags: ["a", "b"], flag: false, none: null },
        eventTimestamp: "2026-01-01T00:00:00.000001Z",
      },
      { id: "2", values: { score: -3, name: "", tags: [], flag: true, none: null }, eventTimestamp: "" },
      // Other keys than the version's first row: kept as they are.
      { id: "3", values: { other: 1 }, eventTimestamp: "2026-01-02T00:00:00.000000Z" },
    ];

    it("answers exactly the rows written, whatever their values and keys", async () => {
      const store = new MemoryOnlineStore({ maxRows: 1 });
      await store.beginCopy("v@1", 1);
      await store.write("v@1", odd);
      const found = await store.read("v@1", ["1", "2", "3", "4"]);
      expect([...found.values()]).toEqual(odd);
      expect(Object.isFrozen(found.get("1"))).toBe(true);
      expect(Object.isFrozen(found.get("1")?.values)).toBe(true);
    });

    it("lets other work run while it answers a wide batch, and answers it whole", async () => {
      const store = new MemoryOnlineStore();
      const views = Array.from({ length: 10 }, (_, i) => `v${i}@1`);
      for (const view of views) {
        await store.beginCopy(view, 1);
        await store.write(view, rows(range(0, 1_000)));
      }
      let turns = 0;
      const ticking = setInterval(() => turns++, 0);
      const tick = () => new Promise((resolve) => setImmediate(resolve));
      await tick();
      const start = turns;
      const ids = range(0, 1_000).map(String);
      const found = await store.readMany(views.map((viewKey) => ({ viewKey, ids })));
      const during = turns - start;
      clearInterval(ticking);
      expect(found.map((f) => f.size)).toEqual(views.map(() => 1_000));
      // A turn every few milliseconds of reading; before, none until all 10,000 were decoded.
      expect(during).toBeGreaterThan(0);
    });

    it("keeps a hot row through a wide batch of others: the batch decodes its rows without keeping them", async () => {
      // Room for 100 decoded rows; the batch reads 999 others.
      const store = new MemoryOnlineStore({ decodedRows: 100 });
      await store.beginCopy("v@1", 1);
      await store.write("v@1", rows(range(1, 1_000)));
      const hot = (await store.read("v@1", ["1"])).get("1");
      const wide = await store.read("v@1", range(2, 1_000).map(String));
      expect(wide.size).toBe(998);
      // The same object: a lookup answered from memory by it still holds (api/lanes/kept-answers.ts).
      expect((await store.read("v@1", ["1"])).get("1")).toBe(hot);
      // A narrow read keeps what it decodes, as lookups need.
      const narrow = (await store.read("v@1", ["2", "3"])).get("2");
      expect((await store.read("v@1", ["2"])).get("2")).toBe(narrow);
    });

    it("answers a row read again with the same object until it changes, and its watch sees each change", async () => {
      const store = new MemoryOnlineStore();
      await store.beginCopy("v@1", 1);
      await store.write("v@1", odd);
      const first = (await store.read("v@1", ["1"])).get("1") as OnlineRow;
      expect((await store.read("v@1", ["1"])).get("1")).toBe(first);
      for (const change of [
        () => store.write("v@1", [{ ...first, values: { ...first.values, score: 0.25 } }]),
        () => store.remove("v@1", ["1"]),
        () => store.deleteView("v@1"),
      ]) {
        await store.beginCopy("v@1", 1);
        await store.write("v@1", odd);
        const row = (await store.read("v@1", ["1"])).get("1") as OnlineRow;
        const watch = store.watch([{ viewKey: "v@1", row }]);
        expect(watch?.reread()).toBe(true);
        await change();
        expect(watch?.reread()).toBe(false);
      }
      // The same values written again: the row is unchanged.
      await store.beginCopy("v@1", 1);
      await store.write("v@1", odd);
      const row = (await store.read("v@1", ["2"])).get("2") as OnlineRow;
      const watch = store.watch([{ viewKey: "v@1", row }]);
      await store.write("v@1", [odd[1] as OnlineRow]);
      expect(watch?.reread()).toBe(true);
    });
  });
});
