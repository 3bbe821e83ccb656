import { randomBytes } from "node:crypto";
import type { RedisConnection } from "./redis-client";

// Extends or frees the lock only while it is still ours: a holder whose lease lapsed (a long
// pause) must not extend or delete the next holder's.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export type HeldLock = {
  /** Extends the lease; false when it was lost (it lapsed and another process took it). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
};

/**
 * A lock with a lease in Redis, so one process of a deployment does a piece of work (sync one
 * view version into the online store) while the others skip it. A holder that dies frees it when
 * its lease lapses; a live one renews it while it works.
 */
export class SyncLocks {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly leaseMs = 30_000,
  ) {}

  /** Takes the lock named `name`, or undefined when another process holds it. */
  async acquire(name: string): Promise<HeldLock | undefined> {
    const key = `${this.prefix}:lock:${name}`;
    const token = randomBytes(12).toString("base64url");
    const taken = await this.redis.set(key, token, "PX", this.leaseMs, "NX");
    if (taken !== "OK") return undefined;
    return {
      renew: async () => (await this.redis.eval(RENEW, 1, key, token, this.leaseMs)) === 1,
      release: async () => {
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  /** Runs `work` under the lock, renewing the lease meanwhile; undefined when another holds it. */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<{ result: T } | undefined> {
    const lock = await this.acquire(name);
    if (!lock) return undefined;
    const renewal = setInterval(() => void lock.renew().catch(() => false), this.leaseMs / 3);
    renewal.unref();
    try {
      return { result: await work() };
    } finally {
      clearInterval(renewal);
      await lock.release().catch(() => {});
    }
  }
}
