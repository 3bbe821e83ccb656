import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { loadAccessConfig } from "../../src/access/config";
import { limitSignups } from "../../src/api/access/signup-limit";
import { createApp } from "../../src/api/app";
import type { App } from "../../src/api/env";
import { errorResponses } from "../../src/api/errors";
import { httpDependencies } from "../../src/runtime/compose";
import type { Services } from "../../src/usecases";
import { createTestApp } from "../api/harness";
import { describeAuthenticatedRoute } from "./security-cases";
import { type AccessTestDatabase, accessTestDatabase } from "./support";

// Routes that exist only in this test, written the way real authenticated routes are: under /v1,
// where the app-level guard authenticates, checks the scope and spends up front (route-access.ts).
const getRoute = createRoute({
  method: "get",
  path: "/v1/features/test/{id}",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: "ok",
      content: { "application/json": { schema: z.object({ account: z.string() }) } },
    },
    ...errorResponses("UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED"),
  },
});
const batchRoute = createRoute({
  method: "post",
  path: "/v1/features/test/batch",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ ids: z.array(z.string()).min(1).max(1_000) }) } },
    },
  },
  responses: {
    200: { description: "ok", content: { "application/json": { schema: z.object({ count: z.number() }) } } },
    ...errorResponses("UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "VALIDATION_FAILED"),
  },
});
const signupRoute = createRoute({
  method: "post",
  path: "/test/signup",
  middleware: [limitSignups((c) => c.req.header("x-test-client") ?? "unknown")] as const,
  responses: { 201: { description: "an account created" }, ...errorResponses("RATE_LIMITED") },
});

function registerTestRoutes(app: App): void {
  // As a single lookup: the row due with its request is spent once it is read.
  app.openapi(getRoute, async (c) => {
    await c.get("payer").spend({});
    return c.json({ account: c.get("payer").principal.accountId }, 200);
  });
  app.openapi(batchRoute, async (c) => {
    const { ids } = c.req.valid("json");
    await c.get("payer").spend({ rows: ids.length });
    return c.json({ count: ids.length }, 200);
  });
  app.openapi(signupRoute, (c) => c.body(null, 201));
}

let db: AccessTestDatabase;
let access: AccessServices;
let app: App;
let services: Services & { access: AccessServices };
let base: ReturnType<typeof createTestApp>;

beforeAll(async () => {
  db = await accessTestDatabase();
  const config = loadAccessConfig({
    RAPFS_TIERS: JSON.stringify({ free: { requests: 5, rows: 20, downloads: 1 } }),
  });
  access = await createAccessServices({ sql: db.sql, config });
  base = createTestApp({
    sql: db.sql,
    bulk: db.sql,
    mode: "server",
    ping: async () => {},
    watchReachability: () => {},
    close: async () => {},
  });
  services = { ...base.services, access };
  app = createApp(httpDependencies(services), { routes: [registerTestRoutes] });
});
afterAll(async () => {
  await access?.close();
  await db?.close();
});

describeAuthenticatedRoute("GET /v1/features/test/{id}", () => ({
  access,
  scope: "features:read",
  send: (headers) => app.request("/v1/features/test/1", { headers }),
}));
describeAuthenticatedRoute("POST /v1/features/test/batch", () => ({
  access,
  scope: "features:read",
  send: (headers) =>
    app.request("/v1/features/test/batch", {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ ids: ["1"] }),
    }),
}));

let n = 0;
const issued: string[] = [];
const newKey = async () => {
  const { key } = await access.accounts.signup({ email: `mw-${n++}@example.com` });
  issued.push(key.key);
  return key.key;
};

describe("an authenticated route", () => {
  it("sets the principal and RateLimit headers on success", async () => {
    const key = await newKey();
    const response = await app.request("/v1/features/test/7", { headers: { "x-api-key": key } });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toBe(
      '"requests";q=5;w=60, "rows";q=20;w=86400;qu="rows"',
    );
    expect(response.headers.get("ratelimit")).toMatch(/^"requests";r=4;t=\d+, "rows";r=19;t=\d+$/);
    expect(response.headers.get("retry-after")).toBeNull();
  });

  it("answers 429 with Retry-After and the headers once the rate is spent", async () => {
    const key = await newKey();
    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await app.request("/v1/features/test/7", { headers: { authorization: `Bearer ${key}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const retryAfter = Number(last?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(last?.headers.get("ratelimit")).toMatch(/^"requests";r=0;t=\d+$/);
    const problem = await last?.json();
    expect(problem).toMatchObject({
      status: 429,
      code: "RATE_LIMITED",
      policy: "requests",
      limit: 5,
      remaining: 0,
    });
    const metric = await services.metrics.registry.getSingleMetricAsString("rapfs_quota_rejections_total");
    expect(metric).toContain('rapfs_quota_rejections_total{tier="free",limit="requests"}');
  });

  it("spends a batch's rows only after validation, refusing what does not fit", async () => {
    const key = await newKey();
    const post = (body: unknown) =>
      app.request("/v1/features/test/batch", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ ids: [] })).status).toBe(400);
    const ok = await post({ ids: Array.from({ length: 15 }, (_, i) => String(i)) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit")).toMatch(/"rows";r=5;/);
    const refused = await post({ ids: Array.from({ length: 6 }, (_, i) => String(i)) });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ policy: "rows", limit: 20, remaining: 5 });
    expect(refused.headers.get("ratelimit-policy")).toContain('"rows";q=20;w=86400;qu="rows"');
    expect((await post({ ids: ["a", "b", "c", "d", "e"] })).status).toBe(200);
  });

  it("limits signups per client address", async () => {
    const send = (client: string) =>
      app.request("/test/signup", { method: "POST", headers: { "x-test-client": client } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await send("198.51.100.1")).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    expect((await send("198.51.100.2")).status).toBe(201);
  });

  it("never writes a presented key to the request log", () => {
    expect(base.logs.length).toBeGreaterThan(10);
    for (const key of issued) expect(base.rawLogs()).not.toContain(key.slice("rapfs_".length));
  });
});
