import type { OnlineRow, RowsWatch, WatchedRow } from "./types";

export type NearCacheOptions = {
  /** Rows kept; beyond it the oldest not read since its last chance goes (second chance). */
  maxRows?: number;
  /**
   * A row older than this is read from Redis again even without an invalidation: a bound on
   * staleness should an invalidation ever be lost without the connection closing.
   */
  maxAgeMs?: number;
};

type Entry = {
  row: OnlineRow;
  at: number;
  used: boolean;
  viewKey: string;
  id: string;
  /** Gone from the cache (changed, evicted, cleared): a watch over it is over. */
  dropped: boolean;
};

export type NearCacheStats = { rows: number; hits: number; misses: number; invalidations: number };

/**
 * Rows read from Redis, kept in this process until Redis says they changed (invalidations
 * from CLIENT TRACKING, see tracking.ts). While tracking is not confirmed the cache is off:
 * nothing is served from it and nothing is kept.
 *
 * A read that races a change is never kept: `begin` marks the keys before the read is sent,
 * an invalidation unmarks them, and `keep` stores a row only while its key still carries the
 * read's mark. Invalidations come on another connection than replies, in either order.
 *
 * Hits look up view version, then id, so a hit builds no Redis key; the Redis keys (what
 * invalidations name) index the same entries for invalidation and eviction order.
 *
 * A watch (`watch`) over rows it holds lets something built from them (a finished answer) be
 * served again without a read, for exactly as long as a read would have found the same rows: an
 * entry leaving the cache for any reason marks itself dropped, which ends every watch over it.
 */
export class NearCache {
  readonly maxRows: number;
  private readonly maxAgeMs: number;
  private readonly views = new Map<string, Map<string, Entry>>();
  private readonly byKey = new Map<string, Entry>();
  private readonly pending = new Map<string, number>();
  private hand: MapIterator<[string, Entry]> = this.byKey.entries();
  private lastToken = 0;
  private on = false;
  private readonly counts = { hits: 0, misses: 0, invalidations: 0 };

  constructor(options: NearCacheOptions = {}) {
    this.maxRows = options.maxRows ?? 50_000;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
  }

  get enabled(): boolean {
    return this.on;
  }

  /** Tracking is in place: rows read from now on may be kept. */
  enable(): void {
    this.on = true;
  }

  /** Tracking is lost: invalidations may be missed, so nothing kept can be trusted. */
  disable(): void {
    this.on = false;
    this.clear();
  }

  clear(): void {
    for (const entry of this.byKey.values()) entry.dropped = true;
    this.views.clear();
    this.byKey.clear();
    this.pending.clear();
  }

  /** The row kept for one id of a view version, if it is younger than the age bound. */
  get(viewKey: string, id: string, now: number): OnlineRow | undefined {
    const entry = this.views.get(viewKey)?.get(id);
    if (entry === undefined || now - entry.at >= this.maxAgeMs) {
      this.counts.misses++;
      return undefined;
    }
    entry.used = true;
    this.counts.hits++;
    return entry.row;
  }

  /** Marks Redis `keys` as being read; 0 (keep nothing) while the cache is off. */
  begin(keys: readonly string[]): number {
    if (!this.on) return 0;
    const token = ++this.lastToken;
    for (const key of keys) this.pending.set(key, token);
    return token;
  }

  /** Keeps a row read under `token` from Redis `key`, unless the key was invalidated since `begin`. */
  keep(key: string, viewKey: string, row: OnlineRow, token: number, at: number): void {
    if (token === 0 || this.pending.get(key) !== token) return;
    this.pending.delete(key);
    this.remove(key);
    while (this.byKey.size >= this.maxRows) this.evictOne();
    const entry: Entry = { row, at, used: false, viewKey, id: row.id, dropped: false };
    let rows = this.views.get(viewKey);
    if (rows === undefined) {
      rows = new Map();
      this.views.set(viewKey, rows);
    }
    rows.set(row.id, entry);
    this.byKey.set(key, entry);
  }

  /** Ends a read: its marks that nothing kept or replaced go (a failed read, absent rows). */
  end(keys: readonly string[], token: number): void {
    if (token === 0) return;
    for (const key of keys) if (this.pending.get(key) === token) this.pending.delete(key);
  }

  /** Redis keys that changed. */
  invalidate(keys: Iterable<string>): void {
    for (const key of keys) {
      this.remove(key);
      this.pending.delete(key);
      this.counts.invalidations++;
    }
  }

  /** Drops every row whose Redis key starts with `prefix` (a view version deleted). */
  invalidatePrefix(prefix: string): void {
    for (const key of this.byKey.keys()) if (key.startsWith(prefix)) this.remove(key);
    for (const key of this.pending.keys()) if (key.startsWith(prefix)) this.pending.delete(key);
  }

  /**
   * A watch over `rows`, each the very row this cache would answer for its view version and id
   * now; undefined when one is not (never kept, already replaced, or too old) or the cache is off.
   */
  watch(rows: readonly WatchedRow[], now: () => number): RowsWatch | undefined {
    if (!this.on) return undefined;
    const at = now();
    const entries: Entry[] = [];
    let oldest = at;
    for (const { viewKey, row } of rows) {
      const entry = this.views.get(viewKey)?.get(row.id);
      if (entry === undefined || entry.row !== row || at - entry.at >= this.maxAgeMs) return undefined;
      entries.push(entry);
      oldest = Math.min(oldest, entry.at);
    }
    const expiresAt = oldest + this.maxAgeMs;
    const counts = this.counts;
    return {
      reread() {
        if (now() >= expiresAt) return false;
        for (const entry of entries) if (entry.dropped) return false;
        for (const entry of entries) entry.used = true;
        counts.hits += entries.length;
        return true;
      },
    };
  }

  stats(): NearCacheStats {
    return { rows: this.byKey.size, ...this.counts };
  }

  private remove(key: string): void {
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    entry.dropped = true;
    this.byKey.delete(key);
    const rows = this.views.get(entry.viewKey);
    rows?.delete(entry.id);
    if (rows?.size === 0) this.views.delete(entry.viewKey);
  }

  /**
   * The entry under the clock hand goes, unless it was read since it was kept or the hand last
   * passed it (second chance). The hand is one live iterator that goes on where it stopped: a
   * Map walked from its start again for every eviction skips every entry deleted at its head,
   * which made a full cache's batch of 8,000 rows cost 80–320 ms, growing with each batch.
   */
  private evictOne(): void {
    for (let turns = 0; turns < 2 * this.byKey.size + 2; turns++) {
      let next = this.hand.next();
      if (next.done) {
        this.hand = this.byKey.entries();
        next = this.hand.next();
        if (next.done) return;
      }
      const [key, entry] = next.value;
      if (entry.used) {
        entry.used = false;
        continue;
      }
      this.remove(key);
      return;
    }
  }
}
