import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { setRateLimitHeaders } from "./headers";

/** Anonymous signup, limited per client address (which the route derives, e.g. from conninfo). */
export function limitSignups(clientAddress: (c: Context<AppEnv>) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { accounts, admission } = c.get("useCases");
    const result = await accounts.admitSignup(clientAddress(c));
    setRateLimitHeaders(c, [result]);
    if (!result.allowed) {
      const retryAfterSeconds = Math.max(1, result.resetSeconds);
      throw admission.refusal(
        { status: 429, reason: "rate_limited", retryAfterSeconds },
        { limits: [result] },
      );
    }
    await next();
  };
}
