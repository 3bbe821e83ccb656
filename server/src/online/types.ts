/** One entity's feature values in one view version, as the online store holds them. */
export type OnlineRow = {
  id: string;
  values: Record<string, unknown>;
  /** When the values were true in the source (the view's event timestamp), ISO 8601. */
  eventTimestamp: string;
};

export type WriteOptions = {
  /**
   * Keep a row already present instead of replacing it. Read-through backfills use this so a
   * row loaded before a materialization can never overwrite the newer row it wrote.
   */
  ifAbsent?: boolean;
  /** Let the rows expire after this long (absence markers do, so a row added later shows up). */
  ttlMs?: number;
};

/**
 * The event timestamp of an absence marker: a row the read-through store writes for an id the
 * fallback did not have either, so the next read of that id is answered without Postgres.
 */
export const ABSENT = "!absent";

export const absentRow = (id: string): OnlineRow => ({ id, values: {}, eventTimestamp: ABSENT });

/**
 * Rows of feature view versions keyed by entity id. A view key names one version
 * (`qwen_analysis@2`), so several versions of a view coexist and are deleted independently.
 *
 * Every store has every capability, each for real in its own terms: Redis (`RedisOnlineStore`),
 * the in-process LRU of the embedded mode (`MemoryOnlineStore`) and the read-through store in
 * front of either (`ReadThroughStore`). Where a capability means nothing to a store, its
 * implementation says why it does nothing, so no caller asks whether a method is there.
 */
export interface OnlineStore {
  write(viewKey: string, rows: readonly OnlineRow[], options?: WriteOptions): Promise<void>;
  /** The rows present for `ids`; an id with no row is absent from the map. One round trip per call. */
  read(viewKey: string, ids: readonly string[]): Promise<Map<string, OnlineRow>>;
  /** `read` for several view versions at once, one map per request in order (one round trip where the store can). */
  readMany(requests: readonly ViewRead[]): Promise<Map<string, OnlineRow>[]>;
  /** Removes every row of one view version; returns how many were removed. */
  deleteView(viewKey: string): Promise<number>;
  /** Removes the rows of `ids` (rows an incremental run removed: their sources are gone); returns how many. */
  remove(viewKey: string, ids: readonly string[]): Promise<number>;
  /** Removes the rows of one view version whose id is not in `keep` (rows a rebuild dropped); returns how many. */
  prune(viewKey: string, keep: ReadonlySet<string>): Promise<number>;
  /**
   * Drops the cached rows of `ids` (a cache of Postgres: the in-process LRU), so the next read
   * loads what a run just wrote. A store written by the sync instead (Redis) has nothing to drop.
   */
  forget(viewKey: string, ids: readonly string[]): Promise<void>;
  /**
   * Completeness of a view version: `beginCopy` before a sync writes the rows of run `runId`,
   * `CompleteCopy.seal` after; `completeRun` names the run every part of the store holds whole
   * (NaN when any part does not); `vouchedAbsent` says which missing ids are absent in truth.
   */
  beginCopy(viewKey: string, runId: number): Promise<CompleteCopy>;
  completeRun(viewKey: string): Promise<number>;
  vouchedAbsent(viewKey: string, ids: readonly string[]): Promise<Set<string>>;
  /**
   * A watch over rows this store just answered, when it would hear of any change to them (rows
   * held in this process: the near cache, which Redis keeps coherent; the in-process LRU);
   * undefined when it would not, or one of them is no longer what it would answer.
   */
  watch(rows: readonly WatchedRow[]): RowsWatch | undefined;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** True while part of the store is known not to answer (its reads go to the fallback); never for an in-process store. */
  readonly degraded: boolean;
  close(): Promise<void>;
}

/** A copy of one run of a view version under way. */
export type CompleteCopy = {
  /** Whether the row of `id` need not be written: its part was already whole at the run, or did not answer (copied once it does). */
  holds(id: string): boolean;
  /**
   * Some part already holds the run whole: the copy repairs the others (a master that came back
   * empty, or did not answer the copy before) and does not copy the version again.
   */
  readonly repairs: boolean;
  /** False when every part that answers is whole already: nothing to write until the others answer. */
  readonly writes: boolean;
  /** Marks every part complete at the run; false where a part lost keys since `beginCopy` (it stays unsealed). */
  seal(): Promise<boolean>;
};

export type ViewRead = { viewKey: string; ids: readonly string[] };

/** A row as a store answered it for one view version. */
export type WatchedRow = { viewKey: string; row: OnlineRow };

/**
 * Rows a store answered, watched: what is built from them (a finished answer) can be served again
 * without reading them, while `reread` says they are unchanged.
 */
export type RowsWatch = {
  /**
   * Whether every row is still the one a read would answer now; when so, counts a read of them
   * (hits, recency), as the read this stands for would.
   */
  reread(): boolean;
};

/** Loads rows from the source of truth (Postgres) for ids the online store could not serve. */
export type FallbackLoader = (viewKey: string, ids: readonly string[]) => Promise<Map<string, OnlineRow>>;

/** A loader that knows no rows: the fallback until feature views are loaded. */
export const noRows: FallbackLoader = async () => new Map();

/**
 * A read of more ids than this (a wide batch) is answered without keeping what it decodes: the
 * rows (DecodedRows) and their value texts (api/features/codec.ts). Kept, a free key's 1,000-id
 * batches of random ids evicted the hot rows lookups come back for, and left thousands of objects
 * for every young-generation collection while the body was sent (issue #38). 128 ids of the 8
 * track views are the 1,024 rows the Redis store's near cache keeps of one read at most.
 */
export const WIDE_READ_IDS = 128;
