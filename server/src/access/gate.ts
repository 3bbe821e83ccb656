import { isWellFormedKey } from "./api-key-format";
import type { AuthFailureReason } from "./errors";
import type { Limiter, LimitResult } from "./limiter";
import { hasScope, type Scope } from "./scopes";
import {
  DIMENSIONS,
  type Dimension,
  failedAuthPolicy,
  type Policy,
  policyFor,
  SIGNUP_ATTEMPTS_POLICY,
  SIGNUP_POLICY,
  type TierLimits,
  type Tiers,
  tierLimits,
} from "./tiers";
import type { UsageDay, UsageRecorder } from "./usage";
import type { KeyVerifier, Principal, Verification } from "./verifier";

/** Lookups at once, across blocked addresses, of keys this process does not know. */
export const BLOCKED_LOOKUPS = 4;

/** Quota units a request spends beyond the request itself: a batch of 100 ids costs 100 rows. */
export type Cost = { rows?: number; downloads?: number; bytes?: number };

/** A cost larger than a whole window of the key's tier: no retry can ever admit it. */
export type Oversize = {
  unit: Dimension;
  needed: number;
  limit: number;
  /** Tiers whose quota of that unit would take it, most restrictive first. */
  tiers: string[];
};

export type Denial =
  | { status: 401; reason: AuthFailureReason }
  | { status: 403; reason: "insufficient_scope"; required: Scope }
  | { status: 403; reason: "key_rotating" }
  | {
      status: 429;
      reason: "rate_limited" | "quota_exceeded" | "failed_authentications";
      retryAfterSeconds: number;
    }
  | { status: 403; reason: "exceeds_quota"; oversize: Oversize };

/** `limits` holds every policy checked, allowed or not, for the RateLimit headers. */
export type GateResult =
  | { ok: true; principal: Principal; limits: LimitResult[] }
  | { ok: false; denial: Denial; principal?: Principal; limits: LimitResult[] };

type Charge = { policy: Policy; amount: number };

export type UsageReport = {
  tier: string;
  limits: TierLimits;
  windows: LimitResult[];
  history: UsageDay[];
};

export type SignupAdmission = {
  /** The attempt's windows: refused when one is not allowed. */
  limits: LimitResult[];
  /** Gives back the account an admitted attempt reserved, when none was created. */
  release(): Promise<void>;
};

/**
 * The access decision in the order that spends nothing needlessly: authenticate →
 * disabled/expired → scope → rate limit → quota spend.
 */
export class AccessGate {
  /** Client addresses past FAILED_AUTH_POLICY in this process, until when. */
  private readonly blockedUntil = new Map<string, number>();
  /** Lookups in flight of keys this process does not know, presented from blocked addresses. */
  private blockedLookups = 0;

  constructor(
    private readonly deps: {
      verifier: KeyVerifier;
      limiter: Limiter;
      tiers: Tiers;
      usage?: UsageRecorder | undefined;
      /** Failed authentications per client address a minute (FAILED_AUTH_POLICY). */
      failedAuthPerMinute?: number;
    },
  ) {
    this.failedAuth = failedAuthPolicy(deps.failedAuthPerMinute ?? 30);
  }

  private readonly failedAuth: Policy;

  /**
   * Everything up to the rate limit; with a cost, the quota too (routes whose cost is known up
   * front). `scope: null` accepts any valid key.
   */
  async authorize(
    presented: string | undefined,
    scope: Scope | null,
    cost: Cost = {},
    from?: () => string,
  ): Promise<GateResult> {
    const identity = await this.authenticate(presented, scope, from);
    return identity.ok ? this.admit(identity.principal, cost) : identity;
  }

