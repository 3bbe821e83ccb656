import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthSchema } from "../../src/api/routes/health";
import type { Database } from "../../src/db/database";
import { openEmbeddedTestDatabase } from "../support/databases";
import { createTestApp, type TestApp, UUID } from "./harness";

let database: Database;
let t: TestApp;

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database);
});
afterAll(async () => {
  await database.close();
});

describe("GET /health", () => {
  it("answers ok with the uptime", async () => {
    const res = await t.app.request("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = HealthSchema.parse(await res.json());
    expect(body.status).toBe("ok");
  });
});

describe("request id", () => {
  it("is generated when the client sends none", async () => {
    const a = await t.app.request("/health");
    const b = await t.app.request("/health");
    expect(a.headers.get("x-request-id")).toMatch(UUID);
    expect(b.headers.get("x-request-id")).not.toBe(a.headers.get("x-request-id"));
  });

  it("echoes an acceptable id the client sent", async () => {
    const res = await t.app.request("/health", { headers: { "x-request-id": "trace-42.a:b=c" } });
    expect(res.headers.get("x-request-id")).toBe("trace-42.a:b=c");
  });

  it("replaces an id that could forge log lines or bloat them", async () => {
    for (const bad of ["two words", 'quote"d', "x".repeat(129), "new\\nline"]) {
      const res = await t.app.request("/health", { headers: { "x-request-id": bad } });
      expect(res.headers.get("x-request-id")).toMatch(UUID);
    }
  });

  it("is on error responses too, and in the problem body", async () => {
    const res = await t.app.request("/no/such/route", { headers: { "x-request-id": "req-404" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("req-404");
    expect(await res.json()).toMatchObject({ request_id: "req-404" });
  });

  it("binds the id to the access log line", async () => {
    await t.app.request("/health", { headers: { "x-request-id": "logged-1" } });
    const line = t.logs.find((l) => l.request_id === "logged-1");
    expect(line).toMatchObject({
      msg: "request",
      method: "GET",
      route: "/health",
      path: "/health",
      status: 200,
    });
    expect(typeof line?.duration_ms).toBe("number");
  });
});
