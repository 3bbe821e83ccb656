import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import type { LimitResult } from "../../src/access/limiter";
import { hasScope, missingScopes, parseScopes } from "../../src/access/scopes";
import { DEFAULT_TIERS, loadTiers, policyFor, SIGNUP_POLICY } from "../../src/access/tiers";
import { rateLimitHeaders } from "../../src/api/access/headers";
import { ConfigError } from "../../src/config/config-error";
import { DomainError } from "../../src/errors";

describe("tiers", () => {
  it("ship free, pro (100× free) and unlimited admin", () => {
    expect(DEFAULT_TIERS.free).toEqual({
      requests: 60,
      rows: 10_000,
      downloads: 3,
      bytes: 1024 ** 3,
      bytes_per_second: 4 * 1024 ** 2,
    });
    expect(DEFAULT_TIERS.pro).toEqual({
      requests: 6_000,
      rows: 1_000_000,
      downloads: 300,
      bytes: 100 * 1024 ** 3,
      bytes_per_second: null,
    });
    expect(policyFor(DEFAULT_TIERS, "admin", "rows")).toBeNull();
    expect(policyFor(DEFAULT_TIERS, "free", "requests")).toEqual({
      name: "requests",
      limit: 60,
      windowSeconds: 60,
      window: "fixed",
      unit: "requests",
    });
    expect(policyFor(DEFAULT_TIERS, "free", "rows")).toMatchObject({ limit: 10_000, window: "utc-day" });
  });

  it("take an RAPFS_TIERS override: change one limit, add a tier", () => {
    const tiers = loadTiers(
      '{"free":{"rows":20000,"bytes_per_second":1000000},"team":{"requests":600,"rows":100000,"downloads":null}}',
    );
    expect(tiers.free).toEqual({
      requests: 60,
      rows: 20_000,
      downloads: 3,
      bytes: 1024 ** 3,
      bytes_per_second: 1_000_000,
    });
    // A new tier that says nothing of bytes leaves them unlimited and unpaced.
    expect(tiers.team).toEqual({
      requests: 600,
      rows: 100_000,
      downloads: null,
      bytes: null,
      bytes_per_second: null,
    });
    expect(tiers.pro).toEqual(DEFAULT_TIERS.pro);
  });

  it("refuse a bad override with a message naming the problem", () => {
    expect(() => loadTiers("{nope")).toThrow(/not JSON/);
    expect(() => loadTiers('{"team":{"requests":1}}')).toThrow(/new tier team needs rows, downloads/);
    expect(() => loadTiers('{"free":{"rows":-1}}')).toThrow(/free\.rows/);
    expect(() => loadTiers('{"free":{"bytes_per_second":0}}')).toThrow(/free\.bytes_per_second/);
    expect(() => loadTiers('{"free":{"burst":1}}')).toThrow(DomainError);
    expect(() => loadAccessConfig({ RAPFS_TIERS: "[", RAPFS_ADMIN_KEY: "hunter2" })).toThrow(ConfigError);
    expect(() => loadAccessConfig({ RAPFS_TIERS: "[", RAPFS_ADMIN_KEY: "hunter2" })).toThrow(
      /RAPFS_TIERS: .*\n.*RAPFS_ADMIN_KEY/,
    );
  });

  it("fall back to free for an account whose tier left the config", () => {
    expect(policyFor(DEFAULT_TIERS, "gone", "downloads")).toMatchObject({ limit: 3 });
  });

  it("read the access environment", () => {
    const key = generateKey().key;
    const config = loadAccessConfig({
      RAPFS_ADMIN_KEY: key,
      RAPFS_REDIS_PREFIX: "prod-eu",
      RAPFS_KEY_CACHE_SECONDS: "5",
      RAPFS_QUOTA_LEASE_MS: "0",
    });
    expect(config).toMatchObject({
      adminKey: key,
      redisPrefix: "prod-eu",
      keyCacheTtlMs: 5_000,
      quotaLeaseMs: 0,
    });
    expect(loadAccessConfig({})).toMatchObject({
      adminKey: undefined,
      redisPrefix: "rapfs",
      keyCacheTtlMs: 30_000,
      quotaLeaseMs: 250,
    });
    for (const bad of ["-1", "1.5", "10001", "soon"]) {
      expect(() => loadAccessConfig({ RAPFS_QUOTA_LEASE_MS: bad })).toThrow(
        /RAPFS_QUOTA_LEASE_MS: an integer number of milliseconds from 0 to 10000/,
      );
    }
  });
});

describe("scopes", () => {
  it("parse a comma list and refuse unknown names", () => {
    expect(parseScopes("features:read, embeddings:read,features:read")).toEqual([
      "features:read",
      "embeddings:read",
    ]);
    expect(() => parseScopes("features:write")).toThrow(
      /Unknown scope features:write; scopes are features:read/,
    );
    expect(() => parseScopes(" , ")).toThrow(/No scope given/);
  });

  it("let admin imply every scope and never let a key grant more than it holds", () => {
    expect(hasScope(["admin"], "datasets:read")).toBe(true);
    expect(hasScope(["features:read"], "datasets:read")).toBe(false);
    expect(missingScopes(["features:read", "keys:manage"], ["features:read", "admin"])).toEqual(["admin"]);
  });
});

describe("RateLimit headers", () => {
  const requests = policyFor(DEFAULT_TIERS, "free", "requests");
  const rows = policyFor(DEFAULT_TIERS, "free", "rows");
  if (!requests || !rows) throw new Error("free tier has limits");

  it("list every checked policy in the IETF draft format", () => {
    const results: LimitResult[] = [
      { allowed: true, limit: 60, remaining: 59, resetSeconds: 41, policy: requests },
      { allowed: true, limit: 10_000, remaining: 9_900, resetSeconds: 50_000, policy: rows },
    ];
    expect(rateLimitHeaders(results)).toEqual({
      "RateLimit-Policy": '"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"',
      RateLimit: '"requests";r=59;t=41, "rows";r=9900;t=50000',
    });
  });

  it("add Retry-After from the refusing policy, at least one second", () => {
    const refused: LimitResult = {
      allowed: false,
      limit: 60,
      remaining: 0,
      resetSeconds: 17,
      policy: requests,
    };
    expect(rateLimitHeaders([refused])["Retry-After"]).toBe("17");
    expect(rateLimitHeaders([{ ...refused, resetSeconds: 0 }])["Retry-After"]).toBe("1");
    expect(rateLimitHeaders([])).toEqual({});
    expect(rateLimitHeaders([{ ...refused, policy: SIGNUP_POLICY, limit: 5 }])["RateLimit-Policy"]).toBe(
      '"signup";q=5;w=3600',
    );
  });
});
