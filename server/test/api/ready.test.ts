import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemSchema } from "../../src/api/errors";
import { ReadySchema } from "../../src/api/routes/ready";
import type { Database } from "../../src/db/database";
import { eventually } from "../access-http/processes";
import { openEmbeddedTestDatabase } from "../support/databases";
import { createTestApp, type TestApp } from "./harness";

let database: Database;
let t: TestApp;

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database);
});
afterAll(async () => {
  await database.close();
});

describe("GET /ready", () => {
  it("is ready when every check passes", async () => {
    const res = await t.app.request("/ready");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = ReadySchema.parse(await res.json());
    expect(body.status).toBe("ready");
    expect(body.checks).toEqual([
      expect.objectContaining({ name: "database", status: "pass", critical: true }),
    ]);
  });

  it("is degraded, still 200, when only a non-critical check fails", async () => {
    t.services.readiness.register({
      name: "redis",
      critical: false,
      check: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      },
    });
    const body = ReadySchema.parse(await (await t.app.request("/ready")).json());
    expect(body.status).toBe("degraded");
    expect(body.checks.find((c) => c.name === "redis")).toMatchObject({
      status: "fail",
      detail: /ECONNREFUSED/,
    });
  });

  it("is a 503 problem listing the failed checks when a critical one fails", async () => {
    t.services.readiness.register({
      name: "definitions",
      check: async () => {
        throw new Error("no feature views loaded");
      },
    });
    const res = await t.app.request("/ready");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
    const body = ProblemSchema.parse(await res.json());
    expect(body).toMatchObject({ status: 503, title: "The service is not ready", type: expect.any(String) });
    expect(body.code).toBe("NOT_READY");
    expect(body.detail).toBe("Failing checks: redis, definitions.");
    expect(body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "database", status: "pass" }),
        expect.objectContaining({ name: "definitions", status: "fail", detail: "no feature views loaded" }),
      ]),
    );
  });

  it("does not hang on a check that never answers", async () => {
    t.services.readiness.register({ name: "definitions", check: () => new Promise(() => {}) });
    const res = await t.app.request("/ready");
    expect(res.status).toBe(503);
    const body = ProblemSchema.parse(await res.json());
    expect(body.checks).toContainEqual(
      expect.objectContaining({ name: "definitions", detail: expect.stringMatching(/no answer within/) }),
    );
  });

  it("is not ready when the database is gone", async () => {
    const lost = await openEmbeddedTestDatabase({ migrate: false });
    const app = createTestApp(lost).app;
    expect((await app.request("/ready")).status).toBe(200);
    await lost.close();
    // The last report answers for a second; the next run finds the database gone.
    const res = await eventually(async () => {
      const r = await app.request("/ready");
      expect(r.status).toBe(503);
      return r;
    }, 5_000);
    const body = ProblemSchema.parse(await res.json());
    expect(body.checks).toContainEqual(expect.objectContaining({ name: "database", status: "fail" }));
  });

  it("runs its checks once a second however many probes arrive, and a new check at once", async () => {
    let runs = 0;
    const fresh = createTestApp(database);
    fresh.services.readiness.register({
      name: "counted",
      critical: false,
      check: async () => {
        runs++;
      },
    });
    const bodies = await Promise.all(
      Array.from({ length: 50 }, async () =>
        ReadySchema.parse(await (await fresh.app.request("/ready")).json()),
      ),
    );
    expect(runs).toBe(1);
    expect(new Set(bodies.map((b) => b.checked_at)).size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await fresh.app.request("/ready");
    expect(runs).toBe(2);
  });
});
