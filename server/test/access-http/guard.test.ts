import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateKey } from "../../src/access/api-key-format";
import { BLOCKED_LOOKUPS } from "../../src/access/gate";
import type { App } from "../../src/api/env";
import { errorResponses } from "../../src/api/errors";
import { DomainError } from "../../src/errors";
import { type AccessApp, startAccessApp, TEST_TIERS } from "./app";

const METRICS_TOKEN = "metrics-token-0123456789";

// Stand-ins for routes other modules own, registered the way they are: no access code of their own.
function registerStandIns(app: App): void {
  const ok = { 200: { description: "ok", content: { "application/json": { schema: z.object({}) } } } };
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/features/{entity}/{id}",
      request: { params: z.object({ entity: z.string(), id: z.string() }) },
      responses: { ...ok, ...errorResponses("NOT_FOUND") },
    }),
    async (c) => {
      // As the lookup's use case: its checks first, then the row due with the request is spent.
      if (c.req.valid("param").id === "missing") throw new DomainError("NOT_FOUND", "No such track.");
      await c.get("payer").spend({});
      return c.json({}, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/features/{entity}/batch",
      request: {
        params: z.object({ entity: z.string() }),
        body: {
          content: { "application/json": { schema: z.object({ ids: z.array(z.number()).max(100) }) } },
        },
      },
      responses: { ...ok, ...errorResponses("VALIDATION_FAILED", "RATE_LIMITED") },
    }),
    async (c) => {
      await c.get("payer").spend({ rows: c.req.valid("json").ids.length });
      return c.json({}, 200);
    },
  );
  app.openapi(
    createRoute({ method: "get", path: "/v1/experimental/thing", responses: { ...ok, ...errorResponses() } }),
    (c) => c.json({}, 200),
  );
  // A handler that spends its download and builds its own Response, as a streamed download does.
  app.get("/v1/datasets/:name/download", async (c) => {
    await c.get("payer").spend({ downloads: 1 });
    return new Response("a,b\n1,2\n", {
      headers: { "content-type": "text/csv", "cache-control": "private, no-store" },
    });
  });
}

let t: AccessApp;
beforeAll(async () => {
  t = await startAccessApp({ env: { RAPFS_METRICS_TOKEN: METRICS_TOKEN }, routes: [registerStandIns] });
});
afterAll(() => t?.close());

