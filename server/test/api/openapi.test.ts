import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { errorCodeList } from "../../src/errors";
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

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
};

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document listing the routes", async () => {
    const res = await t.app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/health",
      "/metrics",
      "/ready",
      "/v1/admin/accounts",
      "/v1/admin/accounts/{id}",
      "/v1/keys",
      "/v1/keys/{id}",
      "/v1/keys/{id}/rotate",
      "/v1/signup",
      "/v1/usage",
    ]);
  });

  it("documents errors as problem+json with the codes the server sends", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as Doc;
    const ready = doc.paths["/ready"]?.get?.responses;
    expect(Object.keys(ready ?? {}).sort()).toEqual(["200", "500", "503"]);
    expect(ready?.["503"]?.content).toHaveProperty(["application/problem+json"]);
    expect(doc.components.schemas.Problem?.properties?.code?.enum).toEqual(errorCodeList);
  });
});

describe("GET /docs", () => {
  it("serves a self-contained page that needs nothing from another host", async () => {
    const res = await t.app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain('id="problem-validation-failed"');
    // Its script is a console asset, relative to /docs, built with the console's DOM helper.
    const src = /<script type="module" src="([^"]+)">/.exec(html)?.[1] ?? "";
    expect(src).toBe("console/assets/api-docs.js");
    const script = await (await t.app.request(`/${src}`)).text();
    expect(script).toContain('fetch("openapi.json")');
    expect(script).toContain('from "./dom.js"');
    expect((await t.app.request("/console/assets/dom.js")).status).toBe(200);
  });

  it("is not itself listed in the OpenAPI document", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as Doc;
    expect(doc.paths).not.toHaveProperty("/docs");
  });
});