  /**
   * The key and its scope, spending nothing. With the client address (`from`), failed attempts
   * are counted per address. Past FAILED_AUTH_POLICY, a key this process does not already know
   * is still looked up, so a valid key passes (behind a proxy every client may share the
   * address), but at most BLOCKED_LOOKUPS such lookups are in flight at once across blocked
   * addresses: random well-formed keys cannot make every request a query. Past that, 429.
   */
  async authenticate(
    presented: string | undefined,
    scope: Scope | null,
    from?: () => string,
  ): Promise<GateResult> {
    const { verifier } = this.deps;
    let blocked = false;
    // The address is worked out only when something is blocked or an attempt failed.
    // A missing or malformed key costs no lookup, and gets its 401 as before.
    if (from && this.blockedUntil.size > 0 && presented && isWellFormedKey(presented)) {
      const address = from();
      const waitMs = (this.blockedUntil.get(address) ?? 0) - Date.now();
      if (waitMs <= 0) this.blockedUntil.delete(address);
      else if (!verifier.recognizes(presented)) {
        if (this.blockedLookups >= BLOCKED_LOOKUPS) return failedAuthentications(Math.ceil(waitMs / 1000));
        blocked = true;
      }
    }
    const verification = blocked ? await this.verifyBounded(presented) : await verifier.verify(presented);
    if (!verification.ok) {
      if (from && verification.reason !== "missing" && verification.reason !== "malformed") {
        const address = from();
        const counted = await this.deps.limiter.consume(this.failedAuth, `auth:${address}`, 1);
        if (!counted.allowed) {
          this.blockedUntil.set(address, Date.now() + Math.max(1, counted.resetSeconds) * 1000);
          return failedAuthentications(Math.max(1, counted.resetSeconds), counted);
        }
      }
      return { ok: false, denial: { status: 401, reason: verification.reason }, limits: [] };
    }
    return scoped(verification.principal, scope);
  }

  /**
   * `authenticate` for a valid key the verifier holds: the same answer at once, spending nothing.
   * Undefined otherwise (authenticate then decides); such a key is never refused by its address.
   */
  authenticateCached(presented: string | undefined, scope: Scope | null): GateResult | undefined {
    const verification = this.deps.verifier.verifyCached(presented);
    return verification?.ok ? scoped(verification.principal, scope) : undefined;
  }

  private async verifyBounded(presented: string | undefined): Promise<Verification> {
    this.blockedLookups++;
    try {
      return await this.deps.verifier.verify(presented);
    } finally {
      this.blockedLookups--;
    }
  }

  /**
   * Whether `presented` could be refused for its address's failed authentications (some address
   * is blocked and the key is not one this process knows): the lookup lane then leaves the
   * request to the app, which knows the address.
   */
  mayRefuseByAddress(presented: string | undefined): boolean {
    return this.blockedUntil.size > 0 && !this.deps.verifier.recognizes(presented);
  }

  /** An authenticated request's rate limit, then the quota of a cost known up front. */
  async admit(principal: Principal, cost: Cost = {}): Promise<GateResult> {
    const oversize = this.oversize(principal, cost);
    if (oversize) return this.refuseOversize(principal, oversize);
    const charges = this.charges(principal, { requests: 1, ...cost });
    const { limits, refused } = await this.charge(principal, charges);
    if (refused === "requests") {
      return this.refuse(
        principal,
        "rate_limited",
        limits.filter((l) => l.policy.unit === "requests"),
      );
    }
    if (refused) {
      this.deps.usage?.record(principal.accountId, { requests: 1 });
      return this.refuse(principal, "quota_exceeded", limits);
    }
    this.recordSpend(principal, cost, 1);
    return { ok: true, principal, limits };
  }

  /** Whether this process can hold quota units to spend at once (quota leases on Redis). */
  get holdsUnits(): boolean {
    return this.deps.limiter.heldSpend !== undefined;
  }

  /**
   * `admit` when this process holds every unit the request spends (quota leases), checked now:
   * a function that admits it, the same answer at once, to be called before anything awaits.
   * Undefined, having spent nothing, otherwise: admit then decides, with Redis.
   */
  heldAdmission(principal: Principal, cost: Cost = {}): (() => GateResult) | undefined {
    const { limiter } = this.deps;
    if (!limiter.heldSpend || this.oversize(principal, cost)) return undefined;
    const subject = principal.accountId;
    const charges = this.charges(principal, { requests: 1, ...cost });
    const spend = limiter.heldSpend(charges.map((c) => ({ policy: c.policy, subject, cost: c.amount })));
    if (!spend) return undefined;
    return () => {
      const limits = spend();
      this.recordSpend(principal, cost, 1);
      return { ok: true, principal, limits };
    };
  }