describe("the app-level guard", () => {
  it("keeps every authenticated answer out of shared caches, a route's own no-store kept", async () => {
    const { key } = await t.signup("cache@example.com");
    const answers = [
      await t.call("GET", "/v1/features/track/1", { key }),
      await t.call("GET", "/v1/features/track/missing", { key }),
      await t.call("GET", "/v1/features/track/1", { key: `${key}x` }),
      await t.call("GET", "/v1/features/track/1"),
      await t.call("POST", "/v1/features/track/batch", { key, body: { ids: ["not a number"] } }),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 404, 401, 401, 400]);
    for (const res of answers) {
      expect(res.headers.get("cache-control")).toBe("private");
      expect(res.headers.get("vary")).toBe("Authorization, X-API-Key");
    }
    const usage = await t.call("GET", "/v1/usage", { key });
    expect(usage.headers.get("cache-control")).toBe("no-store");
    expect(usage.headers.get("vary")).toBe("Authorization, X-API-Key");
    const download = await t.call("GET", "/v1/datasets/public/download", { key });
    expect(download.headers.get("cache-control")).toBe("private, no-store");
    expect(download.headers.get("vary")).toBe("Authorization, X-API-Key");
    await download.body?.cancel();
    // Open routes are left alone.
    expect((await t.call("GET", "/health")).headers.get("vary")).toBeNull();
  });

  it("serves the open routes without a key", async () => {
    for (const path of ["/health", "/ready", "/docs", "/openapi.json"]) {
      expect((await t.call("GET", path)).status, path).toBe(200);
    }
  });

  it("covers routes it was never told about, by path prefix", async () => {
    const { key } = await t.signup("guarded@example.com");
    expect((await t.call("GET", "/v1/features/track/1")).status).toBe(401);
    const res = await t.call("GET", "/v1/features/track/1", { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toBe(
      `"requests";q=${TEST_TIERS.free.requests};w=60, "rows";q=${TEST_TIERS.free.rows};w=86400;qu="rows"`,
    );
    // One row for the single-entity GET, spent by the guard.
    expect(res.headers.get("ratelimit")).toMatch(/^"requests";r=29;t=\d+, "rows";r=49;t=\d+$/);
  });

  it("counts a single lookup refused by a check as a request, but spends no row for it", async () => {
    const { key } = await t.signup("refused-lookup@example.com");
    const missing = await t.call("GET", "/v1/features/track/missing", { key });
    expect(missing.status).toBe(404);
    // Nothing was read: its row is not spent (it was, though a failed batch gave its rows back).
    expect(missing.headers.get("ratelimit")).toMatch(/^"requests";r=29;t=\d+$/);
    const found = await t.call("GET", "/v1/features/track/1", { key });
    expect(found.headers.get("ratelimit")).toMatch(/^"requests";r=28;t=\d+, "rows";r=49;t=\d+$/);
  });

  it("answers a single lookup over its rate with 429 though its handler ran alongside the check", async () => {
    const { key } = await t.signup("concurrent@example.com");
    for (let i = 0; i < TEST_TIERS.free.requests; i++) {
      expect((await t.call("GET", `/v1/features/track/${i}`, { key })).status).toBe(200);
    }
    for (const path of ["/v1/features/track/1", "/v1/features/track/missing"]) {
      const refused = await t.call("GET", path, { key });
      expect(refused.status, path).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.headers.get("ratelimit")).toMatch(/^"requests";r=0;t=\d+/);
      expect(await refused.json()).toMatchObject({ code: "RATE_LIMITED", policy: "requests" });
    }
  });

  it("lets a handler spend a batch's rows after validation, in one rows field", async () => {
    const { key } = await t.signup("batch@example.com");
    const post = (ids: number[]) => t.call("POST", "/v1/features/track/batch", { key, body: { ids } });
    expect((await post(Array.from({ length: 101 }, (_, i) => i))).status).toBe(400);
    const ok = await post(Array.from({ length: 40 }, (_, i) => i));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit")).toMatch(/^"requests";r=28;t=\d+, "rows";r=10;t=\d+$/);
    const refused = await post(Array.from({ length: 11 }, (_, i) => i));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: "RATE_LIMITED", policy: "rows", remaining: 10 });
    expect(await t.quotaRejections()).toContain('rapfs_quota_rejections_total{tier="free",limit="rows"} 1');
  });

  it("keeps the RateLimit fields on a Response a handler built itself", async () => {
    const { key } = await t.signup("downloader@example.com");
    const res = await t.call("GET", "/v1/datasets/public/download", { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toContain('"downloads";q=2;w=86400;qu="downloads"');
    expect(res.headers.get("ratelimit")).toMatch(/"downloads";r=1;/);
  });

  it("limits failed authentications per client address, bounding lookups past the limit; valid keys still pass", async () => {
    const { key } = await t.signup("known-before-the-attack@example.com");
    const attacker = { "x-forwarded-for": "10.0.0.1, 198.51.100.66" };
    const elsewhere = { "x-forwarded-for": "10.0.0.1, 198.51.100.67" };
    // The legitimate key was used from the attacker's address before (a shared NAT).
    expect((await t.call("GET", "/v1/usage", { key, headers: attacker })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await t.call("GET", "/v1/usage", { key: generateKey().key, headers: attacker });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);

    // Past the limit, an unknown key is still looked up (it may be valid), at most
    // BLOCKED_LOOKUPS at a time; one more is refused before any lookup.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let allHeld: () => void = () => {};
    const heldAll = new Promise<void>((resolve) => {
      allHeld = resolve;
    });
    const lookup = t.access.keys.lookup.bind(t.access.keys);
    const lookups = vi.spyOn(t.access.keys, "lookup").mockImplementation(async (hash) => {
      if (lookups.mock.calls.length >= BLOCKED_LOOKUPS) allHeld();
      await held;
      return lookup(hash);
    });
    try {
      const inFlight = Array.from({ length: BLOCKED_LOOKUPS }, () =>
        t.call("GET", "/v1/usage", { key: generateKey().key, headers: attacker }),
      );
      await heldAll;
      const refused = await t.call("GET", "/v1/usage", { key: generateKey().key, headers: attacker });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: "RATE_LIMITED", policy: "auth_failures" });
      expect(lookups).toHaveBeenCalledTimes(BLOCKED_LOOKUPS);
      release();
      // The unknown keys looked up are failures still: 429.
      expect((await Promise.all(inFlight)).map((res) => res.status)).toEqual(
        Array(BLOCKED_LOOKUPS).fill(429),
      );
    } finally {
      release();
      lookups.mockRestore();
    }
    // A valid key this process has never verified passes from the blocked address too.
    const fresh = await t.signup("never-used-before@example.com");
    expect((await t.call("GET", "/v1/usage", { key: fresh.key, headers: attacker })).status).toBe(200);
    // A key this process already knows passes; other addresses are untouched.
    expect((await t.call("GET", "/v1/usage", { key, headers: attacker })).status).toBe(200);
    expect((await t.call("GET", "/v1/usage", { key: generateKey().key, headers: elsewhere })).status).toBe(
      401,
    );
  });

  it("refuses an unmapped /v1 route: 401 without a key, 403 with any key, 404 where nothing is", async () => {
    const { key } = await t.signup("unmapped@example.com");
    expect((await t.call("GET", "/v1/experimental/thing")).status).toBe(401);
    for (const k of [key, t.adminKey]) {
      const res = await t.call("GET", "/v1/experimental/thing", { key: k });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: "FORBIDDEN" });
    }
    expect(t.rawLogs()).toContain("route has no access rule");
    expect((await t.call("GET", "/v1/nothing/here")).status).toBe(401);
    expect((await t.call("GET", "/v1/nothing/here", { key })).status).toBe(404);
    expect((await t.call("GET", "/V1/experimental/thing")).status).toBe(401);
    expect((await t.call("GET", "/v1/signup")).status).toBe(401);
  });

  it("answers 429 with Retry-After and the RateLimit fields once the request rate is spent", async () => {
    const { key } = await t.signup("busy@example.com");
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < TEST_TIERS.free.requests + 2; i++) {
      last = await t.call("GET", "/v1/keys", { key });
      statuses.push(last.status);
      expect(last.headers.get("ratelimit-policy"), `request ${i}`).toContain('"requests";q=30;w=60');
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(TEST_TIERS.free.requests);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    const retryAfter = Number(last?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(last?.headers.get("ratelimit")).toBe(`"requests";r=0;t=${retryAfter}`);
  });
});

describe("GET /metrics with RAPFS_METRICS_TOKEN", () => {
  it("wants the token or an admin key", async () => {
    const { key } = await t.signup("scraper@example.com");
    const get = (headers: Record<string, string>) => t.call("GET", "/metrics", { headers });
    expect((await get({})).status).toBe(401);
    expect((await get({ authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${key}` })).status).toBe(401);
    const scraped = await get({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('rapfs_limiter_backend{backend="redis"} 1');
    expect((await get({ authorization: `Bearer ${t.adminKey}` })).status).toBe(200);
  });
});
