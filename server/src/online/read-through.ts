import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import { assertViewKey } from "./keys";
import {
  ABSENT,
  absentRow,
  type FallbackLoader,
  type OnlineRow,
  type OnlineStore,
  readViews,
  type ViewRead,
  type WriteOptions,
} from "./types";

export type ReadThroughOptions = {
  /** The fast layer: Redis, or the in-process LRU when there is no Redis. */
  primary: OnlineStore;
  /** `redis` or `memory`; the metrics label of the primary. */
  layer: string;
  fallback: FallbackLoader;
  metrics: Metrics;
  logger: Logger;
  /** After a primary failure, reads skip it for this long before trying it again. */
  retryAfterMs?: number;
  /**
   * How long an id the fallback did not have is remembered as absent in the primary (default
   * 60 s): repeated lookups of missing rows cost no Postgres query, and a row materialized
   * without a sync still shows up within this time.
   */
  absentTtlMs?: number;
  now?: () => number;
};

/**
 * Reads from the primary and loads the rest (misses, or everything while the primary is down)
 * with the fallback, writing loaded rows back. A primary failure never fails a read: it is
 * counted, logged once per outage, and the primary is retried after `retryAfterMs`.
 */
export class ReadThroughStore implements OnlineStore {
  private readonly primary: OnlineStore;
  private readonly fallback: FallbackLoader;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly layer: string;
  private readonly retryAfterMs: number;
  private readonly absentTtlMs: number;
  private readonly now: () => number;
  private downSince: number | undefined;
  private lastFailure = 0;

  constructor(options: ReadThroughOptions) {
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.layer = options.layer;
    this.retryAfterMs = options.retryAfterMs ?? 1_000;
    this.absentTtlMs = options.absentTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.metrics.onlineStoreUp.set(1);
  }

  /** True while the primary is considered down (reads go straight to the fallback). */
  get degraded(): boolean {
    return this.downSince !== undefined;
  }

  async read(viewKey: string, ids: readonly string[]): Promise<Map<string, OnlineRow>> {
    const [found] = await this.readMany([{ viewKey, ids }]);
    return found ?? new Map();
  }

  /** Several view versions in one primary round trip (when it can), then one fallback load per view. */
  async readMany(requests: readonly ViewRead[]): Promise<Map<string, OnlineRow>[]> {
    // A bad key is the caller's bug, not an outage: throw it before the primary could.
    for (const r of requests) assertViewKey(r.viewKey);
    const uniques = requests.map((r) => (r.ids.length === 1 ? (r.ids as string[]) : [...new Set(r.ids)]));
    const asked = uniques.flatMap((ids, i) => (ids.length > 0 ? [i] : []));
    const results = uniques.map(() => new Map<string, OnlineRow>());
    if (asked.length === 0) return results;
    let found: Map<string, OnlineRow>[] | undefined;
    if (this.shouldTryPrimary()) {
      try {
        found = await readViews(
          this.primary,
          asked.map((i) => ({ viewKey: (requests[i] as ViewRead).viewKey, ids: uniques[i] as string[] })),
        );
        this.markUp();
      } catch (error) {
        this.markDown(error);
      }
    }
    const completing: Promise<void>[] = [];
    asked.forEach((i, j) => {
      const viewKey = (requests[i] as ViewRead).viewKey;
      const have = this.count(viewKey, uniques[i] as string[], found?.[j]);
      // A view the primary answered whole needs no promise; the rest wait for the fallback.
      if (have) results[i] = have;
      else
        completing.push(
          this.complete(viewKey, uniques[i] as string[], found?.[j]).then((rows) => {
            results[i] = rows;
          }),
        );
    });
    await Promise.all(completing);
    return results;
  }

  /**
   * Counts the primary's hits and misses; returns its rows when it had every one, all present
   * (nothing to load), or undefined when `complete` has to load some.
   */
  private count(
    viewKey: string,
    unique: string[],
    found: Map<string, OnlineRow> | undefined,
  ): Map<string, OnlineRow> | undefined {
    if (!found) return undefined;
    const tally = this.metrics.cacheLookups(this.layer, viewKey);
    tally.hit += found.size;
    tally.miss += unique.length - found.size;
    if (found.size < unique.length) return undefined;
    for (const row of found.values()) if (row.eventTimestamp === ABSENT) return undefined;
    return found;
  }

  /** Loads what the primary did not have (everything, if it failed). */
  private async complete(
    viewKey: string,
    unique: string[],
    found: Map<string, OnlineRow> | undefined,
  ): Promise<Map<string, OnlineRow>> {
    const primaryAnswered = found !== undefined;
    const have = found ?? new Map<string, OnlineRow>();
    const knownAbsent = new Set<string>();
    for (const [id, row] of have) {
      if (row.eventTimestamp !== ABSENT) continue;
      have.delete(id);
      knownAbsent.add(id);
    }
    const missing = primaryAnswered ? unique.filter((id) => !have.has(id) && !knownAbsent.has(id)) : unique;
    if (missing.length === 0) return have;

    this.metrics.onlineFallbacks.inc({ view: viewKey, reason: primaryAnswered ? "miss" : "unavailable" });
    const loaded = await this.fallback(viewKey, missing);
    if (primaryAnswered) {
      const absent = missing.filter((id) => !loaded.has(id)).map(absentRow);
      await this.backfill(viewKey, [...loaded.values()], absent);
    }
    if (loaded.size === 0) return have;
    const merged = new Map<string, OnlineRow>();
    for (const id of unique) {
      const row = have.get(id) ?? loaded.get(id);
      if (row) merged.set(id, row);
    }
    return merged;
  }

  /** Writes go to the primary only, and its failures reach the caller (the materializer decides). */
  write(viewKey: string, rows: readonly OnlineRow[], options?: WriteOptions): Promise<void> {
    return this.primary.write(viewKey, rows, options);
  }

  deleteView(viewKey: string): Promise<number> {
    return this.primary.deleteView(viewKey);
  }

  async ping(): Promise<void> {
    await this.primary.ping();
    this.markUp();
  }

  close(): Promise<void> {
    return this.primary.close();
  }

  private async backfill(viewKey: string, rows: OnlineRow[], absent: OnlineRow[]): Promise<void> {
    try {
      if (rows.length > 0) await this.primary.write(viewKey, rows, { ifAbsent: true });
      if (absent.length > 0)
        await this.primary.write(viewKey, absent, { ifAbsent: true, ttlMs: this.absentTtlMs });
    } catch (error) {
      this.markDown(error);
    }
  }

  private shouldTryPrimary(): boolean {
    return this.downSince === undefined || this.now() - this.lastFailure >= this.retryAfterMs;
  }

  private markDown(error: unknown): void {
    this.lastFailure = this.now();
    if (this.downSince !== undefined) return;
    this.downSince = this.lastFailure;
    this.metrics.onlineStoreUp.set(0);
    this.logger.warn("online store unavailable; serving reads from the fallback", {
      layer: this.layer,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  private markUp(): void {
    if (this.downSince === undefined) return;
    const downForMs = this.now() - this.downSince;
    this.downSince = undefined;
    this.metrics.onlineStoreUp.set(1);
    this.logger.info("online store recovered", { layer: this.layer, down_for_ms: downForMs });
  }
}
