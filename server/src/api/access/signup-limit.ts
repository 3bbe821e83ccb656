import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { setRateLimitHeaders } from "./headers";

/**
 * Anonymous signup, limited per client address (which the route derives, e.g. from conninfo):
 * by accounts created, and by attempts with a higher bound. An attempt that created no account
 * (a taken email, a bad body) gives its reservation back.
 */
export function limitSignups(clientAddress: (c: Context<AppEnv>) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { accounts, admission } = c.get("useCases");
    const admitted = await accounts.admitSignup(clientAddress(c));
    setRateLimitHeaders(c, admitted.limits);
    const refused = admitted.limits.find((limit) => !limit.allowed);
    if (refused) {
      const retryAfterSeconds = Math.max(1, refused.resetSeconds);
      throw admission.refusal(
        { status: 429, reason: "rate_limited", retryAfterSeconds },
        { limits: [refused] },
      );
    }
    await next();
    if (c.res.status !== 201) await admitted.release();
  };
}
