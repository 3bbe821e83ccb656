import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/api/env";
import { errorResponses } from "../../src/api/errors";
import type { Database } from "../../src/db/database";
import { openEmbeddedTestDatabase } from "../support/databases";
import { createTestApp, type TestApp } from "./harness";

const thingRoute = createRoute({
  method: "get",
  path: "/things/{id}",
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: "a thing" }, ...errorResponses() },
});
const registerThings = (app: App) => app.openapi(thingRoute, (c) => c.body(null, 200));

let database: Database;
let t: TestApp;

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database, { routes: [registerThings] });
});
afterAll(async () => {
  await database.close();
});

const scrape = async () => {
  const res = await t.app.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
};

describe("GET /metrics", () => {
  it("counts requests by route pattern and status, never by raw path", async () => {
    for (const id of ["41", "42", "43"]) await t.app.request(`/things/${id}`);
    await t.app.request("/no/such/thing-99");
    const text = await scrape();
    expect(text).toContain('rapfs_http_requests_total{method="GET",route="/things/:id",status="200"} 3');
    expect(text).toContain('rapfs_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(
      /rapfs_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/things\/:id",status="200"\} \d+/,
    );
    expect(text).not.toMatch(/thing-99|\/things\/4[123]/);
  });

  it("exposes the online-store, freshness, materialization and quota series", async () => {
    const { metrics } = t.services;
    metrics.cacheLookups("redis", "qwen_analysis@2").hit += 5;
    metrics.cacheLookups("memory", "qwen_analysis@2").miss += 2;
    metrics.onlineFallbacks.inc({ view: "qwen_analysis@2", reason: "unavailable" });
    metrics.markMaterialized("qwen_analysis@2", new Date(Date.now() - 90_000));
    metrics.materializationRuns.inc({ view: "qwen_analysis@2", mode: "full", outcome: "success" });
    metrics.quotaRejections.inc({ tier: "free", limit: "requests" });
    const text = await scrape();
    expect(text).toContain(
      'rapfs_online_cache_lookups_total{layer="redis",view="qwen_analysis@2",result="hit"} 5',
    );
    expect(text).toContain(
      'rapfs_online_cache_lookups_total{layer="memory",view="qwen_analysis@2",result="miss"} 2',
    );
    // Counted at scrape time: a second scrape reports the same totals, not twice them.
    expect(await scrape()).toContain(
      'rapfs_online_cache_lookups_total{layer="redis",view="qwen_analysis@2",result="hit"} 5',
    );
    expect(text).toContain('rapfs_online_fallbacks_total{view="qwen_analysis@2",reason="unavailable"} 1');
    expect(text).toContain("rapfs_online_store_up 1");
    expect(text).toContain(
      'rapfs_materialization_runs_total{view="qwen_analysis@2",mode="full",outcome="success"} 1',
    );
    expect(text).toContain('rapfs_quota_rejections_total{tier="free",limit="requests"} 1');
    const freshness = /rapfs_feature_freshness_seconds\{view="qwen_analysis@2"\} ([\d.]+)/.exec(text);
    expect(Number(freshness?.[1])).toBeGreaterThanOrEqual(90);
  });

  it("keeps each app's series apart (own registry, not the global one)", async () => {
    const other = createTestApp(database);
    await other.app.request("/health");
    const text = await (await other.app.request("/metrics")).text();
    expect(text).not.toContain("/things/:id");
  });
});
