import { assertViewKey } from "./redis-keys";
import {
  ABSENT,
  type CompleteCopy,
  type OnlineRow,
  type OnlineStore,
  type RowsWatch,
  type ViewRead,
  type WatchedRow,
  type WriteOptions,
} from "./types";

/**
 * An in-process online store for the embedded mode: a least-recently-used map bounded by row
 * count, so the cache in front of Postgres never grows with the corpus.
 */
export class MemoryOnlineStore implements OnlineStore {
  // A Map iterates in insertion order; re-inserting on every hit keeps the oldest entry first.
  private readonly rows = new Map<string, Entry>();
  /** The run each view version was copied whole at, while none of its rows has been dropped since. */
  private readonly sealed = new Map<string, number>();
  /** Rows dropped per view version (evicted, expired, forgotten): a copy that lost one is not whole. */
  private readonly losses = new Map<string, number>();
  readonly maxRows: number;
  /** In this process: it always answers. */
  readonly degraded = false;
  private readonly now: () => number;

  constructor(options: { maxRows?: number; now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.maxRows = options.maxRows ?? 50_000;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1) {
      throw new RangeError("maxRows must be a positive integer");
    }
  }

  get size(): number {
    return this.rows.size;
  }

  async write(viewKey: string, rows: readonly OnlineRow[], options: WriteOptions = {}): Promise<void> {
    assertViewKey(viewKey);
    const expiresAt = options.ttlMs === undefined ? undefined : this.now() + options.ttlMs;
    for (const row of rows) {
      const key = entryKey(viewKey, row.id);
      if (options.ifAbsent && this.live(key)) continue;
      this.rows.delete(key);
      // Frozen: readers share these objects, so nobody may change a cached row in place.
      const frozen = Object.freeze({ ...row, values: Object.freeze({ ...row.values }) });
      this.rows.set(key, expiresAt === undefined ? { row: frozen } : { row: frozen, expiresAt });
    }
    this.evict();
  }

  async read(viewKey: string, ids: readonly string[]): Promise<Map<string, OnlineRow>> {
    assertViewKey(viewKey);
    const found = new Map<string, OnlineRow>();
    for (const id of ids) {
      const key = entryKey(viewKey, id);
      const entry = this.live(key);
      if (entry === undefined) continue;
      this.rows.delete(key);
      this.rows.set(key, entry);
      found.set(id, entry.row);
    }
    return found;
  }

  async readMany(requests: readonly ViewRead[]): Promise<Map<string, OnlineRow>[]> {
    return Promise.all(requests.map((r) => this.read(r.viewKey, r.ids)));
  }

  async forget(viewKey: string, ids: readonly string[]): Promise<void> {
    assertViewKey(viewKey);
    for (const id of ids) this.drop(entryKey(viewKey, id));
  }

  async deleteView(viewKey: string): Promise<number> {
    assertViewKey(viewKey);
    const start = `${viewKey}\u0000`;
    this.lose(viewKey);
    let removed = 0;
    for (const key of this.rows.keys()) {
      if (key.startsWith(start)) {
        this.rows.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Rows whose sources are gone: deliberately absent, so a copy sealed whole stays whole. */
  async remove(viewKey: string, ids: readonly string[]): Promise<number> {
    assertViewKey(viewKey);
    let removed = 0;
    for (const id of ids) if (this.rows.delete(entryKey(viewKey, id))) removed++;
    return removed;
  }

  async prune(viewKey: string, keep: ReadonlySet<string>): Promise<number> {
    assertViewKey(viewKey);
    const start = `${viewKey}\u0000`;
    let removed = 0;
    for (const key of this.rows.keys()) {
      if (key.startsWith(start) && !keep.has(key.slice(start.length))) {
        this.rows.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async beginCopy(viewKey: string, runId: number): Promise<CompleteCopy> {
    assertViewKey(viewKey);
    const lossesAtStart = this.losses.get(viewKey) ?? 0;
    return {
      holds: () => false,
      seal: async () => {
        if ((this.losses.get(viewKey) ?? 0) !== lossesAtStart) return false;
        this.sealed.set(viewKey, runId);
        return true;
      },
    };
  }

  async completeRun(viewKey: string): Promise<number> {
    return this.sealed.get(viewKey) ?? Number.NaN;
  }

  async vouchedAbsent(viewKey: string, ids: readonly string[]): Promise<Set<string>> {
    return this.sealed.has(viewKey) ? new Set(ids) : new Set();
  }

  /** Every write puts a new row object in place: a watched row still in place is unchanged. */
  watch(rows: readonly WatchedRow[]): RowsWatch | undefined {
    const held = rows.map(({ viewKey, row }) => ({ key: entryKey(viewKey, row.id), row }));
    const unchanged = () => {
      for (const { key, row } of held) if (this.live(key)?.row !== row) return false;
      return true;
    };
    if (!unchanged()) return undefined;
    return {
      reread: () => {
        if (!unchanged()) return false;
        // Recency, as a read's hit gives it.
        for (const { key } of held) {
          const entry = this.rows.get(key) as Entry;
          this.rows.delete(key);
          this.rows.set(key, entry);
        }
        return true;
      },
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.rows.clear();
    this.sealed.clear();
  }

  /** Removes one entry; a row (not an absence marker) gone makes its view version incomplete. */
  private drop(key: string): void {
    const entry = this.rows.get(key);
    if (!entry) return;
    this.rows.delete(key);
    if (entry.row.eventTimestamp !== ABSENT) this.lose(key.slice(0, key.indexOf("\u0000")));
  }

  private lose(viewKey: string): void {
    this.sealed.delete(viewKey);
    this.losses.set(viewKey, (this.losses.get(viewKey) ?? 0) + 1);
  }

  /** The entry under `key` unless it has expired (an expired one is dropped). */
  private live(key: string): Entry | undefined {
    const entry = this.rows.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.drop(key);
      return undefined;
    }
    return entry;
  }

  private evict(): void {
    for (const key of this.rows.keys()) {
      if (this.rows.size <= this.maxRows) return;
      this.drop(key);
    }
  }
}

type Entry = { row: OnlineRow; expiresAt?: number };

function entryKey(viewKey: string, id: string): string {
  return `${viewKey}\u0000${id}`;
}
