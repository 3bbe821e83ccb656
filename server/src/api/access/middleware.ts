import type { Context, MiddlewareHandler } from "hono";
import type { Cost } from "../../access/gate";
import type { LimitResult } from "../../access/limiter";
import type { AccessServices } from "../../access/services";
import type { Principal } from "../../access/verifier";
import type { Services } from "../env";
import { denialError, setRateLimitHeaders } from "./denial";

/** The part of AppEnv the quota helpers read: the access services, the caller and its limits so far. */
export type AuthEnv = {
  Variables: {
    services: Pick<Services, "metrics"> & { access: AccessServices };
    principal: Principal;
    rateLimits: LimitResult[];
  };
};

/**
 * For handlers, once the request is validated: spends a cost only then known (a batch's row
 * count), so malformed requests spend no quota. Throws the 429 problem when it does not fit.
 *
 *   await spendQuota(c, { rows: ids.length });
 */
export async function spendQuota<E extends AuthEnv>(context: Context<E>, cost: Cost): Promise<void> {
  // Contexts are invariant in their env; the route's env includes AuthEnv by its middleware.
  const c = context as unknown as Context<AuthEnv>;
  const { access, metrics } = c.get("services");
  const principal = c.get("principal");
  const result = await access.gate.spend(principal, cost);
  // The latest state of each policy wins: a GET's first row and the handler's rows are one "rows".
  const byName = new Map((c.get("rateLimits") ?? []).map((l) => [l.policy.name, l]));
  for (const limit of result.limits) byName.set(limit.policy.name, limit);
  const limits = [...byName.values()];
  c.set("rateLimits", limits);
  setRateLimitHeaders(c, limits);
  if (!result.ok) throw denialError(result.denial, { tier: principal.tier, limits: result.limits, metrics });
}

/**
 * Spends, after the response has begun, what it turned out to cost (a download's bytes); a
 * request without a key (the open routes) spends nothing.
 */
export function settleBytes<E extends AuthEnv>(context: Context<E>): (bytes: number) => Promise<void> {
  const c = context as unknown as Context<AuthEnv>;
  const { access } = c.get("services");
  const principal = c.get("principal");
  return async (bytes) => {
    if (principal) await access.gate.settle(principal, { bytes });
  };
}

/** Anonymous signup, limited per client address (which the route derives, e.g. from conninfo). */
export function limitSignups(clientAddress: (c: Context) => string): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const { access, metrics } = c.get("services");
    const result = await access.gate.signup(clientAddress(c));
    setRateLimitHeaders(c, [result]);
    if (!result.allowed) {
      const retryAfterSeconds = Math.max(1, result.resetSeconds);
      throw denialError(
        { status: 429, reason: "rate_limited", retryAfterSeconds },
        { limits: [result], metrics },
      );
    }
    await next();
  };
}
