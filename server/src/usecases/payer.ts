import { denialError } from "../access/denials";
import type { AccessGate, Cost, GateResult } from "../access/gate";
import type { LimitResult } from "../access/limiter";
import type { Principal } from "../access/verifier";
import type { Metrics } from "../metrics/registry";

/**
 * Who pays for a use case, and how. A use case spends once it knows the cost (after every check
 * that could refuse the request for free), and a refusal throws its DomainError (429, or 403
 * EXCEEDS_QUOTA). Every policy checked is kept in `limits`, for the RateLimit fields.
 */
export interface Payer {
  readonly principal: Principal;
  readonly limits: readonly LimitResult[];
  /** Spends `cost`, all or nothing; throws the refusal. */
  spend(cost: Cost): Promise<void>;
  /**
   * Spends `cost` while `work` runs (their Redis commands leave in one pipelined write) and
   * returns its result once both are done: a refusal wins over whatever the work found.
   */
  spendWhile<T>(cost: Cost, work: Promise<T>): Promise<T>;
  /** Spends `cost`, then runs `work`; gives the cost back if the work fails (nothing was answered). */
  spendFor<T>(cost: Cost, work: () => Promise<T>): Promise<T>;
  /** Spends, as far as the day's quota goes, what was used after the answer had begun (bytes sent). */
  settle(cost: Pick<Cost, "bytes">): Promise<void>;
  /** Gives back a spend whose work was refused before it began (no slot for a download). */
  refund(cost: Cost): Promise<void>;
  /** Throws 403 EXCEEDS_QUOTA if no whole day of the tier holds `cost`; spends nothing. */
  refuseOversize(cost: Cost): void;
  /** What is left of today's rows, spending nothing (Infinity for a tier without a row quota). */
  rowsLeft(): Promise<number>;
  /**
   * Pays the request if no spend did: a request refused by a check still counts against the
   * request rate, but the rows it was due (a single lookup's one) were never read, so they are not
   * spent, as a failed batch or search gives its rows back.
   */
  close(): Promise<void>;
}

/**
 * The Payer of an authenticated key. `due` is what the door has not spent yet (the request, and
 * a cost known up front): the first spend adds it, so a lookup's request, its row and its read
 * leave in one write.
 */
export class GatePayer implements Payer {
  private readonly byPolicy = new Map<string, LimitResult>();
  private readonly metrics: Metrics | undefined;
  private due: Cost | undefined;

  constructor(
    private readonly gate: AccessGate,
    readonly principal: Principal,
    options: { due?: Cost | undefined; limits?: readonly LimitResult[]; metrics?: Metrics | undefined },
  ) {
    this.due = options.due;
    this.metrics = options.metrics;
    this.keep(options.limits ?? []);
  }

  get limits(): readonly LimitResult[] {
    return [...this.byPolicy.values()];
  }

  async spend(cost: Cost): Promise<void> {
    const due = this.due;
    this.due = undefined;
    const result = due
      ? await this.gate.admit(this.principal, sum(due, cost))
      : await this.gate.spend(this.principal, cost);
    this.decide(result);
  }

  async spendWhile<T>(cost: Cost, work: Promise<T>): Promise<T> {
    // Settled below in every case; this only keeps a failure meanwhile from counting as unhandled.
    work.catch(() => {});
    await this.spend(cost);
    return work;
  }

  async spendFor<T>(cost: Cost, work: () => Promise<T>): Promise<T> {
    await this.spend(cost);
    try {
      return await work();
    } catch (error) {
      // An outage, a busy turn: not the caller's spend. The work's error is what the caller sees.
      await this.refund(cost).catch(() => {});
      throw error;
    }
  }

  async settle(cost: Pick<Cost, "bytes">): Promise<void> {
    await this.gate.settle(this.principal, cost);
  }

  async refund(cost: Cost): Promise<void> {
    await this.gate.refund(this.principal, cost);
    // The RateLimit fields say what is left now, not what the refunded spend left.
    for (const limit of this.byPolicy.values()) {
      const back = cost[limit.policy.unit as keyof Cost] ?? 0;
      if (back > 0) this.keep([{ ...limit, remaining: Math.min(limit.limit, limit.remaining + back) }]);
    }
  }

  refuseOversize(cost: Cost): void {
    const refusal = this.gate.refusalOfOversize(this.principal, cost);
    if (refusal) this.decide(refusal);
  }

  rowsLeft(): Promise<number> {
    return this.gate.remaining(this.principal, "rows");
  }

  async close(): Promise<void> {
    if (!this.due) return;
    this.due = undefined;
    this.decide(await this.gate.admit(this.principal, {}));
  }

  private decide(result: GateResult): void {
    // The latest state of each policy wins: a request's rows spent twice are one "rows".
    this.keep(result.limits);
    if (!result.ok) {
      throw denialError(result.denial, {
        tier: this.principal.tier,
        limits: result.limits,
        metrics: this.metrics,
      });
    }
  }

  private keep(limits: readonly LimitResult[]): void {
    for (const limit of limits) this.byPolicy.set(limit.policy.name, limit);
  }
}

function sum(a: Cost, b: Cost): Cost {
  // A lookup adds nothing to what its door left due (its request): no new object per request.
  if (Object.keys(b).length === 0) return a;
  const total: Cost = { ...a };
  for (const [unit, amount] of Object.entries(b) as [keyof Cost, number][]) {
    total[unit] = (total[unit] ?? 0) + amount;
  }
  return total;
}
