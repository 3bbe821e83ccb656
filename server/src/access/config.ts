import { ConfigError } from "../config/env";
import { DomainError } from "../errors";
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

/** The access settings of the environment; every bad variable is named in one ConfigError. */
export function loadAccessConfig(env: NodeJS.ProcessEnv = process.env): AccessConfig {
  const problems: string[] = [];
  let tiers: Tiers = {};
  try {
    tiers = loadTiers(env.RAPFS_TIERS);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    problems.push(`  RAPFS_TIERS: ${error.message.replace(/^RAPFS_TIERS:? ?/, "")}`);
  }
  const adminKey = env.RAPFS_ADMIN_KEY?.trim() || undefined;
  if (adminKey && !isWellFormedKey(adminKey)) {
    problems.push("  RAPFS_ADMIN_KEY: must be a rapfs key (generate one with `rapfs keys generate`)");
  }
  const redisPrefix = env.RAPFS_REDIS_PREFIX?.trim() || "rapfs";
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(redisPrefix)) {
    problems.push("  RAPFS_REDIS_PREFIX: letters, digits, ':', '_' and '-' only");
  }
  const ttlSeconds = Number(env.RAPFS_KEY_CACHE_SECONDS ?? 30);
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 300) {
    problems.push("  RAPFS_KEY_CACHE_SECONDS: a number of seconds from 0 to 300");
  }
  const metricsToken = env.RAPFS_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken && metricsToken.length < 16) {
    problems.push("  RAPFS_METRICS_TOKEN: at least 16 characters");
  }
  const hops = Number(env.RAPFS_TRUSTED_PROXY_HOPS ?? 0);
  if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
    problems.push("  RAPFS_TRUSTED_PROXY_HOPS: an integer from 0 to 10");
  }
  const leaseMs = Number(env.RAPFS_QUOTA_LEASE_MS ?? 250);
  if (!Number.isInteger(leaseMs) || leaseMs < 0 || leaseMs > MAX_LEASE_MS) {
    problems.push("  RAPFS_QUOTA_LEASE_MS: an integer number of milliseconds from 0 to 10000");
  }
  const failedAuth = Number(env.RAPFS_FAILED_AUTH_PER_MINUTE ?? 30);
  if (!Number.isInteger(failedAuth) || failedAuth < 1 || failedAuth > 1_000_000) {
    problems.push("  RAPFS_FAILED_AUTH_PER_MINUTE: an integer from 1 to 1000000");
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  return {
    tiers,
    adminKey,
    redisPrefix,
    keyCacheTtlMs: ttlSeconds * 1000,
    metricsToken,
    trustedProxyHops: hops,
    quotaLeaseMs: leaseMs,
    failedAuthPerMinute: failedAuth,
  };
}
