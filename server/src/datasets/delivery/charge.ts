import type { RedisConnection } from "../../online/redis-client";
import { digestOf, entriesJson } from "../../values/canonical-json";

/**
 * What a download spends when it starts: one download, one row per row it holds (none for a
 * public dataset as defined) and the first byte; the rest of its bytes are settled once sent.
 */
export type DownloadCost = { downloads: number; rows: number; bytes?: number };

/**
 * The request's Payer (usecases/payer.ts) as the datasets spend through it: every spend of a
 * download or a card goes through the one object that also paid for the request.
 */
export interface DownloadPayer {
  readonly principal: { readonly accountId: string };
  /** Spends quota for the caller; throws (e.g. the 429 problem) when the quota does not cover it. */
  spend(cost: DownloadCost): Promise<void>;
  /** Gives back what a spend took, for work refused before it began or never delivered. */
  refund(cost: DownloadCost): Promise<void>;
  /** What is left of today's rows, spending nothing (Infinity when the tier has no row quota). */
  rowsLeft(): Promise<number>;
}

/**
 * Remembers which downloads were charged. `claim` is atomic across processes for shared
 * ledgers, so two identical requests racing each other are charged once.
 */
export interface ChargeLedger {
  /** True if the key was not yet claimed (and now is, for `ttlSeconds`). */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** How the datasets charge quota once per request a day; the request's Payer spends. */
export interface DownloadCharger {
  /** Charges `cost` once per key; `charged` is false for a repeat of an already charged download. */
  charge(key: string, cost: DownloadCost, payer: Pick<DownloadPayer, "spend">): Promise<{ charged: boolean }>;
  /** Forgets a charge, so the next attempt is charged again (its later part was refused). */
  release(key: string): Promise<void>;
}

const DAY_SECONDS = 86_400;

/**
 * The charge key of a request: the caller, what was asked for (dataset, options, format — not
 * the data version, so a retry after a re-materialization is still the same download) and the
 * UTC day, the window the download and row quotas count in.
 */
export function chargeKey(subject: string, request: Record<string, unknown>, now = new Date()): string {
  return digestOf(subject, now.toISOString().slice(0, 10), entriesJson(request));
}

export class LedgerCharger implements DownloadCharger {
  constructor(
    private readonly ledger: ChargeLedger,
    private readonly ttlSeconds = DAY_SECONDS,
  ) {}

  async charge(
    key: string,
    cost: DownloadCost,
    payer: Pick<DownloadPayer, "spend">,
  ): Promise<{ charged: boolean }> {
    if (!(await this.ledger.claim(key, this.ttlSeconds))) return { charged: false };
    try {
      await payer.spend(cost);
      return { charged: true };
    } catch (error) {
      // Refused: the next attempt must be charged (and refused) again, not waved through.
      await this.ledger.release(key);
      throw error;
    }
  }

  release(key: string): Promise<void> {
    return this.ledger.release(key);
  }
}

/** The embedded default: one process, so a Map with expiry times is the whole ledger. */
export class MemoryChargeLedger implements ChargeLedger {
  private readonly entries = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    const expires = this.entries.get(key);
    if (expires !== undefined && expires > now) return false;
    if (this.entries.size > 10_000) this.sweep(now);
    this.entries.set(key, now + ttlSeconds * 1000);
    return true;
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, expires] of this.entries) if (expires <= now) this.entries.delete(key);
  }
}

/**
 * Shared by every server process: SET NX EX claims a key atomically. While Redis is down the
 * process's own ledger answers (a retry landing on another process may then be charged again),
 * the same trade the access limiter's insurance makes.
 */
export class RedisChargeLedger implements ChargeLedger {
  private readonly local = new MemoryChargeLedger();
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix = "rapfs",
  ) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    try {
      const set = await this.redis.set(this.key(key), "1", "EX", ttlSeconds, "NX");
      return set === "OK";
    } catch {
      return this.local.claim(key, ttlSeconds);
    }
  }

  async release(key: string): Promise<void> {
    await this.local.release(key);
    await this.redis.del(this.key(key)).catch(() => {});
  }

  private key(key: string): string {
    return `${this.prefix}:download-charge:${key}`;
  }
}
