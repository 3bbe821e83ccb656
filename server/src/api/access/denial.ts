import type { Context } from "hono";
import type { LimitResult } from "../../usecases";
import { rateLimitFields } from "./headers";

/** Sets RateLimit-Policy/RateLimit on the response being built (kept by problem responses too). */
export function setRateLimitHeaders(c: Context, limits: readonly LimitResult[]): void {
  for (const [name, value] of Object.entries(rateLimitFields(limits))) c.header(name, value);
}
