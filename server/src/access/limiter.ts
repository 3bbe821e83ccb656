import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { CircuitBreaker } from "../online/circuit-breaker";
import { duplicateRedis, type RedisConnection } from "../online/redis-client";
import type { Policy } from "./tiers";
import { DAY_MS, utcDay } from "./usage";

/** One policy's state after a spend: what the RateLimit headers and Retry-After are made of. */
export type LimitResult = {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
  policy: Policy;
};

/** A policy's state for the headers: what is left (clamped to the policy) and when it resets. */
export function limitResult(
  policy: Policy,
  allowed: boolean,
  remaining: number,
  msBeforeNext: number,
): LimitResult {
  return {
    allowed,
    limit: policy.limit,
    remaining: Math.min(policy.limit, Math.max(0, remaining)),
    resetSeconds: Math.max(0, Math.ceil(msBeforeNext / 1000)),
    policy,
  };
}

/** One spend of `heldSpend`. */
export type HeldCharge = { policy: Policy; subject: string; cost: number };

export type LimiterBackend = "memory" | "redis" | "insurance";

export interface Limiter {
  /**
   * Spends `cost` units of a policy for a subject, atomically across processes when shared.
   * A refused spend is refunded, so a batch refused for lack of quota costs nothing.
   */
  consume(policy: Policy, subject: string, cost?: number): Promise<LimitResult>;
  /**
   * The spend of every charge from units this process already holds, checked now: a function
   * that spends them all, to be called before anything awaits (the units are then still held).
   * Undefined when one is not held (consume then decides, with Redis). Only a leasing limiter holds units.
   */
  heldSpend?(charges: readonly HeldCharge[]): (() => LimitResult[]) | undefined;
  /** Gives back units spent earlier (a later check in the same request refused it). */
  refund(policy: Policy, subject: string, cost: number): Promise<void>;
  /** The current window without spending anything. */
  peek(policy: Policy, subject: string): Promise<LimitResult>;
  /** Where decisions come from right now; "insurance" means Redis is down and limits are per process. */
  readonly backend: LimiterBackend;
  /** Units taken from the shared counters ahead of use and not spent yet (leases.ts). */
  readonly heldUnits: number;
  /**
   * Adds what the insurance limiter granted while Redis was away to Redis's counts (windows still
   * open); spends on Redis do it first by themselves, a limiter sharing the counters calls it.
   */
  reconcile?(): Promise<void>;
  close(): Promise<void>;
}

export type LimiterOptions = {
  /** A connection for the limiter alone; see createLimiterRedis for the options it needs. */
  redis?: RedisConnection | undefined;
  /** Namespaces the Redis keys per deployment (and per test). */
  prefix: string;
  /**
   * The circuits of `redis`: while a key's node does not answer, its spends go straight to the
   * insurance limiter instead of waiting for a timeout each.
   */
  breaker?: CircuitBreaker | undefined;
  now?: () => Date;
};

/** A policy's shared limiter (none without Redis) and the in-process one that insures it. */
type Limiters = { shared?: RateLimiterAbstract; memory: RateLimiterMemory };
type Resolved = {
  limiters: Limiters;
  key: string;
  redisKey: string;
  options: { customDuration?: number };
};

/**
 * rate-limiter-flexible underneath: RateLimiterRedis (one Lua script per spend, so concurrent
 * processes never over-admit) insured by a RateLimiterMemory that answers while Redis is down,
 * or RateLimiterMemory alone without Redis.
 */
