import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import type { App, AppEnv } from "../env";

export const CONSOLE_PATH = "/console";
const ASSETS_PATH = `${CONSOLE_PATH}/assets`;
const consoleDir = fileURLToPath(new URL("../../console/", import.meta.url));

/**
 * Only this server's own files: no inline script or style, no other origin, and no string ever
 * turned into HTML (Trusted Types with no policy), so injected markup cannot run.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

type Asset = { body: string; type: string; etag: string };

function asset(path: string): Asset {
  const body = readFileSync(path, "utf8");
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { body, type: TYPES[extname(path)] ?? "application/octet-stream", etag };
}

/** Every file under assets/, keyed by its path there; read once, at registration. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !(extname(entry.name) in TYPES)) continue;
    const full = join(entry.parentPath, entry.name);
    assets.set(
      full
        .slice(dir.length + 1)
        .split("\\")
        .join("/"),
      asset(full),
    );
  }
  return assets;
}

const SECURITY_HEADERS = {
  "content-security-policy": consoleContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

function send(c: Context<AppEnv>, file: Asset): Response {
  // Revalidated on every load: a new server version is picked up at once, unchanged files cost a 304.
  const headers = { ...SECURITY_HEADERS, etag: file.etag, "cache-control": "no-cache" };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  return c.body(file.body, 200, { ...headers, "content-type": file.type });
}

/** The web console: static files served as they are committed, no build step at runtime. */
export function registerConsole(app: App): void {
  const page = asset(join(consoleDir, "index.html"));
  const assets = loadAssets(join(consoleDir, "assets"));
  app.get(CONSOLE_PATH, (c) => send(c, page));
  // The page's relative URLs (assets, API) resolve against /console, not /console/.
  app.get(`${CONSOLE_PATH}/`, (c) => c.redirect(CONSOLE_PATH, 301));
  app.get(`${ASSETS_PATH}/*`, (c) => {
    const file = assets.get(c.req.path.slice(ASSETS_PATH.length + 1));
    if (!file) return c.notFound();
    return send(c, file);
  });
}
