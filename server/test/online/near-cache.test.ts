import { describe, expect, it } from "vitest";
import { NearCache } from "../../src/online/near-cache";
import type { OnlineRow } from "../../src/online/types";
import { makeRow } from "./fixtures";

const key = (id: number) => `p:{v@1}:${id}`;

function cacheWith(ids: number[], options: ConstructorParameters<typeof NearCache>[0] = {}): NearCache {
  const cache = new NearCache(options);
  cache.enable();
  const keys = ids.map(key);
  const token = cache.begin(keys);
  ids.forEach((id, i) => {
    cache.keep(keys[i] as string, "v@1", makeRow(id), token, 0);
  });
  cache.end(keys, token);
  return cache;
}

describe("NearCache", () => {
  it("serves a kept row by view version and id, and counts hits and misses", () => {
    const cache = cacheWith([1]);
    expect(cache.get("v@1", "1", 10)).toEqual(makeRow(1));
    expect(cache.get("v@1", "2", 10)).toBeUndefined();
    expect(cache.get("v@2", "1", 10)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ rows: 1, hits: 1, misses: 2 });
  });

  it("never keeps a row whose key was invalidated while it was being read", () => {
    const cache = new NearCache();
    cache.enable();
    const token = cache.begin([key(1), key(2)]);
    cache.invalidate([key(1)]);
    cache.keep(key(1), "v@1", makeRow(1), token, 0);
    cache.keep(key(2), "v@1", makeRow(2), token, 0);
    cache.end([key(1), key(2)], token);
    expect(cache.get("v@1", "1", 0)).toBeUndefined();
    expect(cache.get("v@1", "2", 0)).toEqual(makeRow(2));
  });

  it("keeps only the newest of two overlapping reads of a key", () => {
    const cache = new NearCache();
    cache.enable();
    const first = cache.begin([key(1)]);
    const second = cache.begin([key(1)]);
    cache.keep(key(1), "v@1", makeRow(1, 1), first, 0);
    expect(cache.get("v@1", "1", 0)).toBeUndefined();
    cache.keep(key(1), "v@1", makeRow(1, 2), second, 0);
    expect(cache.get("v@1", "1", 0)?.values.version).toBe(2);
  });

  it("keeps nothing while off, and forgets everything when turned off", () => {
    const off = new NearCache();
    const token = off.begin([key(1)]);
    expect(token).toBe(0);
    off.keep(key(1), "v@1", makeRow(1), token, 0);
    expect(off.stats().rows).toBe(0);

    const cache = cacheWith([1, 2]);
    cache.disable();
    expect(cache.enabled).toBe(false);
    expect(cache.stats().rows).toBe(0);
  });

  it("drops invalidated keys, whole view versions and everything on a flush", () => {
    const cache = cacheWith([1, 2, 3]);
    cache.invalidate([key(2), "p:{v@1}:unknown"]);
    expect(cache.get("v@1", "2", 0)).toBeUndefined();
    expect(cache.get("v@1", "1", 0)).toBeDefined();
    cache.invalidatePrefix("p:{v@1}:");
    expect(cache.stats().rows).toBe(0);
    const again = cacheWith([1]);
    again.clear();
    expect(again.get("v@1", "1", 0)).toBeUndefined();
  });

  it("reads a row again once it is older than the age bound", () => {
    const cache = cacheWith([1], { maxAgeMs: 1_000 });
    expect(cache.get("v@1", "1", 999)).toBeDefined();
    expect(cache.get("v@1", "1", 1_000)).toBeUndefined();
  });

  it("holds at most maxRows, evicting the oldest row not read since it was kept", () => {
    const cache = cacheWith([1, 2, 3], { maxRows: 3 });
    cache.get("v@1", "1", 0);
    const token = cache.begin([key(4)]);
    cache.keep(key(4), "v@1", makeRow(4), token, 0);
    expect(cache.stats().rows).toBe(3);
    expect(cache.get("v@1", "1", 0)).toBeDefined();
    expect(cache.get("v@1", "2", 0)).toBeUndefined();
    expect(cache.get("v@1", "4", 0)).toBeDefined();
  });
  it("keeps a row read between evictions through rounds of churn, and never more than maxRows", () => {
    const cache = cacheWith([0], { maxRows: 50 });
    for (let round = 1; round <= 40; round++) {
      expect(cache.get("v@1", "0", 0)).toBeDefined();
      const ids = Array.from({ length: 30 }, (_, i) => round * 100 + i);
      const keys = ids.map(key);
      const token = cache.begin(keys);
      ids.forEach((id, i) => {
        cache.keep(keys[i] as string, "v@1", makeRow(id), token, 0);
      });
      expect(cache.stats().rows).toBeLessThanOrEqual(50);
    }
    expect(cache.get("v@1", "0", 0)).toBeDefined();
    expect(cache.get("v@1", String(40 * 100 + 29), 0)).toBeDefined();
    expect(cache.get("v@1", "100", 0)).toBeUndefined();
  });
});