export class FlexibleLimiter implements Limiter {
  private readonly limiters = new Map<string, Limiters>();
  /** Units the insurance limiter granted per Redis key while Redis was away, with their window's end. */
  private readonly unsynced = new Map<string, { resolved: Resolved; units: number; until: number }>();
  private reconciling: Promise<void> | undefined;
  private reconciler: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? (() => new Date());
    // ioredis copies a client's scripts into each auto-pipeline when it makes one. A script defined
    // later is missing from a pipeline already waiting to be sent: a command put into it threw, and
    // ioredis's exec callback then threw out of the event loop ("results[i] is not iterable"),
    // killing the process. rate-limiter-flexible defines its script when a RateLimiterRedis is made,
    // and policies' limiters are made on first use (a free key's first request, beside leased spends
    // on the same connection), so one is made now, before any command is sent.
    if (options.redis) new RateLimiterRedis({ storeClient: options.redis, points: 1, duration: 1 });
  }

  readonly heldUnits = 0;

  get backend(): LimiterBackend {
    const { redis, breaker } = this.options;
    if (!redis) return "memory";
    return redis.status === "ready" && !breaker?.open.length ? "redis" : "insurance";
  }

  async consume(policy: Policy, subject: string, cost = 1): Promise<LimitResult> {
    if (!Number.isInteger(cost) || cost < 0)
      throw new RangeError(`cost must be a non-negative integer, got ${cost}`);
    if (cost === 0) return this.peek(policy, subject);
    const resolved = this.resolve(policy, subject);
    const { key, options } = resolved;
    const spend = (limiter: RateLimiterAbstract) => limiter.consume(key, cost, options);
    try {
      const res = await this.insured(resolved, spend, cost);
      return limitResult(policy, true, res.remainingPoints, res.msBeforeNext);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      await this.insured(resolved, (limiter) => limiter.reward(key, cost, options)).catch(() => {});
      const spentBefore = rejection.consumedPoints - cost;
      return limitResult(policy, false, policy.limit - spentBefore, rejection.msBeforeNext);
    }
  }

  async refund(policy: Policy, subject: string, cost: number): Promise<void> {
    if (cost <= 0) return;
    const resolved = this.resolve(policy, subject);
    const { key, options } = resolved;
    await this.insured(resolved, (limiter) => limiter.reward(key, cost, options), -cost).catch(() => {});
  }

  async peek(policy: Policy, subject: string): Promise<LimitResult> {
    const resolved = this.resolve(policy, subject);
    const res = await this.insured(resolved, (limiter) => limiter.get(resolved.key)).catch(() => null);
    if (!res)
      return limitResult(
        policy,
        true,
        policy.limit,
        (resolved.options.customDuration ?? policy.windowSeconds) * 1000,
      );
    return limitResult(policy, true, res.remainingPoints, res.msBeforeNext);
  }

  async close(): Promise<void> {
    clearInterval(this.reconciler);
    this.limiters.clear();
  }

  /**
   * Runs `operation` on the shared limiter through its node's circuit, and on the in-process
   * one when there is no Redis, the node's circuit is open, or Redis fails (not a refusal:
   * that is an answer, RateLimiterRes, and reaches the caller).
   */
  private async insured<T>(
    resolved: Resolved,
    operation: (limiter: RateLimiterAbstract) => Promise<T>,
    spends = 0,
  ): Promise<T> {
    const { shared, memory } = resolved.limiters;
    const { breaker } = this.options;
    const inMemory = async () => {
      const result = await operation(memory);
      if (shared && spends !== 0) this.remember(resolved, spends, result);
      return result;
    };
    if (!shared || breaker?.isOpen(resolved.redisKey)) return inMemory();
    try {
      return await this.onRedis(resolved.redisKey, async () => {
        await this.reconcile();
        return operation(shared);
      });
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      return inMemory();
    }
  }

  private onRedis<T>(redisKey: string, command: () => Promise<T>): Promise<T> {
    const { breaker } = this.options;
    return breaker ? breaker.run(redisKey, command) : command();
  }

  /** Counts units the insurance limiter granted, to add to Redis's count when it answers again. */
  private remember(resolved: Resolved, spends: number, result: unknown): void {
    const entry = this.unsynced.get(resolved.redisKey) ?? { resolved, units: 0, until: 0 };
    entry.units = Math.max(0, entry.units + spends);
    const msBeforeNext = (result as RateLimiterRes | undefined)?.msBeforeNext;
    if (msBeforeNext !== undefined) entry.until = Date.now() + msBeforeNext;
    this.unsynced.set(resolved.redisKey, entry);
    this.reconcileSoon();
  }

  /** A process with no traffic after the outage reconciles too: every second until it is done. */
  private reconcileSoon(): void {
    if (this.reconciler) return;
    this.reconciler = setInterval(() => {
      const [first] = this.unsynced.keys();
      if (first === undefined) {
        clearInterval(this.reconciler);
        this.reconciler = undefined;
        return;
      }
      if (!this.options.breaker?.isOpen(first)) this.onRedis(first, () => this.reconcile()).catch(() => {});
    }, 1_000);
    this.reconciler.unref();
  }

  /**
   * Adds what each process granted while Redis could not answer to Redis's count for windows
   * still open, before the first decision Redis makes again: otherwise a window's units spent
   * during the outage are granted a second time (60 spent in the outage, 30 more the same minute).
   */
  reconcile(): Promise<void> {
    if (this.unsynced.size === 0) return Promise.resolve();
    this.reconciling ??= (async () => {
      try {
        for (const [redisKey, { resolved, units, until }] of [...this.unsynced]) {
          const { shared } = resolved.limiters;
          if (shared && units > 0 && until > Date.now())
            await shared.penalty(resolved.key, units, resolved.options);
          this.unsynced.delete(redisKey);
        }
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  private resolve(policy: Policy, subject: string): Resolved {
    const limiters = this.limitersFor(policy);
    const window = limiterWindow(this.options.prefix, policy, subject, this.now());
    const options = policy.window === "fixed" ? {} : { customDuration: window.windowMs / 1000 };
    return { limiters, key: window.subjectKey, redisKey: window.key, options };
  }

  private limitersFor(policy: Policy): Limiters {
    const id = `${policy.name}:${policy.limit}:${policy.windowSeconds}`;
    let limiters = this.limiters.get(id);
    if (limiters) return limiters;
    // Keyed by policy name only, so an account whose tier changes keeps its spent units.
    const base = {
      points: policy.limit,
      duration: policy.windowSeconds,
      keyPrefix: policyKeyPrefix(this.options.prefix, policy),
    };
    const memory = new RateLimiterMemory(base);
    const shared = this.options.redis
      ? new RateLimiterRedis({
          ...base,
          storeClient: this.options.redis,
          // Not "ready" (reconnecting) rejects at once, and `insured` turns to the memory limiter.
          rejectIfRedisNotReady: true,
        })
      : undefined;
    limiters = shared ? { shared, memory } : { memory };
    this.limiters.set(id, limiters);
    return limiters;
  }
}

const policyKeyPrefix = (prefix: string, policy: Policy) => `${prefix}:rl:${policy.name}`;

/**
 * Where a policy's current window for a subject is counted: the Redis key (as RateLimiterRedis
 * names it) and how long the window has left when it starts now. Daily quotas reset at UTC
 * midnight, the same days usage history is kept in.
 */
export function limiterWindow(
  prefix: string,
  policy: Policy,
  subject: string,
  now: Date | number,
): { key: string; subjectKey: string; windowMs: number } {
  const keyPrefix = policyKeyPrefix(prefix, policy);
  if (policy.window === "fixed") {
    return { key: `${keyPrefix}:${subject}`, subjectKey: subject, windowMs: policy.windowSeconds * 1000 };
  }
  const ms = typeof now === "number" ? now : now.getTime();
  const midnight = (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
  const windowMs = Math.max(1, Math.ceil((midnight - ms) / 1000)) * 1000;
  const subjectKey = `${subject}:${utcDay(ms)}`;
  return { key: `${keyPrefix}:${subjectKey}`, subjectKey, windowMs };
}

/**
 * A limiter connection derived from the app's Redis client: commands fail fast instead of
 * queueing during an outage, so the insurance limiter answers within `commandTimeoutMs`.
 */
export function createLimiterRedis<C extends RedisConnection>(redis: C, commandTimeoutMs = 250): C {
  const connection = duplicateRedis(redis, {
    lazyConnect: false,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    // A request's policies (requests, rows) are charged in the same tick: one write and one round
    // trip for both, and (profiled) about a third less CPU in the access layer than a write each.
    enableAutoPipelining: true,
  });
  // Outages are expected here and show as `backend === "insurance"`, not as unhandled errors.
  connection.on("error", () => {});
  return connection;
}

/** Waits (bounded) for the first connection, so a starting process shares limits from its first request. */
export async function whenConnected(redis: RedisConnection, timeoutMs = 2_000): Promise<boolean> {
  if (redis.status === "ready") return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on("ready", onReady);
  });
}
