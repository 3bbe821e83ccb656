import { describe, expect, it } from "vitest";
import { NearCache } from "../../src/online/near-cache";
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
});
