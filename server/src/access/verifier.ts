import { isConnectionError } from "../db/connection-errors";
import type { Logger } from "../log/logger";
import { hashKey, isWellFormedKey } from "./api-key-format";
import type { AuthFailureReason } from "./errors";
import type { Invalidation, InvalidationBus } from "./invalidation";
import type { KeyLookup, KeyStore } from "./key-store";
import type { LastUsedRecorder } from "./last-used";
import type { Scope } from "./scopes";

export type Principal = {
  accountId: string;
  keyId: string;
  tier: string;
  scopes: readonly Scope[];
  /** The key's own expiry: keys it creates expire no later. */
  expiresAt: Date | null;
  /** In a rotation's grace period: it reads, but manages no keys. */
  rotating: boolean;
};
export type Verification = { ok: true; principal: Principal } | { ok: false; reason: AuthFailureReason };

/** The presented key from `Authorization: Bearer <key>` or else `x-api-key`. */
export function presentedKey(header: (name: string) => string | null | undefined): string | undefined {
  const authorization = header("authorization");
  const bearer = authorization == null ? null : /^Bearer[ \t]+(\S*)[ \t]*$/i.exec(authorization);
  if (bearer) return bearer[1] ?? "";
  const apiKey = header("x-api-key");
  if (apiKey != null) return apiKey.trim();
  // Another scheme is passed on whole so it fails as malformed rather than missing.
  return authorization ?? undefined;
}

type CacheEntry = { lookup: KeyLookup | null; cachedAt: number };

export type VerifierOptions = {
  /** How long a verified (or unknown) key is trusted without asking the database. */
  ttlMs?: number;
  /**
   * How long past `ttlMs` a key it verified is still trusted while the database cannot be
   * reached (default 15 min): a PostgreSQL outage must not refuse the lookups Redis answers.
   * Revocations still arrive on the invalidation bus and drop the entry.
   */
  staleIfUnreachableMs?: number;
  maxEntries?: number;
  lastUsed?: LastUsedRecorder;
  clock?: () => number;
  logger?: Logger;
};

/**
 * Verifies presented keys with a short in-process cache. Revocation, rotation and account
 * changes arrive on the invalidation bus (Redis pub/sub across processes); the TTL bounds
 * staleness when the bus is down.
 */
