import type { AuthFailureReason } from "./errors";
import type { Limiter, LimitResult } from "./limiter";
import { hasScope, type Scope } from "./scopes";
import { DIMENSIONS, type Dimension, policyFor, SIGNUP_POLICY, type Tiers, tierLimits } from "./tiers";
import type { UsageDay, UsageRecorder } from "./usage";
import type { KeyVerifier, Principal } from "./verifier";

/** Quota units a request spends beyond the request itself: a batch of 100 ids costs 100 rows. */
export type Cost = { rows?: number; downloads?: number };

export type Denial =
  | { status: 401; reason: AuthFailureReason }
  | { status: 403; reason: "insufficient_scope"; required: Scope }
  | { status: 429; reason: "rate_limited" | "quota_exceeded"; retryAfterSeconds: number };

/** `limits` holds every policy checked, allowed or not, for the RateLimit headers. */
export type GateResult =
  | { ok: true; principal: Principal; limits: LimitResult[] }
  | { ok: false; denial: Denial; principal?: Principal; limits: LimitResult[] };

export type UsageReport = {
  tier: string;
  limits: Record<Dimension, number | null>;
  windows: LimitResult[];
  history: UsageDay[];
};

/**
 * The access decision in the order that spends nothing needlessly: authenticate →
 * disabled/expired → scope → rate limit → quota spend.
 */
export class AccessGate {
  constructor(
    private readonly deps: {
      verifier: KeyVerifier;
      limiter: Limiter;
      tiers: Tiers;
      usage?: UsageRecorder | undefined;
    },
  ) {}

  /** Everything up to the rate limit; with a cost, the quota too (routes whose cost is known up front). */
  async authorize(presented: string | undefined, scope: Scope, cost: Cost = {}): Promise<GateResult> {
    const verification = await this.deps.verifier.verify(presented);
    if (!verification.ok)
      return { ok: false, denial: { status: 401, reason: verification.reason }, limits: [] };
    const { principal } = verification;
    if (!hasScope(principal.scopes, scope)) {
      return {
        ok: false,
        principal,
        denial: { status: 403, reason: "insufficient_scope", required: scope },
        limits: [],
      };
    }
    const policy = policyFor(this.deps.tiers, principal.tier, "requests");
    const limits: LimitResult[] = [];
    if (policy) {
      const result = await this.deps.limiter.consume(policy, principal.accountId, 1);
      limits.push(result);
      if (!result.allowed) return this.refuse(principal, "rate_limited", limits);
    }
    this.deps.usage?.record(principal.accountId, { requests: 1 });
    if (!cost.rows && !cost.downloads) return { ok: true, principal, limits };
    const spent = await this.spend(principal, cost);
    return { ...spent, limits: [...limits, ...spent.limits] };
  }

  /**
   * Spends quota once the request is known to be valid (after body validation), all or nothing:
   * when one dimension refuses, the others are refunded.
   */
  async spend(principal: Principal, cost: Cost): Promise<GateResult> {
    const limits: LimitResult[] = [];
    const spent: { dimension: Dimension; amount: number }[] = [];
    for (const dimension of ["rows", "downloads"] as const) {
      const amount = cost[dimension] ?? 0;
      const policy = policyFor(this.deps.tiers, principal.tier, dimension);
      if (amount <= 0 || !policy) continue;
      const result = await this.deps.limiter.consume(policy, principal.accountId, amount);
      limits.push(result);
      if (!result.allowed) {
        await Promise.all(
          spent.map((s) => {
            const p = policyFor(this.deps.tiers, principal.tier, s.dimension);
            return p ? this.deps.limiter.refund(p, principal.accountId, s.amount) : undefined;
          }),
        );
        return this.refuse(principal, "quota_exceeded", limits);
      }
      spent.push({ dimension, amount });
    }
    this.deps.usage?.record(principal.accountId, { rows: cost.rows ?? 0, downloads: cost.downloads ?? 0 });
    return { ok: true, principal, limits };
  }

  /** Self-service signup is anonymous, so it is limited per client address instead. */
  async signup(clientAddress: string): Promise<LimitResult> {
    return this.deps.limiter.consume(SIGNUP_POLICY, `signup:${clientAddress}`, 1);
  }

  /** GET /v1/usage: the current windows (nothing spent) and the daily history. */
  async usage(principal: Principal, days = 30): Promise<UsageReport> {
    const windows: LimitResult[] = [];
    for (const dimension of DIMENSIONS) {
      const policy = policyFor(this.deps.tiers, principal.tier, dimension);
      if (policy) windows.push(await this.deps.limiter.peek(policy, principal.accountId));
    }
    const history = this.deps.usage ? await this.deps.usage.history(principal.accountId, days) : [];
    return { tier: principal.tier, limits: tierLimits(this.deps.tiers, principal.tier), windows, history };
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
