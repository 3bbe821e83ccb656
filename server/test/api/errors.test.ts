import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/api/env";
import { errorResponses, ProblemSchema } from "../../src/api/errors";
import type { Database } from "../../src/db/database";
import { DomainError, type ErrorCode, errorCodes } from "../../src/errors";
import { openEmbeddedTestDatabase } from "../support/databases";
import { createTestApp, type TestApp } from "./harness";

// Routes that exist only in this test, written the way real routes are.
const batchRoute = createRoute({
  method: "post",
  path: "/test/{entity}/batch",
  request: {
    params: z.object({ entity: z.enum(["track", "artist"]) }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(10).optional() }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            ids: z.array(z.string().min(1)).min(1).max(3),
            format: z.enum(["row", "columnar"]),
          }),
        },
      },
    },
  },
  responses: {
    200: { description: "ok", content: { "application/json": { schema: z.object({ count: z.number() }) } } },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND"),
  },
});
const throwingRoute = createRoute({
  method: "get",
  path: "/test/throw/{kind}",
  request: { params: z.object({ kind: z.string() }) },
  responses: { 200: { description: "never" }, ...errorResponses("NOT_FOUND", "RATE_LIMITED") },
});

function registerTestRoutes(app: App): void {
  app.openapi(batchRoute, (c) => c.json({ count: c.req.valid("json").ids.length }, 200));
  app.openapi(throwingRoute, (c) => {
    const { kind } = c.req.valid("param");
    if (kind === "not-found")
      throw new DomainError("NOT_FOUND", "No track 42.", { extensions: { suggestions: ["a"] } });
    if (kind === "limited")
      throw new DomainError("RATE_LIMITED", "Slow down.", { headers: { "retry-after": "7" } });
    if (kind === "string") throw "a thrown string";
    if (kind === "database-lost")
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    if (kind === "unavailable") {
      throw new DomainError("UNAVAILABLE", "The database is unavailable.", {
        cause: new Error("pool exhausted"),
      });
    }
    throw new Error("connection to 10.1.2.3 failed: password=hunter2");
  });
}

let database: Database;
let t: TestApp;

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database, { routes: [registerTestRoutes], maxBodyBytes: 2_048 });
});
afterAll(async () => {
  await database.close();
});

async function problem(res: Response, code: ErrorCode) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = ProblemSchema.parse(await res.json());
  expect(res.status).toBe(errorCodes[code].status);
  expect(body).toMatchObject({ status: res.status, code, title: errorCodes[code].title });
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  expect(body.type).toBe(`/docs/problems#problem-${code.toLowerCase().replaceAll("_", "-")}`);
  return body;
}

const post = (
  path: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) => t.app.request(path, { method: "POST", body, headers });

describe("problem+json errors", () => {
  it("answers a valid request normally", async () => {
    const res = await post("/test/track/batch", JSON.stringify({ ids: ["1", "2"], format: "row" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 2 });
  });

  it("404 for an unknown route", async () => {
    const body = await problem(await t.app.request("/nope?x=1"), "NOT_FOUND");
    expect(body.instance).toBe("/nope");
    // The path is the problem's instance; the detail does not repeat it.
    expect(body.detail).toBe("There is no route for GET at this path.");
  });

  it("400 MALFORMED_JSON for a body that is not JSON", async () => {
    const body = await problem(await post("/test/track/batch", '{"ids": ["1",'), "MALFORMED_JSON");
    expect(body.instance).toBe("/test/track/batch");
  });

  it("400 VALIDATION_FAILED listing every bad field with its path, in params, query and body", async () => {
    const param = await problem(await post("/test/album/batch", "{}"), "VALIDATION_FAILED");
    expect(param.errors?.map((e) => [e.in, e.path, e.pointer])).toEqual([["param", ["entity"], "#/entity"]]);
    const query = await problem(await post("/test/track/batch?limit=99", "{}"), "VALIDATION_FAILED");
    expect(query.errors?.map((e) => [e.in, e.path])).toEqual([["query", ["limit"]]]);
    const body = await problem(
      await post("/test/track/batch", JSON.stringify({ ids: ["1", "", 3], format: "wide" })),
      "VALIDATION_FAILED",
    );
    expect(body.errors?.map((e) => [e.in, e.pointer])).toEqual([
      ["json", "#/ids/1"],
      ["json", "#/ids/2"],
      ["json", "#/format"],
    ]);
    expect(body.errors?.[1]).toMatchObject({ path: ["ids", 2], code: "invalid_type" });
    expect(body.detail).toBe("3 problems in the request json: ids.1, ids.2, format");
  });

  it("415 UNSUPPORTED_MEDIA_TYPE when a required JSON body comes as another type", async () => {
    await problem(
      await post("/test/track/batch", "ids=1", { "content-type": "text/plain" }),
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });

  it("413 PAYLOAD_TOO_LARGE above the body limit", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `id-${i}`);
    await problem(
      await post("/test/track/batch", JSON.stringify({ ids, format: "row" })),
      "PAYLOAD_TOO_LARGE",
    );
  });

  it("sends a DomainError's status, detail, extensions and headers", async () => {
    const notFound = await problem(await t.app.request("/test/throw/not-found"), "NOT_FOUND");
    expect(notFound).toMatchObject({ detail: "No track 42.", suggestions: ["a"] });
    const limited = await t.app.request("/test/throw/limited");
    expect(limited.headers.get("retry-after")).toBe("7");
    await problem(limited, "RATE_LIMITED");
  });

  it("500 INTERNAL_ERROR for an unknown error, without leaking internals, logged with the request id", async () => {
    const res = await t.app.request("/test/throw/boom", { headers: { "x-request-id": "boom-1" } });
    const text = await res.clone().text();
    const body = await problem(res, "INTERNAL_ERROR");
    expect(body.detail).toMatch(/request id/);
    for (const secret of ["10.1.2.3", "hunter2", "Error", "at ", ".ts"]) expect(text).not.toContain(secret);
    const logged = t.logs.find((l) => l.request_id === "boom-1" && l.msg === "request failed");
    expect(logged?.error).toContain("hunter2");
    expect(logged?.stack).toContain("errors.test.ts");
  });

  it("logs the cause of a deliberate 5xx, and nothing more for one without a cause", async () => {
    await t.app.request("/test/throw/unavailable", { headers: { "x-request-id": "unavail-1" } });
    const failure = t.logs.find((l) => l.request_id === "unavail-1" && l.msg === "request failed");
    expect(failure).toMatchObject({ cause: "pool exhausted" });
  });

  it("logs a database loss once per window, not once per request: each request still gets its 503", async () => {
    const ids = ["lost-1", "lost-2", "lost-3"];
    for (const id of ids) {
      const res = await t.app.request("/test/throw/database-lost", { headers: { "x-request-id": id } });
      await problem(res, "UNAVAILABLE");
      expect(res.headers.get("retry-after")).toBe("1");
    }
    // At most the first (another file's loss in this worker may have opened the window already).
    const lines = t.logs.filter((l) => ids.includes(l.request_id as string) && l.msg === "request failed");
    expect(lines.length).toBeLessThanOrEqual(1);
  });

  it("500 for a thrown non-Error value too", async () => {
    await problem(await t.app.request("/test/throw/string"), "INTERNAL_ERROR");
  });
});