  /**
   * Spends quota once the request is known to be valid (after body validation), all or nothing:
   * when one dimension refuses, the others are refunded.
   */
  async spend(principal: Principal, cost: Cost): Promise<GateResult> {
    const oversize = this.oversize(principal, cost);
    if (oversize) return this.refuseOversize(principal, oversize);
    const { limits, refused } = await this.charge(principal, this.charges(principal, cost));
    if (refused) return this.refuse(principal, "quota_exceeded", limits);
    this.recordSpend(principal, cost);
    return { ok: true, principal, limits };
  }

  /**
   * Gives back what `spend` took for work that then did not happen (a download refused for want
   * of a slot after its charge): the quota units and the usage history both.
   */
  async refund(principal: Principal, cost: Cost): Promise<void> {
    const { limiter } = this.deps;
    await Promise.all(
      this.charges(principal, cost).map((c) => limiter.refund(c.policy, principal.accountId, c.amount)),
    );
    this.recordSpend(principal, {
      rows: -(cost.rows ?? 0),
      downloads: -(cost.downloads ?? 0),
      bytes: -(cost.bytes ?? 0),
    });
  }

  /**
   * Spends what was used after the answer had begun (the bytes a download sent), as far as the
   * day's quota goes: the work is done, so nothing is refused here, and a quota used up refuses
   * the next request that needs it.
   */
  async settle(principal: Principal, cost: Pick<Cost, "bytes">): Promise<void> {
    const bytes = cost.bytes ?? 0;
    if (bytes <= 0) return;
    this.deps.usage?.record(principal.accountId, { bytes });
    const policy = policyFor(this.deps.tiers, principal.tier, "bytes");
    if (!policy) return;
    const { remaining } = await this.deps.limiter.peek(policy, principal.accountId);
    const take = Math.min(bytes, remaining);
    if (take > 0) await this.deps.limiter.consume(policy, principal.accountId, take);
  }

  /**
   * Self-service signup is anonymous, so it is limited per client address instead: an attempt,
   * then an account reserved (only if the attempt was allowed). `release` gives the reservation
   * back when no account was created.
   */
  async signup(clientAddress: string): Promise<SignupAdmission> {
    const { limiter } = this.deps;
    const attempts = await limiter.consume(SIGNUP_ATTEMPTS_POLICY, `signup_attempts:${clientAddress}`, 1);
    if (!attempts.allowed) return { limits: [attempts], release: async () => {} };
    const subject = `signup:${clientAddress}`;
    const accounts = await limiter.consume(SIGNUP_POLICY, subject, 1);
    const release = accounts.allowed ? () => limiter.refund(SIGNUP_POLICY, subject, 1) : async () => {};
    return { limits: [accounts, attempts], release };
  }

  /** What is left of a quota now, spending nothing; Infinity for a tier without that quota. */
  async remaining(principal: Principal, dimension: "rows" | "downloads" | "bytes"): Promise<number> {
    const policy = policyFor(this.deps.tiers, principal.tier, dimension);
    if (!policy) return Number.POSITIVE_INFINITY;
    return (await this.deps.limiter.peek(policy, principal.accountId)).remaining;
  }

  /** GET /v1/usage: the current windows (nothing spent) and the daily history. */
  async usage(
    principal: Pick<Principal, "accountId" | "tier"> & Partial<Principal>,
    days = 30,
  ): Promise<UsageReport> {
    const windows: LimitResult[] = [];
    for (const dimension of DIMENSIONS) {
      const policy = policyFor(this.deps.tiers, principal.tier, dimension);
      if (policy) windows.push(await this.deps.limiter.peek(policy, principal.accountId));
    }
    const history = this.deps.usage ? await this.deps.usage.history(principal.accountId, days) : [];
    return { tier: principal.tier, limits: tierLimits(this.deps.tiers, principal.tier), windows, history };
  }

  /**
   * The refusal of a cost no whole window of the tier holds, without charging anything: checked
   * before work whose size is known early (a training upload's rows, before it is parsed).
   */
  refusalOfOversize(principal: Principal, cost: Cost): GateResult | undefined {
    const oversize = this.oversize(principal, cost);
    return oversize ? this.refuseOversize(principal, oversize) : undefined;
  }

