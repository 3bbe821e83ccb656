import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import { MemoryOnlineStore } from "./memory-store";
import { assertViewKey } from "./redis-keys";
import {
  ABSENT,
  absentRow,
  type CompleteCopy,
  type FallbackLoader,
  type OnlineRow,
  type OnlineStore,
  type RowsWatch,
  type ViewRead,
  type WatchedRow,
  type WriteOptions,
} from "./types";

const NONE: readonly number[] = [];

export type ReadThroughOptions = {
  /** The fast layer: Redis, or the in-process LRU when there is no Redis. */
  primary: OnlineStore;
  /** `redis` or `memory`; the metrics label of the primary. */
  layer: string;
  fallback: FallbackLoader;
  metrics: Metrics;
  logger: Logger;
  /**
   * How long an id the fallback did not have is remembered as absent in the primary (default
   * 60 s): repeated lookups of missing rows cost no Postgres query, and a row materialized
   * without a sync still shows up within this time.
   */
  absentTtlMs?: number;
  /**
   * Rows loaded from the fallback while the primary could not answer are kept in this process
   * for `ttlMs` (bounded by `maxRows`), so an outage costs one Postgres read per row and few
   * seconds of staleness, not a query per lookup. Off without it.
   */
  outageCache?: { maxRows: number; ttlMs: number };
  /**
   * View versions whose rows in the primary may be older than the fallback's (a sync of their
   * latest run failed): read from the fallback, as during an outage, until this says otherwise.
   */
  unsynced?: (viewKey: string) => boolean;
};

/**
 * Reads from the primary and loads the rest (misses, or everything the primary could not
 * answer) with the fallback, writing loaded rows back. A primary failure never fails a read:
 * it is counted as a fallback. Knowing when a primary is down, and not waiting on it meanwhile,
 * is the primary's own business (Redis: its circuit breaker), so every read asks it.
 */
export class ReadThroughStore implements OnlineStore {
  private readonly primary: OnlineStore;
  private readonly fallback: FallbackLoader;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly layer: string;
  private readonly absentTtlMs: number;
  private readonly outage: { rows: MemoryOnlineStore; ttlMs: number } | undefined;
  private readonly unsynced: (viewKey: string) => boolean;

  constructor(options: ReadThroughOptions) {
    this.unsynced = options.unsynced ?? (() => false);
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.layer = options.layer;
    this.absentTtlMs = options.absentTtlMs ?? 60_000;
    const cache = options.outageCache;
    this.outage = cache
      ? { rows: new MemoryOnlineStore({ maxRows: cache.maxRows }), ttlMs: cache.ttlMs }
      : undefined;
  }

  /** True while the primary reports part of itself down (those reads go to the fallback). */
  get degraded(): boolean {
    return this.primary.degraded;
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
    const results = uniques.map(() => new Map<string, OnlineRow>());
    const wanted = uniques.flatMap((ids, i) => (ids.length > 0 ? [i] : []));
    // A view whose rows in the primary may be older than the fallback's is not asked of it.
    const isUnsynced = (i: number) => this.unsynced((requests[i] as ViewRead).viewKey);
    // Nothing allocated for it on the usual read, where no view is behind.
    const anyBehind = wanted.some(isUnsynced);
    const bypassed = anyBehind ? wanted.filter(isUnsynced) : NONE;
    const asked = anyBehind ? wanted.filter((i) => !isUnsynced(i)) : wanted;
    const found =
      asked.length === 0
        ? []
        : await this.readPrimary(
            asked.map((i) => ({ viewKey: (requests[i] as ViewRead).viewKey, ids: uniques[i] as string[] })),
          );
    const completing = bypassed.map((i) =>
      this.completeUnanswered((requests[i] as ViewRead).viewKey, uniques[i] as string[]).then((rows) => {
        results[i] = rows;
      }),
    );
    asked.forEach((i, j) => {
      const viewKey = (requests[i] as ViewRead).viewKey;
      const have = this.count(viewKey, uniques[i] as string[], found[j]);
      // A view the primary answered whole needs no promise; the rest wait for the fallback.
      if (have) results[i] = have;
      else
        completing.push(
          this.complete(viewKey, uniques[i] as string[], found[j]).then((rows) => {
            results[i] = rows;
          }),
        );
    });
    await Promise.all(completing);
    return results;
  }

