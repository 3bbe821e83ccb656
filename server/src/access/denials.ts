import { DomainError } from "../errors";
import type { Metrics } from "../metrics/registry";
import { AUTH_FAILURE_MESSAGE } from "./errors";
import type { Denial, Oversize } from "./gate";
import type { LimitResult } from "./limiter";

const UNIT_WORDS: Record<string, string> = {
  rows: "entity rows",
  downloads: "dataset downloads",
  bytes: "download bytes",
};

/** Who a rate limit that is not an account's limits: signups are counted per network address. */
const RATE_LIMITED_BY: Record<string, (limit: number | string) => string> = {
  signup: (limit) => `This network address has created ${limit} accounts in the last hour, the most it may.`,
  signup_attempts: (limit) =>
    `This network address has tried to sign up ${limit} times in the last hour, failed attempts included.`,
};

/**
 * The error for a refused request (the problem's status, headers and extensions included). Every 401 has the same body whatever the reason, so a
 * response never tells whether a key exists, was revoked or belongs to a disabled account.
 */
export function denialError(
  denial: Denial,
  context: { tier?: string | undefined; limits: readonly LimitResult[]; metrics?: Metrics | undefined },
): DomainError {
  if (denial.status === 401) {
    const challenge =
      denial.reason === "missing" ? 'Bearer realm="rapfs"' : 'Bearer realm="rapfs", error="invalid_token"';
    return new DomainError("UNAUTHORIZED", AUTH_FAILURE_MESSAGE, {
      headers: { "WWW-Authenticate": challenge },
    });
  }
  if (denial.status === 403 && denial.reason === "key_rotating") {
    return new DomainError(
      "FORBIDDEN",
      "This key has been rotated: in its grace period it still reads, but it manages no keys. Use its successor.",
      { extensions: { reason: "key_rotating" } },
    );
  }
  if (denial.status === 403 && denial.reason === "exceeds_quota") {
    context.metrics?.quotaRejections.inc({ tier: context.tier ?? "unknown", limit: denial.oversize.unit });
    return oversizeError(denial.oversize, context.tier);
  }
  if (denial.status === 403) {
    return new DomainError("FORBIDDEN", `This API key lacks the scope ${denial.required}.`, {
      extensions: { required_scope: denial.required },
      headers: {
        "WWW-Authenticate": `Bearer realm="rapfs", error="insufficient_scope", scope="${denial.required}"`,
      },
    });
  }
  if (denial.reason === "failed_authentications") {
    return new DomainError(
      "RATE_LIMITED",
      `Too many failed authentications from this address. Retry after ${denial.retryAfterSeconds} s.`,
      {
        headers: { "Retry-After": String(denial.retryAfterSeconds) },
        extensions: { policy: "auth_failures" },
      },
    );
  }
  const refused = context.limits.find((l) => !l.allowed);
  const policy = refused?.policy.name ?? "requests";
  context.metrics?.quotaRejections.inc({ tier: context.tier ?? "unknown", limit: policy });
  const wait = `Retry after ${denial.retryAfterSeconds} s.`;
  const limit = refused?.limit ?? "its";
  const rateLimited =
    RATE_LIMITED_BY[policy]?.(limit) ??
    `This account made more than ${limit} requests in ${refused?.policy.windowSeconds ?? 60} s.`;
  const detail =
    denial.reason === "rate_limited"
      ? `${rateLimited} ${wait}`
      : `This request needs more ${UNIT_WORDS[policy] ?? policy} than the ${refused?.remaining ?? 0} left of today's quota of ${refused?.limit}. ${wait}`;
  return new DomainError("RATE_LIMITED", detail, {
    headers: { "Retry-After": String(denial.retryAfterSeconds) },
    extensions: {
      policy,
      limit: refused?.limit,
      remaining: refused?.remaining,
      reset_seconds: refused?.resetSeconds,
    },
  });
}

/**
 * A cost no window of the tier can hold: not a 429, since waiting never helps, so no Retry-After
 * (clients retry 429s). It says what would fit: fewer units, or a tier that takes them.
 */
function oversizeError(oversize: Oversize, tier: string | undefined): DomainError {
  const { unit, needed, limit, tiers } = oversize;
  const words = UNIT_WORDS[unit] ?? unit;
  const fewer =
    unit === "rows"
      ? `Ask for at most ${fmt(limit)} rows (a download takes \`limit=${limit}\`; a dataset marked public counts downloads, not rows)`
      : `Ask for at most ${fmt(limit)} ${words}`;
  const other = tiers.length > 0 ? `, or use a tier whose quota takes it: ${tiers.join(", ")}` : "";
  return new DomainError(
    "EXCEEDS_QUOTA",
    `This request needs ${fmt(needed)} ${words}, more than the ${tier ?? "key's"} tier allows in a whole day (${fmt(limit)}), so no retry can succeed. ${fewer}${other}.`,
    { extensions: { policy: unit, limit, needed, fits: { limit, tiers } } },
  );
}

const fmt = (n: number) => n.toLocaleString("en-US");
