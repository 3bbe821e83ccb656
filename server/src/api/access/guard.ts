import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { DomainError } from "../../errors";
import { presentedKey, routeAccess } from "../../usecases";
import type { AppEnv } from "../env";
import { clientAddress } from "./client-address";
import { makePrivate, PRIVATE_RESPONSE, setRateLimitHeaders } from "./headers";

/**
 * App-level access control: every request is classified by route-access.ts before any handler
 * runs, so a route added under /v1 by anyone is covered without touching its file. Opens the
 * admission door (the lookup lane opens the same one) and hands the handler the caller's Payer;
 * after it, the door's finish pays what is still due and names the answer's headers.
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
    const door = await admission.open({ presented, rule, address: addressOf(c) });
    if (!door.ok) {
      const { error, headers } = door.refuse();
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      throw error;
    }
    setRateLimitHeaders(c, door.payer.limits);
    c.set("payer", door.payer);
    await next();
    const { headers, refused } = await door.finish();
    if (refused) {
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      throw refused;
    }
    editHeaders(c, (response) => {
      for (const name in headers)
        if (!(name in PRIVATE_RESPONSE)) response.set(name, headers[name] as string);
      makePrivate(response);
    });
  };
}

/** The caller's address for counting failed authentications, worked out only when needed. */
const addressOf = (c: Context<AppEnv>) => () =>
  clientAddress(c, c.get("useCases").admission.trustedProxyHops());

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
  const rule = { scope: "admin" as const, cost: {}, concurrent: false };
  const door = await admission.open({ presented, rule, address: "uncounted" });
  if (!door.ok) {
    // A key without the admin scope learns no more than a wrong token does.
    const hidden =
      door.denial?.status === 403 ? { status: 401 as const, reason: "unknown" as const } : undefined;
    throw door.refuse(hidden).error;
  }
}

/**
 * A /v1 path without a rule: a bad key gets the usual 401 (nobody learns which routes exist);
 * a good one 404, or 403 when a route is there but nobody gave it a rule — closed until one is added.
 */
async function refuseUnmapped(c: Context<AppEnv>, presented: string | undefined): Promise<never> {
  const verification = await c.get("useCases").admission.verify(presented);
  if (!verification.ok) {
    throw c.get("useCases").admission.refusal({ status: 401, reason: verification.reason }, { limits: [] });
  }
  const routed = matchedRoutes(c).some((route) => route.method !== "ALL");
  if (!routed) throw new DomainError("NOT_FOUND", `There is no route for ${c.req.method} at this path.`);
  c.get("logger").error("route has no access rule; refused (add it to access/route-access.ts)", {
    method: c.req.method,
    path: c.req.path,
  });
  throw new DomainError("FORBIDDEN", "This route is not available to API keys.");
}
