import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/api/env";
import { errorResponses } from "../../src/api/errors";
import type { Database } from "../../src/db/database";
import { DomainError } from "../../src/errors";
import { openEmbeddedTestDatabase } from "../support/databases";
import { createTestApp, type TestApp } from "./harness";

const fileRoute = createRoute({
  method: "get",
  path: "/files/{ending}",
  request: { params: z.object({ ending: z.enum(["complete", "failed", "sized"]) }) },
  responses: { 200: { description: "a file" }, ...errorResponses() },
});

/** A file whose body sends one chunk, then ends as asked. */
const registerFiles = (app: App) =>
  app.openapi(fileRoute, (c) => {
    const { ending } = c.req.valid("param");
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array(1_000));
        } else if (ending === "failed") controller.error(new Error("the encoder failed"));
        // Its end comes late (a spool file still being closed): the client has every byte first.
        else if (ending === "sized") return new Promise(() => {});
        else controller.close();
      },
    });
    const length: Record<string, string> = ending === "sized" ? { "content-length": "1000" } : {};
    return c.body(body, 200, { "content-disposition": 'attachment; filename="x.csv"', ...length });
  });

const slowRoute = createRoute({
  method: "get",
  path: "/slow",
  responses: { 200: { description: "an answer, after a while" }, ...errorResponses() },
});

/** Work that follows its client: it stops by throwing the request signal's reason. */
const registerSlow = (app: App) =>
  app.openapi(slowRoute, async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    c.req.raw.signal.throwIfAborted();
    return c.json({}, 200);
  });

const shedRoute = createRoute({
  method: "get",
  path: "/shed",
  responses: { 200: { description: "never" }, ...errorResponses("UNAVAILABLE") },
});

/** Load shed on purpose: every slot taken, retry later. */
const registerShed = (app: App) =>
  app.openapi(shedRoute, () => {
    throw new DomainError("UNAVAILABLE", "Too many downloads are being prepared; retry shortly.", {
      headers: { "retry-after": "5" },
    });
  });

let database: Database;
let t: TestApp;
beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database, { routes: [registerFiles, registerSlow, registerShed] });
});
afterAll(async () => {
  await database.close();
});

const lineOf = (path: string) => t.logs.find((l) => l.msg === "request" && l.path === path);

describe("the access log says how a file's body ended", () => {
  it("a file sent whole is logged when its last byte has gone, with its bytes", async () => {
    const response = await t.app.request("/files/complete");
    expect(lineOf("/files/complete")).toBeUndefined();
    expect((await response.arrayBuffer()).byteLength).toBe(1_000);
    expect(lineOf("/files/complete")).toMatchObject({
      status: 200,
      outcome: "complete",
      bytes: 1_000,
      level: "info",
    });
  });

  it("a file failing mid-stream is logged as failed, at error level, with why, not as a plain 200", async () => {
    const response = await t.app.request("/files/failed");
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(lineOf("/files/failed")).toMatchObject({
      status: 200,
      outcome: "failed",
      bytes: 1_000,
      error: "the encoder failed",
      level: "error",
    });
  });

  it("a file the client abandons is logged as aborted", async () => {
    const response = await t.app.request("/files/complete");
    await response.body?.cancel();
    expect(lineOf("/files/complete")).toBeDefined();
    expect(t.logs.filter((l) => l.path === "/files/complete").at(-1)).toMatchObject({ outcome: "aborted" });
  });

  it("a file of known length whose every byte was taken is complete, even if the client hangs up before its end is read", async () => {
    const response = await t.app.request("/files/sized");
    const reader = response.body?.getReader();
    let received = 0;
    while (received < 1_000) received += (await reader?.read())?.value?.byteLength ?? 1_000;
    await reader?.cancel();
    expect(lineOf("/files/sized")).toMatchObject({ outcome: "complete", bytes: 1_000 });
  });
});

describe("a request its client closes before the answer", () => {
  it("is logged as 499 aborted at info level, not as a failure, when the work stops on the signal's reason", async () => {
    // @hono/node-server aborts a request's signal with a string when its client hangs up.
    const gone = new AbortController();
    const answer = t.app.request("/slow", { signal: gone.signal });
    gone.abort("Error: aborted");
    const response = await answer;
    expect(response.status).toBe(499);
    expect(lineOf("/slow")).toMatchObject({ status: 499, outcome: "aborted", level: "info" });
    expect(t.logs.filter((l) => l.level === "error" && l.path !== "/files/failed")).toEqual([]);
  });
});

describe("a 503 the server sheds on purpose", () => {
  it("is logged at warn level: a full house asks the client to retry, it is not a failure to page on", async () => {
    const response = await t.app.request("/shed");
    expect(response.status).toBe(503);
    expect(lineOf("/shed")).toMatchObject({ status: 503, level: "warn" });
  });
});
