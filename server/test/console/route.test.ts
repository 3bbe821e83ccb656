import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_PATH, consoleContentSecurityPolicy } from "../../src/api/routes/console";
import type { Database } from "../../src/db/database";
import { createTestApp, type TestApp } from "../api/harness";
import { openEmbeddedTestDatabase } from "../support/databases";

let database: Database;
let t: TestApp;

beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
  t = createTestApp(database);
});
afterAll(async () => {
  await database.close();
});

const assetUrls = (html: string) =>
  [...html.matchAll(/(?:src|href)="(console\/assets\/[^"]+)"/g)].map((m) => `/${m[1]}`);

describe("GET /console", () => {
  it("serves the page without a key, under a CSP that allows only this server's files", async () => {
    const res = await t.app.request(CONSOLE_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(consoleContentSecurityPolicy);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const csp = consoleContentSecurityPolicy;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    const html = await res.text();
    // Nothing inline that the CSP would block: no inline script or style, no style attribute.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(assetUrls(html).length).toBeGreaterThanOrEqual(4);
  });

  it("serves every file the page and its modules load, with its type", async () => {
    const html = await (await t.app.request(CONSOLE_PATH)).text();
    const seen = new Set<string>();
    const queue = assetUrls(html);
    while (queue.length > 0) {
      const url = queue.shift() as string;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await t.app.request(url);
      expect(res.status, url).toBe(200);
      const body = await res.text();
      if (url.endsWith(".js")) {
        expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
        expect(body, `${url} writes HTML strings`).not.toMatch(
          /innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
        );
        for (const m of body.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
          queue.push(new URL(m[1] as string, `http://x${url}`).pathname);
        }
      }
    }
    expect([...seen].filter((u) => u.endsWith(".js")).length).toBeGreaterThanOrEqual(10);
  });

  it("answers 304 to a matching ETag, and 404 problem+json for files it does not have", async () => {
    const first = await t.app.request("/console/assets/app.js");
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get("cache-control")).toBe("no-cache");
    const again = await t.app.request("/console/assets/app.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    for (const path of [
      "/console/assets/nope.js",
      "/console/assets/../routes/console.ts",
      "/console/assets/views/",
    ]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("redirects /console/ to /console, where the page's relative URLs resolve", async () => {
    const res = await t.app.request("/console/");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe(CONSOLE_PATH);
  });

  it("keeps the API key out of cookies and localStorage: code never touches either", () => {
    const code = (file: string) =>
      readFileSync(new URL(`../../src/console/assets/${file}`, import.meta.url), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
    const api = code("api.js");
    expect(api).toContain("sessionStorage");
    expect(api).toContain('credentials: "omit"');
    for (const file of readdirSync(new URL("../../src/console/assets/", import.meta.url), {
      recursive: true,
    })) {
      if (String(file).endsWith(".js"))
        expect(code(String(file)), String(file)).not.toMatch(/localStorage|document\.cookie/);
    }
  });
});
