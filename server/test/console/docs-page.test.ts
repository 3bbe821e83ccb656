import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servingRoutes } from "../../src/api/routes/v1";
import type { Database } from "../../src/db/database";
import { createTestApp } from "../api/harness";
import { openEmbeddedTestDatabase } from "../support/databases";
import { launch, SCREENSHOTS, screenshot, skipWithoutChromium, watchedPage } from "./browser";

// /docs is Scalar's API reference, served by rapfs itself under its own CSP.

/** Scalar tries `new Function("")` once to learn whether it may eval; the CSP says no, as it should. */
const notEvalProbe = (problem: string) =>
  !/CSP violation: script-src eval|Evaluating a string as JavaScript violates|'unsafe-eval'/.test(problem);
/**
 * Opens an operation's "try it" dialog and presses its Send. The button is looked up in
 * the operation's own section: Scalar renders neighbouring operations around the one a link
 * names, and the first "Test Request" on the page was at times POST /v1/signup's (CI, one run in
 * many). A click before Scalar has mounted its client opens nothing, so it is repeated, a bounded
 * number of times, until the dialog shows the operation, as a reader would click again.
 */
async function sendRequest(page: Page, tag: string, method: string, path: string): Promise<void> {
  const operation = page.locator(`[id$="tag/${tag}/${method}${path}"]`);
  const dialog = page.getByRole("dialog").filter({ hasText: path.split("{")[0] });
  await operation.first().waitFor({ timeout: 30_000 });
  for (let attempt = 1; !(await dialog.isVisible()); attempt++) {
    await operation
      .getByRole("button", { name: /^Test Request/ })
      .first()
      .click();
    const opened = await dialog
      .waitFor({ state: "visible", timeout: 10_000 })
      .then(() => true)
      .catch(() => false);
    if (!opened && attempt === 3)
      throw new Error(`${method} ${path}'s Test Request dialog did not open after 3 clicks`);
  }
  await dialog.getByRole("button", { name: /^Send/ }).first().click();
}

describe.skipIf(skipWithoutChromium())("the API reference page in headless Chromium", () => {
  let database: Database;
  let browser: Browser;
  let server: ReturnType<typeof serve>;
  let url = "";

  beforeAll(async () => {
    database = await openEmbeddedTestDatabase({ migrate: false });
    // The serving routes too, so the reference lists the feature lookup whose "try it" is checked.
    const { app } = createTestApp(database, { routes: servingRoutes });
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

  it("renders every operation with markdown, fits 1280 px, and asks nothing of another host", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems, requests } = await watchedPage(context);
    await page.goto(`${url}/docs`);
    await expect
      .poll(() => page.getByRole("heading", { name: "Liveness: the process is up and serving" }).count(), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    await page.waitForLoadState("networkidle");
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees, not hidden markup.
      text: document.body.innerText,
      code: document.querySelectorAll("code").length,
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
    // Descriptions' `code` is rendered as code, not shown with its backticks.
    expect(layout.text).not.toContain("`");
    expect(layout.code).toBeGreaterThan(10);
    expect(requests.filter((r) => !r.startsWith(url) && !r.startsWith("data:"))).toEqual([]);
    expect((await context.request.get(`${url}/favicon.ico`)).status()).toBe(200);
    expect(problems.filter(notEvalProbe)).toEqual([]);
    await screenshot(page, "api-reference");
    await context.close();
  });

  it("tries a request with the key the tab keeps, and keeps a key typed into it", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => sessionStorage.setItem("rapfs.apiKey", "rapfs_from_the_console"));
    const { page, problems } = await watchedPage(context);
    const sent: (string | null)[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/v1/usage") sent.push(request.headers().authorization ?? null);
    });
    await page.goto(`${url}/docs#tag/keys/GET/v1/usage`);
    await sendRequest(page, "keys", "GET", "/v1/usage");
    await expect.poll(() => sent.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(sent[0]).toBe("Bearer rapfs_from_the_console");
    expect(problems.filter(notEvalProbe)).toEqual([]);
    await context.close();

    // A key typed into the reference's own field is sent, and kept in the tab for the console.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const typed = await watchedPage(fresh);
    await typed.page.goto(`${url}/docs`);
    const field = typed.page.getByPlaceholder("Token").first();
    await field.waitFor({ timeout: 30_000 });
    await field.fill("rapfs_typed_in_the_reference");
    await typed.page.goto(`${url}/docs#tag/keys/GET/v1/usage`);
    await sendRequest(typed.page, "keys", "GET", "/v1/usage");
    await expect
      .poll(() => typed.page.evaluate(() => sessionStorage.getItem("rapfs.apiKey")), { timeout: 15_000 })
      .toBe("rapfs_typed_in_the_reference");
    await fresh.close();
  });

  it("shows the operations 1 s after it is opened while Scalar's bundle loads, and once Scalar has mounted", async () => {
    // With Scalar's bundle held back as on a busy machine, where it took 10-30 s: the server's own
    // outline at 1 s. With the bundle: Scalar's page, which renders its sections a moment after it
    // mounts (on a quiet machine it has mounted, without them yet, by 1 s).
    for (const [name, bundleHeld] of [
      ["api-reference-after-1s", false],
      ["api-reference-after-1s-bundle-loading", true],
    ] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const { page } = await watchedPage(context);
      // A route handler that never answers leaves the bundle's request pending until the context closes.
      if (bundleHeld) await page.route("**/docs/scalar/*.js", () => {});
      await page.goto(`${url}/docs`, { waitUntil: "commit" });
      await page.waitForTimeout(1_000);
      // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees, not hidden markup.
      const text = () => page.evaluate(() => document.body.innerText);
      // Scalar renders the sections near the reader first; the outline has every operation.
      if (bundleHeld) expect(await text()).toContain("Feature values of one entity");
      await expect
        .poll(text, { timeout: bundleHeld ? 1 : 15_000 })
        .toContain("Liveness: the process is up and serving");
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
      await context.close();
    }
  });

  it("sends a feature lookup's first try with the example service filled in", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page } = await watchedPage(context);
    const sent: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/v1/features/")) sent.push(request.url());
    });
    await page.goto(`${url}/docs#tag/features/GET/v1/features/{entity}/{id}`);
    await sendRequest(page, "features", "GET", "/v1/features/{entity}/{id}");
    await expect.poll(() => sent.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(sent[0]).toBe(`${url}/v1/features/track/42?service=hit_predictor`);
    await context.close();
  });
});
