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
});
