import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAccessConfig } from "../../src/access/config";
import type { Database } from "../../src/db/database";
import { openReadRouter } from "../../src/db/replica";
import type { ReadinessReport } from "../../src/health/readiness";
import { createMetrics } from "../../src/metrics/registry";
import { type BuiltServices, buildServices } from "../../src/runtime/compose";
import { capturingLogger, testConfig } from "../api/harness";
import { openEmbeddedTestDatabase } from "../support/databases";

// Nothing listens on these: a Redis Cluster the process never reaches.
const UNREACHED = "redis+cluster://127.0.0.1:7997,127.0.0.1:7998";

/** A process started with REDIS_URL naming a Redis Cluster it never reaches (#27.5). */
describe("a Redis Cluster that was never reached", () => {
  let database: Database;
  let built: BuiltServices;
  let report: ReadinessReport;

  beforeAll(async () => {
    database = await openEmbeddedTestDatabase();
    const { logger } = capturingLogger();
    built = await buildServices({
      config: { ...testConfig(), redisUrl: UNREACHED },
      logger,
      database,
      metrics: createMetrics({ defaultMetrics: false }),
      keyPrefix: `test-unreached-${process.pid}`,
      accessConfig: loadAccessConfig({}),
      reads: await openReadRouter({ primary: database.sql }),
    });
    report = await built.services.readiness.run();
  });
  afterAll(async () => {
    await built?.close();
    await database?.close();
  });

  it("fails the redis readiness check, as the limiter's does (it passed: no master, nothing to ping)", () => {
    const check = (name: string) => report.checks.find((c) => c.name === name);
    expect(check("redis")).toMatchObject({ status: "fail", critical: false });
    expect(check("redis")?.detail).toMatch(/Redis Cluster/);
    expect(check("limiter")).toMatchObject({ status: "fail" });
    expect(report.status).toBe("degraded");
  });

  it("reports the download spool as a non-critical check (only downloads need it)", () => {
    expect(report.checks.find((c) => c.name === "spool")).toMatchObject({ status: "pass", critical: false });
  });

  it("exports rapfs_online_store_up 0 and rapfs_redis_circuits_open, so RapfsOnlineStoreDown can fire", async () => {
    const text = await built.services.metrics.registry.metrics();
    expect(text).toMatch(/^rapfs_online_store_up 0$/m);
    expect(text).toMatch(/^rapfs_redis_circuits_open \d+$/m);
  });
});

describe("the online-store gauges", () => {
  it("are exported from the start, before any store reports (up: no Redis to miss)", async () => {
    const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
    expect(text).toMatch(/^rapfs_online_store_up 1$/m);
    expect(text).toMatch(/^rapfs_redis_circuits_open 0$/m);
  });
});
