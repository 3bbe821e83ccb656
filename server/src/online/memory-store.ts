import { nextTurn, SLICE_MS } from "../values/turns";
import { DecodedRows } from "./decoded-rows";
import { type Entry, HeldView } from "./held-view";
import { assertViewKey } from "./redis-keys";
import {
  ABSENT,
  type CompleteCopy,
  type OnlineRow,
  type OnlineStore,
  type RowsWatch,
  type ViewRead,
  type WatchedRow,
  WIDE_READ_IDS,
  type WriteOptions,
} from "./types";

/** Rows read between looks at the clock. */
const ROWS_PER_LOOK = 64;
/** When this turn's slice of reading began, while `sliceOpen`. */
let sliceStarted = 0;
let sliceOpen = false;
const closeSlice = () => {
  sliceOpen = false;
};
/** Starts this turn's slice of reading; it closes when the turn ends. */
function openSlice(): void {
  sliceOpen = true;
  sliceStarted = performance.now();
  setImmediate(closeSlice);
}
/** How long reads have read in this turn of the event loop (the first to look opens the turn's slice). */
function sliceElapsed(): number {
  if (!sliceOpen) openSlice();
  return performance.now() - sliceStarted;
}

/**
 * An in-process online store for the embedded mode. A view version a sync copies (`beginCopy`)
 * is held whole, outside the LRU: nothing evicts it, so once sealed it answers every read,
 * misses included, without Postgres. Every other view's rows are a least-recently-used cache of
 * Postgres bounded by row count, so the cache never grows with the corpus. Which views are
 * copied, and so how much is held, is the caller's choice (serving/online-sync/in-process.ts).
 */
export class MemoryOnlineStore implements OnlineStore {
  // A Map iterates in insertion order; re-inserting on every hit keeps the oldest entry first.
  private readonly rows = new Map<string, Entry>();
  /** View versions held whole (copied by a sync); never evicted. */
  private readonly held = new Map<string, HeldView>();
  /** Rows of held versions decoded lately: a hot row read again is the same object. */
  private readonly decoded: DecodedRows;
  /** The run each view version was copied whole at, while none of its rows has been dropped since. */
  private readonly sealed = new Map<string, number>();
  /** Rows dropped per view version (evicted, expired, forgotten): a copy that lost one is not whole. */
  private readonly losses = new Map<string, number>();
  readonly maxRows: number;
  /** In this process: it always answers. */
  readonly degraded = false;
  private readonly now: () => number;

  constructor(options: { maxRows?: number; decodedRows?: number; now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.decoded = new DecodedRows(options.decodedRows);
    this.maxRows = options.maxRows ?? 50_000;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1) {
      throw new RangeError("maxRows must be a positive integer");
    }
  }

  /** Rows in the LRU and in the views held whole. */
  get size(): number {
    let size = this.rows.size;
    for (const rows of this.held.values()) size += rows.size;
    return size;
  }

  /** Whether a sync copied this view version, so it is held whole (sealed or not yet). */
  holds(viewKey: string): boolean {
    return this.held.has(viewKey);
  }

  async write(viewKey: string, rows: readonly OnlineRow[], options: WriteOptions = {}): Promise<void> {
    assertViewKey(viewKey);
    const expiresAt = options.ttlMs === undefined ? undefined : this.now() + options.ttlMs;
    const held = this.held.get(viewKey);
    // A version held whole takes only its sync's writes: a read-through backfill (a row or an
    // absence marker loaded before a run removed it) could outlive the run there, where nothing evicts it.
    if (held && options.ifAbsent) return;
    for (const row of rows) {
      if (options.ifAbsent && this.live(viewKey, row.id)) continue;
      if (held) {
        held.set(row, expiresAt);
        continue;
      }
      // Frozen: readers share these objects, so nobody may change a cached row in place.
      const frozen = Object.freeze({ ...row, values: Object.freeze({ ...row.values }) });
      const entry = expiresAt === undefined ? { row: frozen } : { row: frozen, expiresAt };
      const key = entryKey(viewKey, row.id);
      this.rows.delete(key);
      this.rows.set(key, entry);
    }
    if (!held) this.evict();
  }

  async read(viewKey: string, ids: readonly string[]): Promise<Map<string, OnlineRow>> {
    assertViewKey(viewKey);
    const found = new Map<string, OnlineRow>();
    let held = this.held.has(viewKey);
    const keep = ids.length <= WIDE_READ_IDS;
    let read = 0;
    for (const id of ids) {
      // A wide batch of every view decodes thousands of rows: other requests go in between.
      if (++read % ROWS_PER_LOOK === 0 && sliceElapsed() >= SLICE_MS) {
        // nextTurn lets waiting reads go on one a turn, in order: the views of a wide batch, read
        // together, take one SLICE_MS a turn between them, not one each.
        await nextTurn();
        openSlice();
        // A sync may have begun to hold the version meanwhile.
        held = this.held.has(viewKey);
      }
      const entry = this.live(viewKey, id, keep);
      if (entry === undefined) continue;
      if (!held) this.touch(entryKey(viewKey, id), entry);
      found.set(id, entry.row);
    }
    return found;
  }

