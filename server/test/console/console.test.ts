import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleContentSecurityPolicy } from "../../src/api/routes/console";
import {
  type AxeViolation,
  axeViolations,
  launch,
  screenshot,
  screenshotOf,
  skipWithoutChromium,
  type Watched,
  watchedPage,
} from "./browser";
import { type ConsoleServer, startConsoleServer } from "./server";

let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let w: Watched;
let page: Page;
/** The key signup showed; the browser keeps it in sessionStorage. */
let signupKey = "";
const axeByPage: Record<string, AxeViolation[]> = {};

/** Screenshot and accessibility check of the page as it is now. */
async function capture(name: string) {
  await screenshot(page, name);
  axeByPage[name] = await axeViolations(page);
}

/** Reflow (WCAG 1.4.10): at a 390 px phone's width the page itself never scrolls sideways. */
async function expectReflowAt390(name: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await screenshot(page, name);
  await page.setViewportSize({ width: 1280, height: 900 });
  expect(width).toBeLessThanOrEqual(390);
}

const api = (path: string, key: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers },
  });

const hasCurl = (() => {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    // CI has curl (the quick start uses it): a missing one there is a broken machine, not a skip.
    if (process.env.CI) throw new Error("curl is not on PATH; the console's copy-as-curl test needs it");
    return false;
  }
})();

const heading = (name: string | RegExp) => page.getByRole("heading", { level: 1, name });
const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");

