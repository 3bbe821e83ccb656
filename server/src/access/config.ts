import { z } from "zod";
import { integerWhere, numberWhere, readEnv, trimmedText } from "../config/read-env";
import { DomainError } from "../errors";
import { isKeyPrefix, KEY_PREFIX_RULE } from "../online/redis-keys";
import { isWellFormedKey } from "./api-key-format";
import { MAX_LEASE_MS } from "./leases";
import { loadTiers, type Tiers } from "./tiers";

export type AccessConfig = {
  tiers: Tiers;
  /** RAPFS_ADMIN_KEY: an operator key from the environment, stored hashed by bootstrapAdminKey. */
  adminKey: string | undefined;
  /** RAPFS_REDIS_PREFIX: namespaces Redis keys and the invalidation channel per deployment. */
  redisPrefix: string;
  keyCacheTtlMs: number;
  /** RAPFS_METRICS_TOKEN: when set, /metrics wants `Authorization: Bearer <token>` (or an admin key). */
  metricsToken: string | undefined;
  /**
   * RAPFS_TRUSTED_PROXY_HOPS: how many proxies in front of the server append to X-Forwarded-For;
   * 0 (default) uses the socket address, so a client cannot pick its own signup bucket.
   */
  trustedProxyHops: number;
  /**
   * RAPFS_QUOTA_LEASE_MS: how long a process spends quota units taken ahead from Redis before the
   * unspent ones go back (leases.ts); 0 sends every spend to Redis.
   */
  quotaLeaseMs: number;
  /**
   * RAPFS_FAILED_AUTH_PER_MINUTE: failed authentications a client address may make in a minute
   * before unknown keys from it are refused (429) without a database lookup.
   */
  failedAuthPerMinute: number;
};

const schema = z.object({
  RAPFS_TIERS: z
    .string()
    .optional()
    .transform((json, ctx) => {
      try {
        return loadTiers(json);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        ctx.addIssue({ code: "custom", message: error.message.replace(/^RAPFS_TIERS:? ?/, "") });
        return z.NEVER;
      }
    }),
  RAPFS_ADMIN_KEY: trimmedText().refine(
    (key) => key === undefined || isWellFormedKey(key),
    "must be a rapfs key (generate one with `rapfs keys generate`)",
  ),
  RAPFS_REDIS_PREFIX: trimmedText()
    .transform((prefix) => prefix ?? "rapfs")
    .refine(isKeyPrefix, KEY_PREFIX_RULE),
  RAPFS_KEY_CACHE_SECONDS: numberWhere(
    30,
    (n) => Number.isFinite(n) && n >= 0 && n <= 300,
    "a number of seconds from 0 to 300",
  ),
  RAPFS_METRICS_TOKEN: trimmedText().refine(
    (token) => token === undefined || token.length >= 16,
    "at least 16 characters",
  ),
  RAPFS_TRUSTED_PROXY_HOPS: integerWhere(0, 0, 10, "an integer from 0 to 10"),
  RAPFS_QUOTA_LEASE_MS: integerWhere(
    250,
    0,
    MAX_LEASE_MS,
    `an integer number of milliseconds from 0 to ${MAX_LEASE_MS}`,
  ),
  RAPFS_FAILED_AUTH_PER_MINUTE: integerWhere(30, 1, 1_000_000, "an integer from 1 to 1000000"),
});

/** The access settings of the environment; every bad variable is named in one ConfigError. */
export function loadAccessConfig(env: NodeJS.ProcessEnv = process.env): AccessConfig {
  const e = readEnv(schema, env);
  return {
    tiers: e.RAPFS_TIERS,
    adminKey: e.RAPFS_ADMIN_KEY,
    redisPrefix: e.RAPFS_REDIS_PREFIX,
    keyCacheTtlMs: e.RAPFS_KEY_CACHE_SECONDS * 1000,
    metricsToken: e.RAPFS_METRICS_TOKEN,
    trustedProxyHops: e.RAPFS_TRUSTED_PROXY_HOPS,
    quotaLeaseMs: e.RAPFS_QUOTA_LEASE_MS,
    failedAuthPerMinute: e.RAPFS_FAILED_AUTH_PER_MINUTE,
  };
}
