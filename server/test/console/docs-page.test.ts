import { serve } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { createTestApp } from "../api/harness";
import { openEmbeddedTestDatabase } from "../support/databases";
import { launch, skipWithoutChromium, watchedPage } from "./browser";

// The /docs page renders openapi.json with the console's DOM helper, under its own CSP.
describe.skipIf(skipWithoutChromium())("the API reference page in headless Chromium", () => {
  let database: Database;
  let browser: Browser;
  let server: ReturnType<typeof serve>;
  let url = "";

  beforeAll(async () => {
    database = await openEmbeddedTestDatabase({ migrate: false });
    const { app } = createTestApp(database);
    await new Promise<void>((ready) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
        url = `http://127.0.0.1:${info.port}`;
        ready();
      });
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    await database?.close();
  });

  it("lists every operation with its schemas and a working try-it form, with no error or CSP violation", async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    await page.goto(`${url}/docs`);
    await expect.poll(() => page.locator("section.op").count()).toBeGreaterThan(10);
    expect(await page.locator("#title").textContent()).toMatch(/^rapfs \d/);
    const health = page.locator("section.op", { has: page.locator("code", { hasText: /^ \/health$/ }) });
    expect(await health.locator("h4").allTextContents()).toContain("Response 200");
    await health.locator("summary", { hasText: "Try it" }).click();
    await health.getByRole("button", { name: /^Send GET \/health$/ }).click();
    await expect.poll(() => health.locator("pre.output").textContent()).toMatch(/^200 OK/);
    expect(await page.locator("nav a[href^='#op-']").count()).toBe(await page.locator("section.op").count());
    expect(problems).toEqual([]);
    await context.close();
  });
});