describe.skipIf(skipWithoutChromium())("web console in headless Chromium", () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startConsoleServer(), launch()]);
    context = await browser.newContext({
      acceptDownloads: true,
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
    });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    w = await watchedPage(context);
    page = w.page;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("serves the page under a strict CSP; the skip link is the first stop of the keyboard", async () => {
    const response = await page.goto("/console");
    expect(response?.headers()["content-security-policy"]).toBe(consoleContentSecurityPolicy);
    await expect(heading("Sign in with an API key").isVisible()).resolves.toBe(true);
    await page.keyboard.press("Tab");
    expect(await focusedText()).toBe("Skip to content");
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await capture("01-sign-in");
  });

  it("signs up and shows the key once, with a working copy button; the key lives only in sessionStorage", async () => {
    await page.getByRole("link", { name: "Sign up for a free one" }).click();
    await heading("Sign up for a free API key").waitFor();
    await page.getByLabel("Email").fill(`console-${Date.now()}@example.com`);
    await page.getByLabel(/^Name/).fill("Ada");
    await page.getByRole("button", { name: "Sign up and create a key" }).click();
    const reveal = page.getByRole("region", { name: "Your API key" });
    await reveal.waitFor();
    expect(await focusedText()).toBe("Your API key");
    signupKey = await reveal.getByRole("textbox", { name: "API key" }).inputValue();
    expect(signupKey).toMatch(/^rapfs_/);
    await reveal.getByRole("button", { name: "Copy the API key" }).click();
    await reveal.getByText("Copied", { exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(signupKey);
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem("rapfs.apiKey"),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    expect(storage).toEqual({ session: signupKey, local: 0, cookie: "" });
    expect(await context.cookies()).toEqual([]);
    await page.getByText("Signed in · free tier").waitFor();
    await capture("02-sign-up-key-shown");
  });

  it("creates a key with scopes, rotates it and revokes the new one", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    await heading("API keys").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("notebook");
    await page.getByRole("checkbox", { name: "datasets:read" }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    const created = page.getByRole("region", { name: "New key notebook" });
    await created.waitFor();
    const first = await created.getByRole("textbox", { name: "API key" }).inputValue();
    const row = () => page.getByRole("row").filter({ hasText: "notebook" });
    await expect(row().first().textContent()).resolves.toContain("features:read, datasets:read");
    await capture("03-keys-created");

    await page.getByRole("button", { name: /^Rotate key notebook/ }).click();
    const rotate = page.getByRole("dialog", { name: "Rotate notebook?" });
    await rotate.getByLabel("The old key keeps working for").selectOption("0");
    await rotate.getByRole("button", { name: "Rotate key" }).click();
    const rotated = page.getByRole("region", { name: "New key for notebook" });
    await rotated.waitFor();
    const second = await rotated.getByRole("textbox", { name: "API key" }).inputValue();
    expect(second).not.toBe(first);
    expect((await api("/v1/usage", first)).status).toBe(401);
    expect((await api("/v1/usage", second)).status).toBe(200);

    const revokeButton = page.getByRole("button", { name: /^Revoke key notebook/ }).first();
    await revokeButton.click();
    const revoke = page.getByRole("dialog", { name: "Revoke notebook?" });
    // Escape cancels, and focus goes back to the button that opened the dialog.
    await revoke.waitFor();
    await page.keyboard.press("Escape");
    await revoke.waitFor({ state: "detached" });
    expect(await revokeButton.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await capture("04-keys-revoke-dialog");
    await revoke.getByRole("button", { name: "Revoke key" }).click();
    await page.getByRole("heading", { name: "Your keys" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Your keys");
    expect((await api("/v1/usage", second)).status).toBe(401);
    const statuses = await row().allTextContents();
    expect(statuses.every((text) => /revoked|expired|rotating/.test(text))).toBe(true);
    await capture("05-keys-revoked");
  });

  it("shows usage against the quota with a chart", async () => {
    await page.getByRole("link", { name: "Usage" }).click();
    await heading("Usage and quotas").waitFor();
    await page.getByRole("img", { name: /requests per day/ }).waitFor();
    await page.getByRole("img", { name: "Requests this minute" }).waitFor();
    await capture("06-usage");
    // Bytes in the binary units they are counted in: the free tier's 1 GiB, not "1.0 GB".
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("1.0 GiB");
    expect(text).not.toMatch(/\d GB\b/);
    // Whole counts get whole ticks (a day with 1 request read 0 / 0.5 / 1).
    const ticks = await page
      .getByRole("img", { name: /requests per day/ })
      .locator("text.axis")
      .allTextContents();
    expect(ticks.filter((t) => /^[\d.,]+$/.test(t)).every((t) => !t.includes("."))).toBe(true);
    await page.getByLabel("Show").selectOption("rows");
    await page.getByRole("img", { name: /rows per day/ }).waitFor();
    expect(await page.locator("svg.chart .limit").count()).toBe(1);
  });

  it("browses a feature view, its versions, freshness and statistics charts", async () => {
    await page.getByRole("link", { name: "Feature catalog" }).click();
    await heading("Feature catalog").waitFor();
    await page.getByRole("link", { name: "qwen_analysis v2" }).waitFor();
    await capture("07-catalog");
    // Reflow (WCAG 1.4.10): at 390 px wide nothing but the tables' own regions scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await capture("07b-catalog-narrow");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByLabel("Filter views").fill("popularity");
    await page.getByText("2 of 8 feature views").waitFor();
    await page.getByRole("link", { name: "track_profile", exact: true }).click();
    await heading("track_profile@1").waitFor();
    await page.getByRole("heading", { name: "Freshness" }).waitFor();
    await page.getByRole("button", { name: "Chart popularity" }).click();
    expect(await focusedText()).toBe("Statistics: popularity");
    expect(page.url()).toContain("?feature=popularity");
    // tempo has a wild negative value: it is counted below the range, not a bar squeezing the rest.
    await page.getByRole("button", { name: "Chart tempo" }).click();
    const histogram = page.getByRole("img", { name: /Histogram of tempo/ });
    await histogram.waitFor();
    const bins = await histogram.locator("rect.bar:not(.outside)").count();
    expect(bins).toBeGreaterThanOrEqual(10);
    expect(bins).toBeLessThanOrEqual(30);
    expect(await histogram.locator("rect.bar.outside").count()).toBe(1);
    expect(await histogram.locator("text.axis").allTextContents()).toEqual(
      expect.arrayContaining(["rows", "below", "tempo"]),
    );
    expect(await histogram.locator("desc").textContent()).toMatch(/\d+ rows? below \d+/);
    expect(await histogram.locator("rect.bar.outside title").textContent()).toMatch(
      /^Below \d+ .*: \d+ rows?/,
    );
    await expect
      .poll(() => page.locator("dl.facts").last().textContent())
      .toMatch(/binned range.*Tukey's fences/);
    await capture("08-view-histogram");
    await screenshotOf(page.locator("section.stats"), "08-stats-tempo");
    await expectReflowAt390("08c-view-narrow");
    await page.getByRole("button", { name: "Chart album" }).click();
    const top = page.getByRole("img", { name: /Most frequent values of album/ });
    await top.waitFor();
    expect(await top.locator("rect.bar").count()).toBeGreaterThan(1);
    await capture("09-view-top-values");
    await page.emulateMedia({ colorScheme: "dark" });
    await capture("09b-view-top-values-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("shows timestamps and lists by their own statistics, and every drift measure", async () => {
    await page.goto("/console/#/catalog/qwen_analysis/2?feature=analyzed_at");
    await heading("qwen_analysis@2").waitFor();
    const time = page.getByRole("img", { name: /Histogram of analyzed_at/ });
    await time.waitFor();
    expect(await time.locator("text.axis").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), "analyzed_at (UTC)"]),
    );
    const facts = page.locator("dl.facts").last();
    await expect.poll(() => facts.textContent()).toMatch(/earliest.*latest.*time range\d+ days/);
    await capture("09c-view-timestamp");
    await screenshotOf(page.locator("section.stats"), "09c-stats-analyzed-at");
    await page.getByRole("button", { name: "Chart themes" }).click();
    const lengths = page.getByRole("img", { name: /Histogram of themes/ });
    await lengths.waitFor();
    expect(await lengths.locator("text.axis").allTextContents()).toContain("items per row in themes");
    await expect.poll(() => facts.textContent()).toMatch(/fewest items.*most items.*mean items/);
    // Drift against qwen_analysis@1: the null rate, the mean and the label distance, where each applies.
    const row = (feature: string) =>
      page.getByRole("row").filter({ has: page.locator(`code:text-is("${feature}")`) });
    expect(await row("confidence").locator("dl.drift dt").allTextContents()).toEqual(["null rate", "mean"]);
    expect(await row("mood").locator("dl.drift dt").allTextContents()).toEqual(["null rate", "top values"]);
    await capture("09d-view-list-and-drift");
    await screenshotOf(page.locator("section.stats"), "09d-stats-themes");
    // Four bins of items per row fill the plot, not a quarter of it at 64 px a bin.
    const spread = await lengths.evaluate((chart) => {
      const bars = Array.from(chart.querySelectorAll("rect.bar"), (r) => r.getBoundingClientRect());
      const plot = chart.getBoundingClientRect();
      return (Math.max(...bars.map((b) => b.right)) - Math.min(...bars.map((b) => b.left))) / plot.width;
    });
    expect(spread).toBeGreaterThan(0.75);
  });

  it("opens a feature service from the catalog, its features linked to their views", async () => {
    await page.goto("/console/#/catalog");
    await page.getByRole("link", { name: "hit_predictor" }).click();
    await heading("hit_predictor").waitFor();
    await page.getByRole("heading", { name: /features from \d+ view versions/ }).waitFor();
    await capture("09e-service");
    await page.getByRole("link", { name: "track_profile@1:tempo" }).click();
    await heading("track_profile@1").waitFor();
    await page.getByRole("img", { name: /Histogram of tempo/ }).waitFor();
  });

  it("finds a track's nearest neighbours with their features, as the API does", async () => {
    await page.getByRole("link", { name: "Embeddings" }).click();
    await heading("Embedding explorer").waitFor();
    await page.getByLabel("Embedding").selectOption("lyrics");
    await page.getByLabel("Entity id").fill("1");
    await page.getByLabel("Neighbours").fill("5");
    await page.getByLabel("Show features of").selectOption("view:track_profile");
    await page.getByRole("button", { name: "Find neighbours" }).click();
    await page.getByRole("heading", { name: "5 nearest neighbours of track 1" }).waitFor();
    const expected = (await (
      await api("/v1/embeddings/lyrics/search", server.adminKey, {
        method: "POST",
        body: JSON.stringify({ id: 1, k: 5 }),
      })
    ).json()) as { neighbors: { id: number }[] };
    const shown = await page.getByRole("button", { name: /^Search neighbours of/ }).allTextContents();
    expect(shown).toEqual(expected.neighbors.map((n) => String(n.id)));
    expect(await page.getByRole("columnheader", { name: "popularity" }).count()).toBe(1);
    // The neighbours as a picture: the query, its 5 neighbours and the next nearest, projected.
    const map = page.getByRole("img", { name: /track 1 and its neighbours by lyrics, projected/ });
    await map.waitFor();
    expect(await map.locator(".point.query").count()).toBe(2); // the point and its legend swatch
    expect(await map.locator("circle.point.neighbour").count()).toBe(5 + 1);
    expect(await map.locator("circle.point.context").count()).toBeGreaterThan(20);
    // The form's labels line up, and the embedding's option is shown whole.
    const labelTops = await page
      .locator("form.grid-form label")
      .evaluateAll((labels) => labels.map((l) => Math.round(l.getBoundingClientRect().top)));
    expect(new Set(labelTops).size).toBe(1);
    const clipped = await page.getByLabel("Embedding").evaluate((select) => {
      const s = select as HTMLSelectElement;
      const probe = document.createElement("span");
      probe.textContent = s.selectedOptions[0]?.textContent ?? "";
      probe.style.font = getComputedStyle(s).font;
      probe.style.position = "absolute";
      document.body.append(probe);
      const needed = probe.getBoundingClientRect().width;
      probe.remove();
      return needed + 40 > s.getBoundingClientRect().width; // text, padding and the arrow
    });
    expect(clipped).toBe(false);
    await capture("10-embeddings");
    await screenshotOf(page.locator("main"), "10b-embeddings-map");
    await expectReflowAt390("10c-embeddings-narrow");
    await page.setViewportSize({ width: 390, height: 844 });
    // The form's controls show their text whole: no label wrapped out of its button, no option cut.
    const cut = await page
      .locator("form.grid-form button, form.grid-form select")
      .evaluateAll((controls) =>
        controls
          .filter((c) => c.scrollHeight > c.clientHeight + 1 || c.getBoundingClientRect().right > 390)
          .map((c) => c.textContent?.trim().slice(0, 30)),
      );
    expect(cut).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("downloads a dataset sample from its card, and shows copyable snippets", async () => {
    await page.getByRole("link", { name: "Datasets" }).click();
    await heading("Datasets").waitFor();
    const card = page.getByRole("article", { name: "public" });
    await card.getByLabel("Format").selectOption("csv");
    await card.getByLabel(/^Rows/).fill("25");
    await expect(card.locator("pre").first().textContent()).resolves.toContain("format=csv&limit=25");
    await card.getByText(/^[\d,]+ \(data version \w+/).waitFor();
    // Every column a download holds, the key included, as the dataset card lists them.
    const cardColumns = (
      (await (await api("/v1/datasets/public", server.adminKey)).json()) as { columns: unknown[] }
    ).columns.length;
    await card.getByText(`Columns (${cardColumns})`).waitFor();
    await capture("11-datasets");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      card.getByRole("button", { name: "Download public" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const rows = parse(readFileSync(await download.path(), "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(25);
    expect(Object.keys(rows[0] ?? {})).toContain("track_profile__popularity");
    await card.getByText(/^Saved .*25 rows/).waitFor();
    await capture("12-datasets-downloaded");
  });

  it.skipIf(!hasCurl)(
    "offers a curl snippet that, copied and run as it is, downloads the same rows",
    async () => {
      const card = page.getByRole("article", { name: "public" });
      await card.getByRole("button", { name: "Copy the curl snippet" }).click();
      const snippet = await page.evaluate(() => navigator.clipboard.readText());
      expect(snippet).toContain("$RAPFS_API_KEY");
      const dir = mkdtempSync(join(tmpdir(), "rapfs-console-curl-"));
      try {
        // Not execFileSync: the server curl talks to runs in this very process.
        await promisify(execFile)("bash", ["-c", snippet], {
          cwd: dir,
          env: { ...process.env, RAPFS_API_KEY: signupKey },
          timeout: 30_000,
        });
        const rows = parse(readFileSync(join(dir, "public.csv"), "utf8"), { columns: true }) as unknown[];
        expect(rows).toHaveLength(25);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("signs out, forgetting the key, and signs back in with it", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading("Sign in with an API key").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.getByLabel("API key", { exact: true }).fill("rapfs_not_a_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("API key", { exact: true }).fill(signupKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Feature catalog").waitFor();
  });

  it("kept to its own origin, with no CSP violation, script error or accessibility violation", () => {
    const foreign = w.requests.filter((url) => !url.startsWith(server.url) && !url.startsWith("blob:"));
    expect(foreign).toEqual([]);
    expect(w.problems).toEqual([]);
    const found = Object.entries(axeByPage).flatMap(([name, list]) =>
      list.map((v) => `${name}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.slice(0, 3).join(", ")}`),
    );
    expect(found).toEqual([]);
  });
});