  /** The first unit of `cost` that exceeds a whole window of the tier, and the tiers it would fit. */
  private oversize(principal: Principal, cost: Cost): Oversize | undefined {
    for (const unit of DIMENSIONS) {
      const needed = cost[unit as keyof Cost] ?? 0;
      const policy = policyFor(this.deps.tiers, principal.tier, unit);
      if (!policy || needed <= policy.limit) continue;
      const fits = Object.entries(this.deps.tiers)
        .filter(([, limits]) => limits[unit] === null || (limits[unit] as number) >= needed)
        .sort(
          ([, a], [, b]) => (a[unit] ?? Number.POSITIVE_INFINITY) - (b[unit] ?? Number.POSITIVE_INFINITY),
        );
      return { unit, needed, limit: policy.limit, tiers: fits.map(([name]) => name) };
    }
    return undefined;
  }

  private refuseOversize(principal: Principal, oversize: Oversize): GateResult {
    this.deps.usage?.record(principal.accountId, { rejected: 1 });
    return { ok: false, principal, denial: { status: 403, reason: "exceeds_quota", oversize }, limits: [] };
  }

  private charges(principal: Principal, cost: Cost & { requests?: number }): Charge[] {
    const charges: Charge[] = [];
    for (const dimension of DIMENSIONS) {
      const amount = cost[dimension] ?? 0;
      const policy = policyFor(this.deps.tiers, principal.tier, dimension);
      if (policy && amount > 0) charges.push({ policy, amount });
    }
    return charges;
  }

  /**
   * Sends every charge at once (one pipelined round trip instead of one per policy), then takes
   * back the quota units of a refused request. The request unit itself stays spent: the request
   * did reach the server. Outcomes are those of checking one policy after the other.
   */
  private async charge(
    principal: Principal,
    charges: Charge[],
  ): Promise<{ limits: LimitResult[]; refused: Dimension | undefined }> {
    const { limiter } = this.deps;
    const limits = await Promise.all(
      charges.map((c) => limiter.consume(c.policy, principal.accountId, c.amount)),
    );
    const refused = limits.find((l) => !l.allowed)?.policy.unit;
    if (!refused) return { limits, refused };
    const refunds = charges.map((c, i) => {
      const limit = limits[i] as LimitResult;
      if (!limit.allowed || c.policy.unit === "requests") return limit;
      return { ...limit, remaining: Math.min(limit.limit, limit.remaining + c.amount) };
    });
    await Promise.all(
      charges.map((c, i) =>
        limits[i]?.allowed && c.policy.unit !== "requests"
          ? limiter.refund(c.policy, principal.accountId, c.amount)
          : undefined,
      ),
    );
    return { limits: refunds, refused };
  }

  /** The usage history of what a request spent, with the request itself when it is one: one record. */
  private recordSpend(principal: Principal, cost: Cost, requests = 0): void {
    if (requests || cost.rows || cost.downloads || cost.bytes) {
      this.deps.usage?.record(principal.accountId, {
        requests,
        rows: cost.rows ?? 0,
        downloads: cost.downloads ?? 0,
        bytes: cost.bytes ?? 0,
      });
    }
  }

  private refuse(
    principal: Principal,
    reason: "rate_limited" | "quota_exceeded",
    limits: LimitResult[],
  ): GateResult {
    this.deps.usage?.record(principal.accountId, { rejected: 1 });
    const retryAfterSeconds = Math.max(1, ...limits.filter((l) => !l.allowed).map((l) => l.resetSeconds));
    return { ok: false, principal, denial: { status: 429, reason, retryAfterSeconds }, limits };
  }
}

function failedAuthentications(retryAfterSeconds: number, limit?: LimitResult): GateResult {
  return {
    ok: false,
    denial: { status: 429, reason: "failed_authentications", retryAfterSeconds },
    limits: limit ? [limit] : [],
  };
}

/** An authenticated key's answer for a route needing `scope` (null: any valid key). */
function scoped(principal: Principal, scope: Scope | null): GateResult {
  if (scope !== null && !hasScope(principal.scopes, scope)) {
    return {
      ok: false,
      principal,
      denial: { status: 403, reason: "insufficient_scope", required: scope },
      limits: [],
    };
  }
  if (principal.rotating && scope === "keys:manage") {
    return { ok: false, principal, denial: { status: 403, reason: "key_rotating" }, limits: [] };
  }
  return { ok: true, principal, limits: [] };
}
