import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env";
import { ConfigError } from "../../src/config/read-env";

describe("loadConfig", () => {
  it("defaults to the embedded database on port 8080 with a local data directory", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.port).toBe(8080);
    expect(config.dataDir).toMatch(/\.rapfs$/);
    expect(config.migrationsDir).toMatch(/migrations$/);
    expect(config.definitionsDir).toMatch(/feature-definitions$/);
    expect(config.corpus).toEqual({ scale: 1, seed: 42 });
    expect(config.nearCacheRows).toBe(50_000);
  });

  it("sizes the near cache, 0 turning it off, and refuses a negative size", () => {
    expect(loadConfig({ RAPFS_NEAR_CACHE_ROWS: "0" }).nearCacheRows).toBe(0);
    expect(loadConfig({ RAPFS_NEAR_CACHE_ROWS: "200000" }).nearCacheRows).toBe(200_000);
    expect(() => loadConfig({ RAPFS_NEAR_CACHE_ROWS: "-1" })).toThrow(/RAPFS_NEAR_CACHE_ROWS/);
  });

  it("answers lookups in the lane unless it is turned off, and names a bad setting", () => {
    expect(loadConfig({}).lookupLane).toBe(true);
    expect(loadConfig({ RAPFS_LOOKUP_LANE: "off" }).lookupLane).toBe(false);
    expect(() => loadConfig({ RAPFS_LOOKUP_LANE: "no" })).toThrow(/RAPFS_LOOKUP_LANE/);
  });

  it("keeps an in-memory data directory as is", () => {
    expect(loadConfig({ RAPFS_DATA_DIR: ":memory:" }).dataDir).toBe(":memory:");
  });

  it("treats empty URLs as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", REDIS_URL: " " }).databaseUrl).toBeUndefined();
  });

  it("names every bad variable in one message", () => {
    const attempt = () => loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DATABASE_URL: must start with postgres:\/\//);
    expect(attempt).toThrow(/PORT: .*expected number/);
    expect(attempt).toThrow(/LOG_LEVEL: .*expected one of/);
  });
});
