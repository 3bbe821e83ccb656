import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { HeldCharge, Limiter, LimiterBackend, LimitResult } from "./limiter";
import { limiterWindow, limitResult } from "./limiter";
import type { Policy } from "./tiers";

// Takes `cost` units and, while far from the limit, up to `want - cost` more to spend locally.
// Never more than an eighth of what is left beyond the cost: near the limit nobody holds units.
// A refusal while others hold leases says how long until the first lapses, so the caller can wait
// for units that are only lent out instead of refusing while the quota is not spent.
const LEASE = `
local cost = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('set', KEYS[1], 0, 'PX', ARGV[4], 'NX')
local consumed = tonumber(redis.call('get', KEYS[1]))
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then
  redis.call('pexpire', KEYS[1], ARGV[4])
  ttl = tonumber(ARGV[4])
end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local available = limit - consumed
if available < cost then
  redis.call('zremrangebyscore', KEYS[2], '-inf', now)
  local first = redis.call('zrange', KEYS[2], 0, 0, 'WITHSCORES')
  local wait = 0
  if first[2] then wait = tonumber(first[2]) - now end
  return {0, consumed, ttl, wait}
end
local extra = math.min(want - cost, math.floor((available - cost) / 8))
if extra < 0 then extra = 0 end
redis.call('incrby', KEYS[1], cost + extra)
if extra > 0 then
  redis.call('zadd', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
  redis.call('pexpire', KEYS[2], ttl)
end
return {cost + extra, consumed + cost + extra, ttl, 0}
`;

// The unspent units of a lease go back, unless its window ended (the lease set expires with the
// counter) or it was written off as lapsed: then they are not the current window's to give back.
const RETURN = `
if redis.call('zrem', KEYS[2], ARGV[1]) == 1 and tonumber(ARGV[2]) > 0 then
  redis.call('decrby', KEYS[1], ARGV[2])
end
return 1
`;

type LeaseCommands = {
  rapfsLease(
    counter: string,
    leases: string,
    cost: number,
    want: number,
    limit: number,
    windowMs: number,
    id: string,
    lapseMs: number,
  ): Promise<[number, number, number, number]>;
  rapfsLeaseReturn(counter: string, leases: string, id: string, unused: number): Promise<number>;
};

/** Units of one counter (policy, subject, window) this process took ahead of use. */
type Lease = {
  id: string;
  counter: string;
  units: number;
  used: number;
  /** The counter's value when the lease was granted: other processes' spends show on renewal. */
  consumed: number;
  expiresAt: number;
  /** From then on, a spend asks for the next lease behind this one (RENEW_AHEAD). */
  renewAt: number;
  windowEndsAt: number;
  timer: NodeJS.Timeout;
};

export type LeaseOptions = {
  /** How long a lease is spent locally before its unspent units go back. */
  leaseMs: number;
  /** Most units taken beyond a request's own cost. */
  maxUnits?: number;
  now?: () => number;
};

/** The longest lease RAPFS_QUOTA_LEASE_MS allows. */
export const MAX_LEASE_MS = 10_000;
/** After this long a lease's units count as spent, whatever its holder did (it may have died). */
const LAPSE_GRACE_MS = 1_000;
/** A request refused while units are lent out asks again this often, until they come back. */
const RETRY_MS = 20;
/**
 * Past this share of its time (or of its units), a lease being spent asks for the next one in the
 * background, so a busy account's requests keep spending in memory instead of waiting for Redis
 * at the lease's end.
 */
const RENEW_AHEAD = 0.75;

/**
 * Quota leases on top of the shared limiter: a process takes units from Redis ahead of use and
 * spends them in memory, so a busy account costs a few scripts a second instead of one a request.
 * Exact across processes: leases shrink to nothing near the limit, unspent units go back when a
 * lease ends, and a request that would be refused while units are lent out waits for them.
 */
export class LeasingLimiter implements Limiter {
  private readonly leases = new Map<string, Lease>();
  private readonly renewals = new Map<string, Promise<void>>();
  /** How many units the next lease of a counter asks for: twice what the last one saw used. */
  private readonly nextWant = new Map<string, number>();
  private readonly commands: LeaseCommands;
  private readonly now: () => number;
  private readonly maxUnits: number;

