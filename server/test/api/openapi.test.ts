import { createHash } from "node:crypto";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
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

  it("states a whole-number parameter as an integer with its bounds and default", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string; schema: unknown }[] } }>;
    };
    const days = doc.paths["/v1/usage"]?.get?.parameters?.find((p) => p.name === "days");
    expect(days?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 90, default: 30 });
    const limit = doc.paths["/v1/admin/accounts"]?.get?.parameters?.find((p) => p.name === "limit");
    expect(limit?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1_000, default: 100 });
  });
});

describe("GET /docs", () => {
  it("serves Scalar's reference from this server, under a CSP that lets nothing reach another host", async () => {
    const res = await t.app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    const scripts = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([
      expect.stringMatching(/^docs\/scalar\/[\w-]{16}\.js$/),
      "console/assets/api-docs.js",
    ]);
    // Readable before the megabyte of Scalar has loaded: every operation, as HTML.
    const doc = (await (await t.app.request("/openapi.json")).json()) as Doc;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        expect(html).toContain(`<code>${method.toUpperCase()} ${path.replace(/&/g, "&#38;")}</code>`);
      }
    }
    expect(html).toContain("Loading the interactive reference");
    const init = await (await t.app.request("/console/assets/api-docs.js")).text();
    expect(init).toContain('url: "openapi.json"');
    expect(init).toContain("withDefaultFonts: false");
  });

  it("serves Scalar's bundle compressed, under a URL naming its content and cached for good", async () => {
    const html = await (await t.app.request("/docs")).text();
    const url = `/${/src="(docs\/scalar\/[^"]+)"/.exec(html)?.[1]}`;
    const plain = await t.app.request(url);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(plain.headers.get("vary")).toBe("Accept-Encoding");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const identity = Buffer.from(await plain.arrayBuffer());
    expect(createHash("sha256").update(identity).digest("base64url").slice(0, 16)).toBe(
      url.replace(/^.*\/|\.js$/g, ""),
    );
    const br = await t.app.request(url, { headers: { "accept-encoding": "gzip, deflate, br, zstd" } });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toBe("Accept-Encoding");
    const brBody = Buffer.from(await br.arrayBuffer());
    expect(brBody.length).toBeLessThan(identity.length / 3);
    expect(brotliDecompressSync(brBody).equals(identity)).toBe(true);
    const gzip = await t.app.request(url, { headers: { "accept-encoding": "gzip, br;q=0" } });
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer())).equals(identity)).toBe(true);
    // Another bundle's name (a page from before an upgrade) is not answered with this one.
    expect((await t.app.request("/docs/scalar/AAAAAAAAAAAAAAAA.js")).status).toBe(404);
  });

  it("lists every problem type where the problems' type links point, and answers /favicon.ico", async () => {
    const res = await t.app.request("/docs/problems");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="problem-validation-failed"');
    const icon = await t.app.request("/favicon.ico");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("is not itself listed in the OpenAPI document", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as Doc;
    expect(doc.paths).not.toHaveProperty("/docs");
  });
});
