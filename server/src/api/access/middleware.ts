import type { Context, MiddlewareHandler } from "hono";
import type { Cost } from "../../access/gate";
import type { LimitResult } from "../../access/limiter";
import { hasScope, type Scope } from "../../access/scopes";
import type { AccessServices } from "../../access/services";
import { type Principal, presentedKey } from "../../access/verifier";
import type { Services } from "../env";
import { denialError, setRateLimitHeaders } from "./denial";

/**
 * The context an authenticated route runs in. Once api/env.ts lists `access: AccessServices`
 * in Services and these two variables in AppEnv, AppEnv satisfies it as is.
 */
export type AuthEnv = {
  Variables: {
    services: Pick<Services, "metrics"> & { access: AccessServices };
    principal: Principal;
    rateLimits: LimitResult[];
  };
};

/**
 * Authenticates the key, checks it holds `scope` and spends the account's request rate (and a
 * cost known before the body is read, e.g. `{ downloads: 1 }`); refusals become 401/403/429
 * problems. RateLimit headers are set on every response it lets through or refuses for limits.
 * Behind the app-level guard (every /v1 route) the key is already verified and the request
 * counted, so only the scope is checked and the extra cost spent.
 */
export function requireScope(
  scope: Scope,
  options: { cost?: (c: Context) => Cost } = {},
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const { access, metrics } = c.get("services");
    const guarded = c.get("principal") as Principal | undefined;
    if (guarded) {
      if (!hasScope(guarded.scopes, scope)) {
        throw denialError(
          { status: 403, reason: "insufficient_scope", required: scope },
          { tier: guarded.tier, limits: [] },
        );
      }
      const cost = options.cost?.(c);
      if (cost) await spendQuota(c, cost);
      return next();
    }
    const result = await access.gate.authorize(
      presentedKey((name) => c.req.header(name)),
      scope,
      options.cost?.(c),
    );
    setRateLimitHeaders(c, result.limits);
    if (!result.ok) {
      throw denialError(result.denial, { tier: result.principal?.tier, limits: result.limits, metrics });
    }
    c.set("principal", result.principal);
    c.set("rateLimits", result.limits);
    await next();
  };
}

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