export class KeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<KeyLookup | null>>();
  // Bumped by every invalidation, so a lookup that raced one is not cached stale.
  private generation = 0;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  /** The last key lookup failed to reach the database (until one reaches it). */
  private unreachable = false;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly keys: KeyStore,
    bus: InvalidationBus,
    private readonly options: VerifierOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.staleMs = options.staleIfUnreachableMs ?? 15 * 60_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.clock = options.clock ?? Date.now;
    this.unsubscribe = bus.subscribe((event) => this.invalidate(event));
  }

  async verify(presented: string | undefined): Promise<Verification> {
    if (presented === undefined || presented === "") return { ok: false, reason: "missing" };
    if (!isWellFormedKey(presented)) return this.refuse("malformed");
    const hash = hashKey(presented);
    return this.judge(await this.lookup(hash));
  }

  /**
   * A valid key's verification from the cache alone, as `verify` would give it: undefined when
   * the key is not a valid one cached within the TTL (verify then decides, asking the database).
   */
  verifyCached(presented: string | undefined): Verification | undefined {
    if (!presented || !isWellFormedKey(presented)) return undefined;
    const cached = this.cache.get(hashKey(presented));
    const now = this.clock();
    if (!cached?.lookup || now - cached.cachedAt >= this.ttlMs || refusalOf(cached.lookup, now))
      return undefined;
    return this.accept(cached.lookup, now);
  }

  private judge(lookup: KeyLookup | null): Verification {
    const now = this.clock();
    if (!lookup) return this.refuse("unknown");
    const refusal = refusalOf(lookup, now);
    return refusal ? this.refuse(refusal, lookup) : this.accept(lookup, now);
  }

  /** A key that is not refused: its use is noted, and it is the request's principal. */
  private accept(lookup: KeyLookup, now: number): Verification {
    this.options.lastUsed?.touch(lookup.keyId, now);
    return {
      ok: true,
      principal: {
        accountId: lookup.accountId,
        keyId: lookup.keyId,
        tier: lookup.tier,
        scopes: lookup.scopes,
        expiresAt: lookup.expiresAt,
        rotating: lookup.rotating,
      },
    };
  }

  /** Whether `presented` is a valid key this process verified recently (answered with no lookup). */
  recognizes(presented: string | undefined): boolean {
    if (!presented || !isWellFormedKey(presented)) return false;
    const cached = this.cache.get(hashKey(presented));
    return cached?.lookup != null && this.clock() - cached.cachedAt < this.ttlMs;
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  close(): void {
    this.unsubscribe();
    this.cache.clear();
  }

  /** Logs ids only: the presented key, even a wrong one, may be someone's real key mistyped. */
  private refuse(reason: AuthFailureReason, lookup?: KeyLookup): Verification {
    this.options.logger?.debug("api key refused", {
      reason,
      ...(lookup ? { key_id: lookup.keyId, account_id: lookup.accountId } : {}),
    });
    return { ok: false, reason };
  }

  private async lookup(hash: string): Promise<KeyLookup | null> {
    const cached = this.cache.get(hash);
    const age = cached ? this.clock() - cached.cachedAt : Number.POSITIVE_INFINITY;
    if (cached && age < this.ttlMs) return cached.lookup;
    // While the database is unreachable, a key verified earlier answers at once; the lookup that
    // refreshes it runs behind the request.
    const stale = cached?.lookup && age < this.ttlMs + this.staleMs ? cached.lookup : undefined;
    const refresh = this.refresh(hash);
    if (stale && this.unreachable) {
      refresh.catch(() => {});
      return stale;
    }
    try {
      return await refresh;
    } catch (error) {
      if (!stale || !isConnectionError(error) || this.cache.get(hash) !== cached) throw error;
      return stale;
    }
  }

  /** The database's answer for `hash`, one lookup at a time per key, remembered. */
  private refresh(hash: string): Promise<KeyLookup | null> {
    const pending = this.inflight.get(hash);
    if (pending) return pending;
    const generation = this.generation;
    const promise: Promise<KeyLookup | null> = this.keys
      .lookup(hash)
      .then(
        (lookup) => {
          this.unreachable = false;
          if (generation === this.generation) this.remember(hash, lookup);
          return lookup;
        },
        (error: unknown) => {
          if (isConnectionError(error) && !this.unreachable) {
            this.unreachable = true;
            this.options.logger?.warn(
              "database unreachable; keys verified earlier are trusted from the cache",
              {
                error: error instanceof Error ? error.message : String(error),
              },
            );
          }
          throw error;
        },
      )
      .finally(() => {
        if (this.inflight.get(hash) === promise) this.inflight.delete(hash);
      });
    this.inflight.set(hash, promise);
    return promise;
  }

  private remember(hash: string, lookup: KeyLookup | null): void {
    this.cache.delete(hash);
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(hash, { lookup, cachedAt: this.clock() });
  }

  private invalidate(event: Invalidation): void {
    this.generation++;
    this.inflight.clear();
    if (event.kind === "all") {
      this.cache.clear();
      return;
    }
    for (const [hash, { lookup }] of this.cache) {
      if (!lookup) continue;
      if (event.kind === "key" ? lookup.keyId === event.id : lookup.accountId === event.id) {
        this.cache.delete(hash);
      }
    }
  }
}

/** Why a key found in the database is refused now, if it is. */
function refusalOf(lookup: KeyLookup, now: number): AuthFailureReason | undefined {
  if (lookup.revokedAt) return "revoked";
  if (lookup.expiresAt && lookup.expiresAt.getTime() <= now) return "expired";
  if (lookup.disabledAt) return "disabled";
  return undefined;
}