  async readMany(requests: readonly ViewRead[]): Promise<Map<string, OnlineRow>[]> {
    return Promise.all(requests.map((r) => this.read(r.viewKey, r.ids)));
  }

  /** Drops cached rows; a view held whole is kept up to date by its sync instead, as Redis is. */
  async forget(viewKey: string, ids: readonly string[]): Promise<void> {
    assertViewKey(viewKey);
    if (this.held.has(viewKey)) return;
    for (const id of ids) this.drop(viewKey, id);
  }

  async deleteView(viewKey: string): Promise<number> {
    assertViewKey(viewKey);
    const start = `${viewKey}\u0000`;
    this.lose(viewKey);
    let removed = this.held.get(viewKey)?.size ?? 0;
    this.held.delete(viewKey);
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
    const held = this.held.get(viewKey);
    let removed = 0;
    for (const id of ids) if (held ? held.delete(id) : this.rows.delete(entryKey(viewKey, id))) removed++;
    return removed;
  }

  async prune(viewKey: string, keep: ReadonlySet<string>): Promise<number> {
    assertViewKey(viewKey);
    const start = `${viewKey}\u0000`;
    let removed = 0;
    const held = this.held.get(viewKey);
    for (const id of held?.ids() ?? []) {
      if (!keep.has(id)) {
        held?.delete(id);
        removed++;
      }
    }
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
    this.hold(viewKey);
    const lossesAtStart = this.losses.get(viewKey) ?? 0;
    return {
      holds: () => false,
      repairs: false,
      writes: true,
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

  /** Ids with no row in a version sealed whole; one written since the caller missed it is not vouched for. */
  async vouchedAbsent(viewKey: string, ids: readonly string[]): Promise<Set<string>> {
    if (!this.sealed.has(viewKey)) return new Set();
    return new Set(ids.filter((id) => this.live(viewKey, id) === undefined));
  }

  /** The view versions held whole. */
  heldViews(): string[] {
    return [...this.held.keys()];
  }

  /** Every write puts a new row object in place: a watched row still in place is unchanged. */
  watch(rows: readonly WatchedRow[]): RowsWatch | undefined {
    const unchanged = () => {
      for (const { viewKey, row } of rows) if (this.live(viewKey, row.id)?.row !== row) return false;
      return true;
    };
    if (!unchanged()) return undefined;
    return {
      reread: () => {
        if (!unchanged()) return false;
        // Recency, as a read's hit gives it.
        for (const { viewKey, row } of rows) {
          const key = entryKey(viewKey, row.id);
          const entry = this.rows.get(key);
          if (entry) this.touch(key, entry);
        }
        return true;
      },
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.rows.clear();
    this.held.clear();
    this.decoded.clear();
    this.sealed.clear();
  }

  /**
   * From now on the version is held whole, filled by its sync alone. Its rows left in the LRU are
   * never read again (reads look in the held version) and age out without unsealing it.
   */
  private hold(viewKey: string): void {
    if (!this.held.has(viewKey)) this.held.set(viewKey, new HeldView(viewKey, this.decoded));
  }

  /** Removes one entry; a row (not an absence marker) gone makes its view version incomplete. */
  private drop(viewKey: string, id: string): void {
    const held = this.held.get(viewKey);
    const key = entryKey(viewKey, id);
    const entry = held ? held.get(id) : this.rows.get(key);
    if (!entry) return;
    if (held) held.delete(id);
    else this.rows.delete(key);
    if (entry.row.eventTimestamp !== ABSENT) this.lose(viewKey);
  }

  private lose(viewKey: string): void {
    this.sealed.delete(viewKey);
    this.losses.set(viewKey, (this.losses.get(viewKey) ?? 0) + 1);
  }

  /** The entry of `id` unless it has expired (an expired one is dropped). */
  private live(viewKey: string, id: string, keep = true): Entry | undefined {
    const held = this.held.get(viewKey);
    const entry = held ? held.get(id, keep) : this.rows.get(entryKey(viewKey, id));
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.drop(viewKey, id);
      return undefined;
    }
    return entry;
  }

  /** Most recently used: a Map iterates in insertion order. */
  private touch(key: string, entry: Entry): void {
    this.rows.delete(key);
    this.rows.set(key, entry);
  }

  private evict(): void {
    for (const [key, entry] of this.rows) {
      if (this.rows.size <= this.maxRows) return;
      this.rows.delete(key);
      const viewKey = key.slice(0, key.indexOf("\u0000"));
      // A leftover of a version now held whole is not one of its rows.
      if (entry.row.eventTimestamp !== ABSENT && !this.held.has(viewKey)) this.lose(viewKey);
    }
  }
}

function entryKey(viewKey: string, id: string): string {
  return `${viewKey}\u0000${id}`;
}