  /**
   * The primary's rows per read, undefined for a read it did not answer. When a multi-view read
   * fails, the views are asked one by one: on Redis Cluster they may live on different nodes,
   * and one node's outage must not send the others' views to the fallback.
   */
  private async readPrimary(reads: ViewRead[]): Promise<(Map<string, OnlineRow> | undefined)[]> {
    try {
      return await this.primary.readMany(reads);
    } catch (error) {
      this.logger.debug("online store read failed; reading from the fallback", {
        layer: this.layer,
        error: error instanceof Error ? error.message : String(error),
      });
      if (reads.length === 1) return [undefined];
      return Promise.all(reads.map((r) => this.primary.read(r.viewKey, r.ids).catch(() => undefined)));
    }
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

  /** Loads what the primary did not have (everything, if it did not answer). */
  private async complete(
    viewKey: string,
    unique: string[],
    found: Map<string, OnlineRow> | undefined,
  ): Promise<Map<string, OnlineRow>> {
    if (!found) return this.completeUnanswered(viewKey, unique);
    const have = found;
    const knownAbsent = new Set<string>();
    for (const [id, row] of have) {
      if (row.eventTimestamp !== ABSENT) continue;
      have.delete(id);
      knownAbsent.add(id);
    }
    const unknown = unique.filter((id) => !have.has(id) && !knownAbsent.has(id));
    if (unknown.length === 0) return have;
    // A version the primary holds whole has no row for these ids anywhere: Postgres has none either.
    const vouched = await this.vouchedAbsent(viewKey, unknown);
    const missing = vouched.size === 0 ? unknown : unknown.filter((id) => !vouched.has(id));
    if (missing.length === 0) return have;

    this.metrics.onlineFallbacks.inc({ view: viewKey, reason: "miss" });
    const loaded = await this.fallback(viewKey, missing);
    const absent = missing.filter((id) => !loaded.has(id)).map(absentRow);
    await this.backfill(viewKey, [...loaded.values()], absent);
    if (loaded.size === 0) return have;
    const merged = new Map<string, OnlineRow>();
    for (const id of unique) {
      const row = have.get(id) ?? loaded.get(id);
      if (row) merged.set(id, row);
    }
    return merged;
  }

  /** Everything from the fallback, or from what the outage cache kept of it. */
  private async completeUnanswered(viewKey: string, unique: string[]): Promise<Map<string, OnlineRow>> {
    const kept = this.outage ? await this.outage.rows.read(viewKey, unique) : new Map<string, OnlineRow>();
    const missing = kept.size === 0 ? unique : unique.filter((id) => !kept.has(id));
    let loaded = new Map<string, OnlineRow>();
    if (missing.length > 0) {
      this.metrics.onlineFallbacks.inc({ view: viewKey, reason: "unavailable" });
      loaded = await this.fallback(viewKey, missing);
      if (this.outage) {
        const absent = missing.filter((id) => !loaded.has(id)).map(absentRow);
        await this.outage.rows.write(viewKey, [...loaded.values(), ...absent], { ttlMs: this.outage.ttlMs });
      }
    }
    if (kept.size === 0) return loaded;
    const merged = new Map<string, OnlineRow>();
    for (const id of unique) {
      const row = kept.get(id) ?? loaded.get(id);
      if (row && row.eventTimestamp !== ABSENT) merged.set(id, row);
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

  remove(viewKey: string, ids: readonly string[]): Promise<number> {
    return this.primary.remove(viewKey, ids);
  }

  prune(viewKey: string, keep: ReadonlySet<string>): Promise<number> {
    return this.primary.prune(viewKey, keep);
  }

  forget(viewKey: string, ids: readonly string[]): Promise<void> {
    return this.primary.forget(viewKey, ids);
  }

  /** Of `ids`, those the primary vouches are absent (none when it cannot say, or fails to). */
  async vouchedAbsent(viewKey: string, ids: readonly string[]): Promise<Set<string>> {
    return this.primary.vouchedAbsent(viewKey, ids).catch(() => new Set<string>());
  }

  /** The primary's watch (rows it answered itself), each reread counted as its hits, as a read is. */
  watch(rows: readonly WatchedRow[]): RowsWatch | undefined {
    if (rows.some((r) => this.unsynced(r.viewKey))) return undefined;
    const watch = this.primary.watch(rows);
    if (!watch) return undefined;
    const tallies = rows.map(({ viewKey }) => this.metrics.cacheLookups(this.layer, viewKey));
    const unsynced = this.unsynced;
    return {
      reread() {
        // A sync that failed since: the rows watched may be the ones Redis could not take.
        if (rows.some((r) => unsynced(r.viewKey))) return false;
        if (!watch.reread()) return false;
        for (const tally of tallies) tally.hit++;
        return true;
      },
    };
  }

  completeRun(viewKey: string): Promise<number> {
    return this.primary.completeRun(viewKey);
  }

  beginCopy(viewKey: string, runId: number): Promise<CompleteCopy> {
    return this.primary.beginCopy(viewKey, runId);
  }

  ping(): Promise<void> {
    return this.primary.ping();
  }

  close(): Promise<void> {
    return this.primary.close();
  }

  private async backfill(viewKey: string, rows: OnlineRow[], absent: OnlineRow[]): Promise<void> {
    try {
      if (rows.length > 0) await this.primary.write(viewKey, rows, { ifAbsent: true });
      if (absent.length > 0)
        await this.primary.write(viewKey, absent, { ifAbsent: true, ttlMs: this.absentTtlMs });
    } catch {
      // The next read of these ids loads them again.
    }
  }
}
