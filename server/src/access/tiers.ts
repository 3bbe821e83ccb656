import { z } from "zod";
import { accessError } from "./errors";

/**
 * What a quota counts: requests per minute, entity rows per day, dataset downloads per day and
 * the bytes those downloads send per day.
 */
export type Dimension = "requests" | "rows" | "downloads" | "bytes";
export const DIMENSIONS: readonly Dimension[] = ["requests", "rows", "downloads", "bytes"];

/**
 * `null` is unlimited (JSON has no Infinity). `bytes_per_second` is a pace, not a quota: how fast
 * an account's downloads are sent, in each server process (datasets/delivery/send-pace.ts).
 */
export type TierLimits = Record<Dimension, number | null> & { bytes_per_second?: number | null };
export type Tiers = Readonly<Record<string, TierLimits>>;

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/**
 * A free key's downloads are sent at 4 MiB/s: its day's 1 GiB in about four minutes, the whole
 * `public` NDJSON (67 MB) in 16 s, a preview at once.
 */
export const DEFAULT_TIERS: Tiers = {
  free: { requests: 60, rows: 10_000, downloads: 3, bytes: GIB, bytes_per_second: 4 * MIB },
  pro: { requests: 6_000, rows: 1_000_000, downloads: 300, bytes: 100 * GIB, bytes_per_second: null },
  admin: { requests: null, rows: null, downloads: null, bytes: null, bytes_per_second: null },
};
export const DEFAULT_TIER = "free";

/** A quota as the limiter enforces it and the RateLimit-Policy header describes it. */
export type Policy = {
  name: string;
  limit: number;
  windowSeconds: number;
  /** A fixed window from the first spend, or the UTC calendar day (aligned with usage history). */
  window: "fixed" | "utc-day";
  unit: Dimension;
};

const DAY_SECONDS = 86_400;
const WINDOWS: Record<Dimension, Pick<Policy, "windowSeconds" | "window">> = {
  requests: { windowSeconds: 60, window: "fixed" },
  rows: { windowSeconds: DAY_SECONDS, window: "utc-day" },
  downloads: { windowSeconds: DAY_SECONDS, window: "utc-day" },
  bytes: { windowSeconds: DAY_SECONDS, window: "utc-day" },
};

/**
 * Accounts created per client address an hour: a signup reserves one before the body is read,
 * and gives it back if no account came of it (a taken email, a typo).
 */
export const SIGNUP_POLICY: Policy = {
  name: "signup",
  limit: 5,
  windowSeconds: 3_600,
  window: "fixed",
  unit: "requests",
};

/**
 * Signup attempts per client address an hour, failed ones included: the bound on probing for
 * registered emails (each taken one answers 409) and on bodies that never validate.
 */
export const SIGNUP_ATTEMPTS_POLICY: Policy = {
  name: "signup_attempts",
  limit: 30,
  windowSeconds: 3_600,
  window: "fixed",
  unit: "requests",
};

/**
 * Failed authentications per client address a minute (RAPFS_FAILED_AUTH_PER_MINUTE): past it,
 * a presented key this process does not already know is refused without a lookup until the
 * window ends.
 */
export const failedAuthPolicy = (limit: number): Policy => ({
  name: "auth_failures",
  limit,
  windowSeconds: 60,
  window: "fixed",
  unit: "requests",
});

/** The policy of one dimension for a tier, or null when that tier is unlimited there. */
export function policyFor(tiers: Tiers, tier: string, dimension: Dimension): Policy | null {
  const limits = tierLimits(tiers, tier);
  let policies = policiesOf.get(limits);
  if (!policies) {
    policies = Object.fromEntries(
      DIMENSIONS.map((d) => {
        const limit = limits[d];
        return [d, limit === null ? null : Object.freeze({ name: d, limit, unit: d, ...WINDOWS[d] })];
      }),
    ) as Record<Dimension, Policy | null>;
    policiesOf.set(limits, policies);
  }
  return policies[dimension];
}

/** Each tier's policies, made once: every request checks them, and the RateLimit fields describe them. */
const policiesOf = new WeakMap<TierLimits, Record<Dimension, Policy | null>>();

/** How fast an account of `tier` is sent its downloads, in bytes a second; null: as fast as it reads. */
export function sendRateOf(tiers: Tiers, tier: string): number | null {
  return tierLimits(tiers, tier).bytes_per_second ?? null;
}

export function tierLimits(tiers: Tiers, tier: string): TierLimits {
  const limits = tiers[tier];
  // An account whose tier was removed from config falls back to the most restrictive default.
  return limits ?? (tiers[DEFAULT_TIER] as TierLimits);
}

export function assertTier(tiers: Tiers, tier: string): void {
  if (!Object.hasOwn(tiers, tier)) {
    throw accessError(
      "invalid_input",
      `Unknown tier ${tier}; tiers are ${Object.keys(tiers).join(", ")}`,
      "tier",
    );
  }
}

const limit = z.number().int().nonnegative().nullable();
/** A pace of 0 would send nothing, ever: a tier that may not download has `downloads: 0`. */
const pace = z.number().int().positive().nullable();
const overrideSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "tier names are lowercase words"),
  z
    .object({ requests: limit, rows: limit, downloads: limit, bytes: limit, bytes_per_second: pace })
    .partial()
    .strict(),
);

/**
 * Default tiers with the RAPFS_TIERS JSON override applied: `{"free":{"rows":20000}}` changes one
 * limit; a new tier must give requests, rows and downloads (bytes and bytes_per_second left out
 * are unlimited).
 */
export function loadTiers(json: string | undefined): Tiers {
  if (json === undefined || json.trim() === "") return DEFAULT_TIERS;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw accessError("invalid_input", `RAPFS_TIERS is not JSON: ${(error as Error).message}`);
  }
  const parsed = overrideSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw accessError("invalid_input", `RAPFS_TIERS is invalid: ${detail}`);
  }
  const tiers: Record<string, TierLimits> = { ...DEFAULT_TIERS };
  for (const [name, override] of Object.entries(parsed.data)) {
    const merged = { bytes: null, bytes_per_second: null, ...tiers[name], ...override };
    const missing = DIMENSIONS.filter((d) => merged[d] === undefined);
    if (missing.length > 0) {
      throw accessError("invalid_input", `RAPFS_TIERS: new tier ${name} needs ${missing.join(", ")}`);
    }
    tiers[name] = merged as TierLimits;
  }
  return tiers;
}