  constructor(
    private readonly inner: Limiter,
    redis: Redis,
    private readonly prefix: string,
    private readonly options: LeaseOptions,
  ) {
    redis.defineCommand("rapfsLease", { numberOfKeys: 2, lua: LEASE });
    redis.defineCommand("rapfsLeaseReturn", { numberOfKeys: 2, lua: RETURN });
    this.commands = redis as unknown as LeaseCommands;
    this.now = options.now ?? Date.now;
    this.maxUnits = options.maxUnits ?? 1_000;
  }

  get backend(): LimiterBackend {
    return this.inner.backend;
  }

  /** Units this process holds unspent, over all leases (a gauge, and for tests). */
  get heldUnits(): number {
    let held = 0;
    for (const lease of this.leases.values()) held += lease.units;
    return held;
  }

  async consume(policy: Policy, subject: string, cost = 1): Promise<LimitResult> {
    if (cost === 0 || this.inner.backend !== "redis") return this.inner.consume(policy, subject, cost);
    const { key, windowMs } = limiterWindow(this.prefix, policy, subject, this.now());
    for (;;) {
      const now = this.now();
      const lease = this.spendable(key, cost, now);
      if (lease) return this.spendFrom(lease, policy, windowMs, cost, now);
      // Requests arriving together while a renewal is on its way share it instead of each renewing.
      const renewal = this.renewals.get(key);
      if (!renewal) break;
      await renewal;
    }
    const lease = this.leases.get(key);
    if (lease) void this.end(lease);
    // Units granted in memory during an outage count before the counter lends any.
    await this.inner.reconcile?.().catch(() => {});
    const acquired = this.acquire(policy, key, windowMs, cost);
    const renewal = acquired.then(
      () => {},
      () => {},
    );
    this.renewals.set(key, renewal);
    try {
      return await acquired;
    } catch {
      // Redis failed between the status check and the reply: the shared limiter's insurance answers.
      return this.inner.consume(policy, subject, cost);
    } finally {
      if (this.renewals.get(key) === renewal) this.renewals.delete(key);
    }
  }

  heldSpend(charges: readonly HeldCharge[]): (() => LimitResult[]) | undefined {
    if (this.inner.backend !== "redis") return undefined;
    const now = this.now();
    const windows = charges.map(({ policy, subject }) => limiterWindow(this.prefix, policy, subject, now));
    // What each counter is asked for, over every charge on it (a request has a few: pairwise).
    for (const { key } of windows) {
      let asked = 0;
      for (let i = 0; i < windows.length; i++) if (windows[i]?.key === key) asked += charges[i]?.cost ?? 0;
      if (asked <= 0 || !this.spendable(key, asked, now)) return undefined;
    }
    return () =>
      charges.map(({ policy, cost }, i) => {
        const { key, windowMs } = windows[i] as { key: string; windowMs: number };
        return this.spendFrom(this.leases.get(key) as Lease, policy, windowMs, cost, now);
      });
  }

  /** The lease of `key` when it is live and holds `cost` units. */
  private spendable(key: string, cost: number, now: number): Lease | undefined {
    const lease = this.leases.get(key);
    return lease && lease.units >= cost && now < lease.expiresAt ? lease : undefined;
  }

  private spendFrom(lease: Lease, policy: Policy, windowMs: number, cost: number, now: number): LimitResult {
    lease.units -= cost;
    lease.used += cost;
    const key = lease.counter;
    if (!this.renewals.has(key)) {
      // Spent faster than leased: the next lease is twice this one, as when one runs out.
      if (lease.units * 3 < lease.used) this.nextWant.set(key, (lease.units + lease.used) * 2);
      if (now >= lease.renewAt || lease.units * 3 < lease.used) this.renewAhead(policy, key, windowMs);
    }
    return limitResult(policy, true, policy.limit - (lease.consumed - lease.units), lease.windowEndsAt - now);
  }

  /**
   * Asks for the next lease while the current one still spends: it replaces the current one when
   * granted (whose unspent units then go back), and requests that find the current one spent meanwhile
   * wait for it as for any renewal. Near the limit none is granted and the current one runs out.
   */
  private renewAhead(policy: Policy, key: string, windowMs: number): void {
    const renewal = (async () => {
      await this.inner.reconcile?.().catch(() => {});
      await this.acquire(policy, key, windowMs, 0);
    })().catch(() => {
      // Redis failed: the current lease goes on, and its end asks again (or the insurance answers).
    });
    this.renewals.set(key, renewal);
    void renewal.finally(() => {
      if (this.renewals.get(key) === renewal) this.renewals.delete(key);
    });
  }