describe("NearCache watches", () => {
  const held = (cache: NearCache, ids: number[]) =>
    ids.map((id) => ({ viewKey: "v@1", row: cache.get("v@1", String(id), 0) as OnlineRow }));
  const at = (now: number) => () => now;

  it("rereads the rows it holds, counted as hits, until Redis reports one changed", () => {
    const cache = cacheWith([1, 2]);
    const watch = cache.watch(held(cache, [1, 2]), at(0));
    const hits = cache.stats().hits;
    expect(watch?.reread()).toBe(true);
    expect(cache.stats().hits - hits).toBe(2);
    cache.invalidate([key(2)]);
    expect(watch?.reread()).toBe(false);
    expect(cache.stats().hits - hits).toBe(2);
  });

  it("watches only the very rows it would answer now", () => {
    const cache = cacheWith([1]);
    expect(cache.watch([{ viewKey: "v@1", row: makeRow(1) }], at(0))).toBeUndefined();
    expect(cache.watch([...held(cache, [1]), { viewKey: "v@1", row: makeRow(2) }], at(0))).toBeUndefined();
    const old = cacheWith([1], { maxAgeMs: 100 });
    expect(old.watch(held(old, [1]), at(100))).toBeUndefined();
    const off = cacheWith([1]);
    const rows = held(off, [1]);
    off.disable();
    expect(off.watch(rows, at(0))).toBeUndefined();
  });

  it.each([
    ["cleared (Redis flushed)", (cache: NearCache) => cache.clear()],
    ["turned off (the invalidation connection lost)", (cache: NearCache) => cache.disable()],
    ["the view version deleted", (cache: NearCache) => cache.invalidatePrefix("p:{v@1")],
    [
      "the row read again and kept anew",
      (cache: NearCache) => {
        const token = cache.begin([key(1)]);
        cache.keep(key(1), "v@1", makeRow(1, 2), token, 0);
      },
    ],
  ])("ends every watch over its rows when %s", (_when, change) => {
    const cache = cacheWith([1, 2]);
    const watch = cache.watch(held(cache, [1]), at(0));
    change(cache);
    expect(watch?.reread()).toBe(false);
  });

  it("ends a watch when one of its rows is evicted or grows too old", () => {
    const small = cacheWith([1], { maxRows: 1 });
    const evicted = small.watch(held(small, [1]), at(0));
    const token = small.begin([key(2)]);
    small.keep(key(2), "v@1", makeRow(2), token, 0);
    expect(evicted?.reread()).toBe(false);

    const cache = cacheWith([1], { maxAgeMs: 100 });
    let now = 0;
    const aging = cache.watch(held(cache, [1]), () => now);
    now = 99;
    expect(aging?.reread()).toBe(true);
    now = 100;
    expect(aging?.reread()).toBe(false);
  });
});
