import type { AuthFailureReason } from "./errors";
import type { Limiter, LimitResult } from "./limiter";
import { hasScope, type Scope } from "./scopes";
import {
  DIMENSIONS,
  type Dimension,
  type Policy,
  policyFor,
  SIGNUP_POLICY,
  type Tiers,
  tierLimits,
} from "./tiers";
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

type Charge = { policy: Policy; amount: number };

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

  /**
   * Everything up to the rate limit; with a cost, the quota too (routes whose cost is known up
   * front). `scope: null` accepts any valid key.
   */
  async authorize(presented: string | undefined, scope: Scope | null, cost: Cost = {}): Promise<GateResult> {
    const identity = await this.authenticate(presented, scope);
    return identity.ok ? this.admit(identity.principal, cost) : identity;
  }

  /** The key and its scope, spending nothing. */
  async authenticate(presented: string | undefined, scope: Scope | null): Promise<GateResult> {
    const verification = await this.deps.verifier.verify(presented);
    if (!verification.ok)
      return { ok: false, denial: { status: 401, reason: verification.reason }, limits: [] };
    const { principal } = verification;
    if (scope !== null && !hasScope(principal.scopes, scope)) {
      return {
        ok: false,
        principal,
        denial: { status: 403, reason: "insufficient_scope", required: scope },
        limits: [],
      };
    }
    return { ok: true, principal, limits: [] };
  }

  /** An authenticated request's rate limit, then the quota of a cost known up front. */
  async admit(principal: Principal, cost: Cost = {}): Promise<GateResult> {
    const charges = this.charges(principal, { requests: 1, ...cost });
    const { limits, refused } = await this.charge(principal, charges);
    if (refused === "requests") {
      return this.refuse(
        principal,
        "rate_limited",
        limits.filter((l) => l.policy.unit === "requests"),
      );
    }
    this.deps.usage?.record(principal.accountId, { requests: 1 });
    if (refused) return this.refuse(principal, "quota_exceeded", limits);
    this.recordSpend(principal, cost);
    return { ok: true, principal, limits };
  }

  /**
   * Spends quota once the request is known to be valid (after body validation), all or nothing:
   * when one dimension refuses, the others are refunded.
   */
  async spend(principal: Principal, cost: Cost): Promise<GateResult> {
    const { limits, refused } = await this.charge(principal, this.charges(principal, cost));
    if (refused) return this.refuse(principal, "quota_exceeded", limits);
    this.recordSpend(principal, cost);
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

  private recordSpend(principal: Principal, cost: Cost): void {
    if (cost.rows || cost.downloads) {
      this.deps.usage?.record(principal.accountId, { rows: cost.rows ?? 0, downloads: cost.downloads ?? 0 });
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
