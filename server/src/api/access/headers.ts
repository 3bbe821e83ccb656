import type { Context } from "hono";
import { type LimitResult, PRIVATE_RESPONSE, rateLimitFields } from "../../usecases";

export { PRIVATE_RESPONSE, rateLimitFields };

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
