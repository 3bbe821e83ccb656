import type { LimitResult } from "./limiter";
import type { Policy } from "./tiers";

/**
 * IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10), one list member per policy:
 *   RateLimit-Policy: "requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"
 *   RateLimit: "requests";r=59;t=41, "rows";r=9900;t=50000
 */
export function rateLimitFields(results: readonly LimitResult[]): Record<string, string> {
  if (results.length === 0) return {};
  let policies = "";
  let state = "";
  for (const r of results) {
    const separator = state ? ", " : "";
    policies += separator + policyMember(r.policy);
    state += `${separator}"${r.policy.name}";r=${r.remaining};t=${r.resetSeconds}`;
  }
  return { "RateLimit-Policy": policies, RateLimit: state };
}

/** A policy's member of RateLimit-Policy, which every answer to a key repeats: made once per policy. */
function policyMember(p: Policy): string {
  let member = policyMembers.get(p);
  if (member === undefined) {
    const unit = p.unit === "requests" ? "" : `;qu="${p.unit === "bytes" ? "content-bytes" : p.unit}"`;
    member = `"${p.name}";q=${p.limit};w=${p.windowSeconds}${unit}`;
    policyMembers.set(p, member);
  }
  return member;
}
const policyMembers = new WeakMap<Policy, string>();

/**
 * On every answer to an authenticated route, whichever door took it: a shared cache must neither
 * keep one nor give it to another key (`x-api-key` is not a header caches treat as credentials).
 * A route that says `no-store` keeps it.
 */
export const PRIVATE_RESPONSE = { "Cache-Control": "private", Vary: "Authorization, X-API-Key" } as const;

/** What every answer to a key's request carries: the RateLimit fields of each policy checked, private. */
export const answerFields = (limits: readonly LimitResult[]): Record<string, string> =>
  Object.assign(rateLimitFields(limits), PRIVATE_RESPONSE);
