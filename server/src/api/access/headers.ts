import type { Context } from "hono";
import type { LimitResult } from "../../usecases";

/**
 * IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10), one list member per policy:
 *   RateLimit-Policy: "requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"
 *   RateLimit: "requests";r=59;t=41, "rows";r=9900;t=50000
 */
export function rateLimitFields(results: readonly LimitResult[]): Record<string, string> {
  if (results.length === 0) return {};
  const policy = results.map(({ policy: p }) => {
    const unit = p.unit === "requests" ? "" : `;qu="${p.unit === "bytes" ? "content-bytes" : p.unit}"`;
    return `"${p.name}";q=${p.limit};w=${p.windowSeconds}${unit}`;
  });
  const state = results.map((r) => `"${r.policy.name}";r=${r.remaining};t=${r.resetSeconds}`);
  return { "RateLimit-Policy": policy.join(", "), RateLimit: state.join(", ") };
}

/** The RateLimit fields, plus Retry-After (seconds) when a policy refused the request. */
export function rateLimitHeaders(results: readonly LimitResult[]): Record<string, string> {
  const headers = rateLimitFields(results);
  const refused = results.filter((r) => !r.allowed);
  if (refused.length > 0) {
    headers["Retry-After"] = String(Math.max(1, ...refused.map((r) => r.resetSeconds)));
  }
  return headers;
}

/** Sets RateLimit-Policy/RateLimit on the response being built (kept by problem responses too). */
export function setRateLimitHeaders(c: Context, limits: readonly LimitResult[]): void {
  for (const [name, value] of Object.entries(rateLimitFields(limits))) c.header(name, value);
}

/**
 * On every response to an authenticated route, the lookup lane's too: a shared cache must neither
 * keep one nor give it to another key (`x-api-key` is not a header caches treat as credentials).
 * A route that says `no-store` keeps it.
 */
export const PRIVATE_RESPONSE = { "Cache-Control": "private", Vary: "Authorization, X-API-Key" } as const;

/** Sets PRIVATE_RESPONSE on `headers`, keeping a Cache-Control already there and adding to Vary. */
export function makePrivate(headers: Headers): void {
  if (!headers.has("cache-control")) headers.set("cache-control", PRIVATE_RESPONSE["Cache-Control"]);
  const vary = headers.get("vary");
  if (!vary) headers.set("vary", PRIVATE_RESPONSE.Vary);
  else if (vary.trim() !== "*") {
    const names = vary.split(",").map((name) => name.trim().toLowerCase());
    const missing = PRIVATE_RESPONSE.Vary.split(", ").filter((name) => !names.includes(name.toLowerCase()));
    if (missing.length > 0) headers.set("vary", [vary, ...missing].join(", "));
  }
}
