import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error";
import { loadConfig } from "../../src/config/env";
import { repoRoot } from "../../src/config/paths";

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

  it("listens on every interface by default, as the README's quick start says where it starts the server", () => {
    expect(loadConfig({}).host).toBe("0.0.0.0");
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const quickStart = readme.slice(
      readme.indexOf("## Quick start"),
      readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
    );
    expect(quickStart).toContain("npm start");
    expect(quickStart).toMatch(/every interface \(`HOST=0\.0\.0\.0`\)/);
    expect(quickStart).toContain("HOST=127.0.0.1");
  });

  it("takes the connection caps, unset leaving them to the defaults, and refuses a negative one", () => {
    expect(loadConfig({}).connections).toEqual({ perAddress: undefined, total: undefined });
    expect(
      loadConfig({ RAPFS_MAX_CONNECTIONS_PER_ADDRESS: "0", RAPFS_MAX_CONNECTIONS: "5000" }).connections,
    ).toEqual({ perAddress: 0, total: 5_000 });
    expect(() => loadConfig({ RAPFS_MAX_CONNECTIONS_PER_ADDRESS: "-1" })).toThrow(
      /RAPFS_MAX_CONNECTIONS_PER_ADDRESS/,
    );
  });

  it("sizes the near cache, 0 turning it off, and refuses a negative size", () => {
    expect(loadConfig({ RAPFS_NEAR_CACHE_ROWS: "0" }).nearCacheRows).toBe(0);
    expect(loadConfig({ RAPFS_NEAR_CACHE_ROWS: "200000" }).nearCacheRows).toBe(200_000);
    expect(() => loadConfig({ RAPFS_NEAR_CACHE_ROWS: "-1" })).toThrow(/RAPFS_NEAR_CACHE_ROWS/);
  });

  it("bounds the rows held in memory without Redis, 0 holding none, and refuses a bad bound", () => {
    expect(loadConfig({}).memoryRows).toBe(1_000_000);
    expect(loadConfig({ RAPFS_MEMORY_ROWS: "0" }).memoryRows).toBe(0);
    expect(() => loadConfig({ RAPFS_MEMORY_ROWS: "lots" })).toThrow(/RAPFS_MEMORY_ROWS/);
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