  async refund(policy: Policy, subject: string, cost: number): Promise<void> {
    if (cost <= 0) return;
    const { key } = limiterWindow(this.prefix, policy, subject, this.now());
    const lease = this.leases.get(key);
    // Back into the lease: it goes back to Redis with the rest of its units when the lease ends.
    if (lease && this.now() < lease.expiresAt) {
      lease.units += cost;
      lease.used -= cost;
      return;
    }
    await this.inner.refund(policy, subject, cost);
  }

  async peek(policy: Policy, subject: string): Promise<LimitResult> {
    const result = await this.inner.peek(policy, subject);
    const { key } = limiterWindow(this.prefix, policy, subject, this.now());
    const held = this.leases.get(key)?.units ?? 0;
    // Units this process holds are still this account's to spend.
    return { ...result, remaining: Math.min(policy.limit, result.remaining + held) };
  }

  /** Gives back every unspent unit this process holds (on shutdown, so nothing stays lent out). */
  async release(): Promise<void> {
    await Promise.all([...this.leases.values()].map((lease) => this.end(lease)));
  }

  async close(): Promise<void> {
    await this.release();
    await this.inner.close();
  }

  private async acquire(policy: Policy, key: string, windowMs: number, cost: number): Promise<LimitResult> {
    const want = cost + Math.min(this.maxUnits, this.nextWant.get(key) ?? 1);
    // Another process's lease lapses within its own lease time and the grace; no setting is longer.
    const deadline = this.now() + MAX_LEASE_MS + LAPSE_GRACE_MS + RETRY_MS;
    for (;;) {
      const id = randomBytes(6).toString("base64url");
      const lapseMs = this.options.leaseMs + LAPSE_GRACE_MS;
      const [granted, consumed, ttl, wait] = await this.commands.rapfsLease(
        key,
        `${key}:leases`,
        cost,
        want,
        policy.limit,
        windowMs,
        id,
        lapseMs,
      );
      const now = this.now();
      if (granted >= cost) {
        if (granted > cost) this.hold(key, id, granted - cost, consumed, now, ttl);
        return limitResult(policy, true, policy.limit - consumed + (this.leases.get(key)?.units ?? 0), ttl);
      }
      if (wait <= 0 || now >= deadline) return limitResult(policy, false, policy.limit - consumed, ttl);
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, RETRY_MS)));
    }
  }

  private hold(key: string, id: string, units: number, consumed: number, now: number, ttl: number): void {
    const previous = this.leases.get(key);
    // Two renewals raced: the one held already goes back whole, the newer one is kept.
    if (previous) void this.end(previous);
    const windowEndsAt = now + ttl;
    const expiresAt = Math.min(now + this.options.leaseMs, windowEndsAt - 5);
    const lease: Lease = {
      id,
      counter: key,
      units,
      used: 0,
      consumed,
      expiresAt,
      renewAt: now + (expiresAt - now) * RENEW_AHEAD,
      windowEndsAt,
      timer: undefined as never,
    };
    lease.timer = setTimeout(() => void this.end(lease), Math.max(0, expiresAt - now));
    lease.timer.unref();
    this.leases.set(key, lease);
  }

  /** Ends a lease: its unspent units go back, and the next one is sized by what this one saw used. */
  private async end(lease: Lease): Promise<void> {
    clearTimeout(lease.timer);
    if (this.leases.get(lease.counter) === lease) this.leases.delete(lease.counter);
    const exhausted = lease.units === 0;
    const size = lease.units + lease.used;
    // Sizes of counters gone quiet are forgotten wholesale; a busy one regrows in a few renewals.
    if (this.nextWant.size > 10_000) this.nextWant.clear();
    this.nextWant.set(lease.counter, Math.max(1, exhausted ? size * 2 : lease.used * 2));
    const unused = lease.units;
    lease.units = 0;
    await this.commands
      .rapfsLeaseReturn(lease.counter, `${lease.counter}:leases`, lease.id, unused)
      .catch(() => {});
  }
}
