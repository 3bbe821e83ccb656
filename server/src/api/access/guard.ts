import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler, Next } from "hono";
import { matchedRoutes } from "hono/route";
import { type RouteAccess, routeAccess } from "../../access/route-access";
import { presentedKey } from "../../access/verifier";
import { DomainError } from "../../errors";
import type { AppEnv } from "../env";
import { clientAddress } from "./client-address";
import { denialError, setRateLimitHeaders } from "./denial";
import { rateLimitFields } from "./headers";

/**
 * App-level access control: every request is classified by route-access.ts before any handler
 * runs, so a route added under /v1 by anyone is covered without touching its file. Spends the
 * request rate (and a cost known up front, such as one row for a single-entity GET).
 */
export function accessGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const rule = routeAccess(c.req.method, c.req.path);
    if (rule.kind === "open") return next();
    const { access, metrics } = c.get("services");
    const presented = presentedKey((name) => c.req.header(name));
    if (rule.kind === "metrics") {
      await guardMetrics(c, presented);
      return next();
    }
    if (rule.kind === "unmapped") return refuseUnmapped(c, presented);
    if (rule.concurrent) return admitConcurrently(c, next, presented, rule);
    const result = await access.gate.authorize(presented, rule.scope, rule.cost, addressOf(c));
    setRateLimitHeaders(c, result.limits);
    if (!result.ok) {
      throw denialError(result.denial, { tier: result.principal?.tier, limits: result.limits, metrics });
    }
    c.set("principal", result.principal);
    c.set("rateLimits", result.limits);
    await next();
    keepRateLimitHeaders(c);
  };
}

/**
 * Authenticates, then runs the handler while the limits are spent: its Redis read goes out in
 * the same pipelined write as the limiter's scripts (one round trip instead of two). The answer
 * waits for the decision, and a refused request gets its 429 instead, whatever the handler made.
 */
async function admitConcurrently(
  c: Context<AppEnv>,
  next: Next,
  presented: string | undefined,
  rule: Extract<RouteAccess, { kind: "key" }>,
): Promise<void> {
  const { access, metrics } = c.get("services");
  const identity = await access.gate.authenticate(presented, rule.scope, addressOf(c));
  if (!identity.ok) throw denialError(identity.denial, { tier: identity.principal?.tier, limits: [] });
  c.set("principal", identity.principal);
  const admission = access.gate.admit(identity.principal, rule.cost);
  // Settled below in every case; this only keeps a failure meanwhile from counting as unhandled.
  admission.catch(() => {});
  await next();
  const result = await admission;
  c.set("rateLimits", result.limits);
  if (!result.ok) {
    setRateLimitHeaders(c, result.limits);
    throw denialError(result.denial, { tier: result.principal?.tier, limits: result.limits, metrics });
  }
  keepRateLimitHeaders(c);
}

/** The caller's address for counting failed authentications, worked out only when needed. */
const addressOf = (c: Context<AppEnv>) => () =>
  clientAddress(c, c.get("services").access.config.trustedProxyHops);

/** A handler that returned a Response of its own (a stream) still carries the RateLimit fields. */
function keepRateLimitHeaders(c: Context<AppEnv>): void {
  if (c.res.headers.has("ratelimit")) return;
  const headers = rateLimitFields(c.get("rateLimits") ?? []);
  if (Object.keys(headers).length === 0) return;
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  }
}

const digest = (value: string) => createHash("sha256").update(value).digest();

async function guardMetrics(c: Context<AppEnv>, presented: string | undefined): Promise<void> {
  const { access, metrics } = c.get("services");
  const token = access.config.metricsToken;
  if (!token) return;
  // Digests compare in constant time whatever the lengths.
  if (presented && timingSafeEqual(digest(presented), digest(token))) return;
  const result = await access.gate.authorize(presented, "admin");
  if (!result.ok) {
    const denial =
      result.denial.status === 403 ? { status: 401 as const, reason: "unknown" as const } : result.denial;
    throw denialError(denial, { tier: result.principal?.tier, limits: result.limits, metrics });
  }
}

/**
 * A /v1 path without a rule: a bad key gets the usual 401 (nobody learns which routes exist);
 * a good one 404, or 403 when a route is there but nobody gave it a rule — closed until one is added.
 */
async function refuseUnmapped(c: Context<AppEnv>, presented: string | undefined): Promise<never> {
  const { access } = c.get("services");
  const verification = await access.verifier.verify(presented);
  if (!verification.ok) throw denialError({ status: 401, reason: verification.reason }, { limits: [] });
  const routed = matchedRoutes(c).some((route) => route.method !== "ALL");
  if (!routed) throw new DomainError("NOT_FOUND", `There is no route for ${c.req.method} ${c.req.path}.`);
  c.get("logger").error("route has no access rule; refused (add it to access/route-access.ts)", {
    method: c.req.method,
    path: c.req.path,
  });
  throw new DomainError("FORBIDDEN", "This route is not available to API keys.");
}
