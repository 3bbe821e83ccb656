import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { repoRoot } from "../../src/config/paths";

/** Debian's package; `npx playwright install` cannot download on these machines. */
export const CHROMIUM = process.env.RAPFS_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(repoRoot, ".tmp", "console-screenshots");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * True when the browser tests cannot run here. Outside CI that skips them, loudly; in CI they
 * run anyway and fail at launch, since .ci/run installs chromium first.
 */
export function skipWithoutChromium(): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) return false;
  const line = "!".repeat(78);
  console.warn(
    `\n${line}\n!! SKIPPED: console browser tests — no chromium at ${CHROMIUM}.\n` +
      "!! Install it: apt-get update && apt-get install -y --no-install-recommends chromium\n" +
      `${line}\n`,
  );
  return true;
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export type Watched = {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  /** Every URL the page asked for. */
  requests: string[];
};

/** A page whose errors, CSP violations and requests are recorded for assertions. */
export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on("console", (message) => {
    // The API's deliberate 4xx answers are logged by Chromium as failed resources, not bugs.
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => requests.push(request.url()));
  return { page, problems, requests };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}

/** One part of the page, e.g. a chart with its facts, as docs/images shows it. */
export async function screenshotOf(part: Locator, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await part.screenshot({ path, animations: "disabled" });
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export type AxeViolation = { id: string; impact: string | null; help: string; targets: string[] };

/** axe-core's WCAG 2.1 A/AA rules on the current page (evaluated over CDP, so the CSP allows it). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<AxeResults> } })
      .axe;
    type AxeResults = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    const results = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}
