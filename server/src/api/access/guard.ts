import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { DomainError } from "../../errors";
import { type Denial, type LimitResult, presentedKey, routeAccess } from "../../usecases";
import type { AppEnv } from "../env";
import { clientAddress } from "./client-address";
import { makePrivate, PRIVATE_RESPONSE, rateLimitFields, setRateLimitHeaders } from "./headers";

/**
 * App-level access control: every request is classified by route-access.ts before any handler
 * runs, so a route added under /v1 by anyone is covered without touching its file. Spends the
 * request rate (and a cost known up front), then hands the handler the caller's Payer. On a
 * `concurrent` route the request's unit is left to the use case's first spend, which it makes
 * while reading (one Redis round trip); the guard pays it afterwards if the use case did not.
 */
export function accessGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const rule = routeAccess(c.req.method, c.req.path);
    if (rule.kind === "open") return next();
    const { admission } = c.get("useCases");
    const presented = presentedKey((name) => c.req.header(name));
    if (rule.kind === "metrics") {
      await guardMetrics(c, presented);
      return next();
    }
    if (rule.kind === "unmapped") return refuseUnmapped(c, presented);
    const result = rule.concurrent
      ? await admission.authenticate(presented, rule.scope, addressOf(c))
      : await admission.authorize(presented, rule.scope, rule.cost, addressOf(c));
    setRateLimitHeaders(c, result.limits);
    if (!result.ok) {
      setPrivate(c);
      throw denial(c, result.denial, result.principal?.tier, result.limits);
    }
    const due = rule.concurrent ? rule.cost : undefined;
    const payer = admission.payer(result.principal, { due, limits: result.limits });
    c.set("payer", payer);
    await next();
    try {
      await payer.close();
    } catch (error) {
      setRateLimitHeaders(c, payer.limits);
      setPrivate(c);
      throw error;
    }
    finishHeaders(c, payer.limits);
  };
}

/** PRIVATE_RESPONSE on the problem a refusal is about to build. */
function setPrivate(c: Context<AppEnv>): void {
  for (const [name, value] of Object.entries(PRIVATE_RESPONSE)) c.header(name, value);
}

const denial = (
  c: Context<AppEnv>,
  refused: Denial,
  tier: string | undefined,
  limits: readonly LimitResult[],
) => c.get("useCases").admission.refusal(refused, { tier, limits });

/** The caller's address for counting failed authentications, worked out only when needed. */
const addressOf = (c: Context<AppEnv>) => () =>
  clientAddress(c, c.get("useCases").admission.trustedProxyHops());

/**
 * The response carries the RateLimit fields of every policy checked and is private, whoever built
 * it: one edit of its headers.
 */
function finishHeaders(c: Context<AppEnv>, limits: readonly LimitResult[]): void {
  const fields = rateLimitFields(limits);
  editHeaders(c, (headers) => {
    for (const name in fields) headers.set(name, fields[name] as string);
    makePrivate(headers);
  });
}

/** Edits the headers of the response, whoever built it (a fetch Response's are immutable). */
function editHeaders(c: Context<AppEnv>, edit: (headers: Headers) => void): void {
  try {
    edit(c.res.headers);
  } catch {
    c.res = new Response(c.res.body, c.res);
    edit(c.res.headers);
  }
}

const digest = (value: string) => createHash("sha256").update(value).digest();

async function guardMetrics(c: Context<AppEnv>, presented: string | undefined): Promise<void> {
  const { admission } = c.get("useCases");
  const token = admission.metricsToken();
  if (!token) return;
  // Digests compare in constant time whatever the lengths.
  if (presented && timingSafeEqual(digest(presented), digest(token))) return;
  const result = await admission.authorize(presented, "admin");
  if (!result.ok) {
    const refused =
      result.denial.status === 403 ? { status: 401 as const, reason: "unknown" as const } : result.denial;
    throw denial(c, refused, result.principal?.tier, result.limits);
  }
}

/**
 * A /v1 path without a rule: a bad key gets the usual 401 (nobody learns which routes exist);
 * a good one 404, or 403 when a route is there but nobody gave it a rule — closed until one is added.
 */
async function refuseUnmapped(c: Context<AppEnv>, presented: string | undefined): Promise<never> {
  const verification = await c.get("useCases").admission.verify(presented);
  if (!verification.ok) throw denial(c, { status: 401, reason: verification.reason }, undefined, []);
  const routed = matchedRoutes(c).some((route) => route.method !== "ALL");
  if (!routed) throw new DomainError("NOT_FOUND", `There is no route for ${c.req.method} at this path.`);
  c.get("logger").error("route has no access rule; refused (add it to access/route-access.ts)", {
    method: c.req.method,
    path: c.req.path,
  });
  throw new DomainError("FORBIDDEN", "This route is not available to API keys.");
}
