import type { Sql } from "../../db/database";
import type { Logger } from "../../log/logger";
import type { EmbeddingInfo } from "../../registry";
import { type MappedIndex, VectorFiles } from "./vector-file";
import { VectorIndex } from "./vector-index";
import {
  idsUnlessCount,
  insertedBetween,
  type RowsSeen,
  rowsSeenNow,
  rowsWithIds,
  rowsWrittenSince,
  sourceChangedSince,
} from "./vector-rows";

type Loaded = MappedIndex & { storage: string | null };

type Entry = {
  embedding: EmbeddingInfo;
  /** The materialization the index is caught up with (its catalog stamp). */
  stamp: string;
  ready?: Loaded;
  /** The load or catch-up in progress. */
  busy?: Promise<void>;
  /** When the data directory's copy was last written. */
  savedAt: number;
};

// A file written after each catch-up would cost more than the catch-up; a start catches up from it.
const SAVE_EVERY_MS = 60_000;

/**
 * The in-memory indexes of exact embeddings, one per version, loaded in the background on
 * first use; until then searches scan in SQL. Only valid where this process is the database's
 * sole writer, i.e. the embedded mode. An index follows the rows it was read from: after a
 * materialization (a new catalog stamp) or a write to a source table (`follow`), it reads the
 * rows written since the snapshot it last saw and keeps answering from the previous index
 * meanwhile; only a table whose storage was replaced is read whole again. With a directory,
 * each index is also kept in a file there, and a start maps it back and catches up from it.
 */
export class VectorIndexes {
  private readonly entries = new Map<string, Entry>();
  private readonly files: VectorFiles | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly sql: Sql,
    private readonly enabled: boolean,
    private readonly logger?: Logger,
    directory?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.files = directory ? new VectorFiles(directory) : undefined;
  }

  /**
   * Stops loads from the database at their next page, for a server stopping: a first start's
   * vectors took seconds more to read, and the stop waited for them (Ctrl-C took 5–14 s).
   */
  stop(): void {
    this.stopping.abort(new Error("the server is stopping"));
  }

  /** The loaded index for this embedding version, or undefined (and a load starts). */
  ready(embedding: EmbeddingInfo): VectorIndex | undefined {
    if (!this.enabled || embedding.indexKind !== "exact") return undefined;
    const entry = this.entry(embedding);
    if (entry.stamp !== stampOf(embedding)) this.catchUp(entry, embedding);
    return entry.ready?.index;
  }

  /** The embedding versions searched from memory now. */
  get loaded(): string[] {
    return [...this.entries].filter(([, e]) => e.ready).map(([key]) => key);
  }

  /** Loads (or waits for) this embedding's index. */
  async load(embedding: EmbeddingInfo): Promise<VectorIndex | undefined> {
    if (!this.enabled || embedding.indexKind !== "exact") return undefined;
    const entry = this.entry(embedding);
    await entry.busy;
    return entry.ready?.index;
  }

  /**
   * Catches the indexes of source tables (`tracks`, which no run rewrites) up with the writes
   * migration 0011's log holds for them; resolves when they are caught up.
   */
  async follow(): Promise<void> {
    for (const entry of this.entries.values()) {
      const ready = entry.ready;
      if (!ready || entry.busy || stampOf(entry.embedding) !== SOURCE) continue;
      if (await sourceChangedSince(this.sql, entry.embedding.relation, ready.snapshot)) {
        this.catchUp(entry, entry.embedding, { source: true });
        await entry.busy;
      }
    }
  }

  /** The snapshots loaded indexes were read in: the source changes after them are still to follow. */
  get snapshots(): string[] {
    return [...this.entries.values()].flatMap((e) => (e.ready ? [e.ready.snapshot] : []));
  }

  private entry(embedding: EmbeddingInfo): Entry {
    const key = keyOf(embedding);
    const current = this.entries.get(key);
    if (current) return current;
    const entry: Entry = { embedding, stamp: stampOf(embedding), savedAt: 0 };
    this.entries.set(key, entry);
    this.run(entry, "load", () => this.loadWhole(entry, embedding));
    return entry;
  }

  /**
   * Brings the entry up to `embedding` (its stamp); the previous index answers until then. A
   * source table's inserts are read by the ids the log noted; any other write by a scan.
   */
  private catchUp(entry: Entry, embedding: EmbeddingInfo, { source = false } = {}): void {
    if (entry.busy) return;
    entry.stamp = stampOf(embedding);
    entry.embedding = embedding;
    this.run(entry, "catch-up", async () => {
      const previous = entry.ready;
      const seen = await rowsSeenNow(this.sql, embedding);
      if (!previous || seen.storage === null || seen.storage !== previous.storage) {
        return this.loadWhole(entry, embedding);
      }
      const inserted = source
        ? await insertedBetween(this.sql, embedding.relation, previous.snapshot, seen.snapshot)
        : undefined;
      const { index, changed } = inserted
        ? await this.rowsInserted(embedding, previous, inserted)
        : await this.rowsSince(embedding, previous);
      entry.ready = { index, snapshot: seen.snapshot, storage: seen.storage };
      if (changed > 0 && this.now() - entry.savedAt >= SAVE_EVERY_MS) await this.save(entry);
      // copied: false when the changed rows were replaced in place (see rowsSince).
      return {
        from: inserted ? "inserted ids" : "scan",
        vectors: index.size,
        changed,
        copied: index !== previous.index,
      };
    });
  }

  /** Runs a load or catch-up as the entry's busy work, logging it; a failure leaves the entry as it was. */
  private run(entry: Entry, work: string, task: () => Promise<Record<string, unknown>>): void {
    const started = performance.now();
    const key = keyOf(entry.embedding);
    entry.busy = task()
      .then((details) => {
        this.logger?.info(
          work === "load" ? "embedding loaded for in-memory search" : "in-memory search caught up",
          { embedding: key, ...details, ms: Math.round(performance.now() - started) },
        );
      })
      .catch((error: unknown) => {
        // Retried by a later search or follow; meanwhile the previous index (or SQL) serves.
        if (!entry.ready) this.entries.delete(key);
        else entry.stamp = "";
        if (this.stopping.signal.aborted) return;
        this.logger?.warn(`in-memory embedding ${work} failed`, {
          embedding: key,
          error: (error as Error).message,
        });
      })
      .finally(() => {
        entry.busy = undefined;
      });
  }

  /** The index with these inserted rows, and how many there were. */
  private async rowsInserted(
    embedding: EmbeddingInfo,
    previous: MappedIndex,
    ids: readonly number[],
  ): Promise<{ index: VectorIndex; changed: number }> {
    if (ids.length === 0) return { index: previous.index, changed: 0 };
    const written = await rowsWithIds(this.sql, embedding, ids);
    const index = previous.index.changeInPlace(written) ? previous.index : previous.index.withRows(written);
    return { index, changed: written.size };
  }

  /**
   * The index with the rows written since `previous` was read, and how many there were.
   * Rewritten and added rows are written into `previous.index` itself where it can (see
   * changeInPlace): a re-run rewrites tens of rows of tens of thousands, and a copy of them all
   * held the main thread for 100–250 ms at scale 1. Removed rows make a copy. No file is being
   * written from it meanwhile: saves are the entry's busy work too.
   */
  private async rowsSince(
    embedding: EmbeddingInfo,
    previous: MappedIndex,
  ): Promise<{ index: VectorIndex; changed: number }> {
    const written = await rowsWrittenSince(this.sql, embedding, previous.snapshot);
    let index = previous.index;
    if (written.size > 0 && !index.changeInPlace(written)) index = index.withRows(written);
    const present = await idsUnlessCount(this.sql, embedding, index.size);
    let removed = 0;
    if (present) {
      const gone = new Map<number, null>();
      for (const id of index.ids) if (!present.has(id)) gone.set(id, null);
      removed = gone.size;
      if (removed > 0) index = index.withRows(gone);
    }
    return { index, changed: written.size + removed };
  }

  /** Maps the data directory's copy and catches it up, or reads every vector again; the entry's index. */
  private async loadWhole(entry: Entry, embedding: EmbeddingInfo): Promise<Record<string, unknown>> {
    const seen = await rowsSeenNow(this.sql, embedding);
    const mapped = await this.files?.read(fileStamp(embedding, seen)).catch((error: unknown) => {
      this.logger?.warn("unreadable vector file; reading the vectors again", {
        embedding: keyOf(embedding),
        error: (error as Error).message,
      });
      return undefined;
    });
    // Read after the snapshot: it holds every row the snapshot sees, and perhaps some later ones,
    // which the next catch-up reads again.
    const { index, changed } = mapped
      ? await this.rowsSince(embedding, mapped)
      : { index: await VectorIndex.load(this.sql, embedding, { signal: this.stopping.signal }), changed: 0 };
    entry.ready = { index, snapshot: seen.snapshot, storage: seen.storage };
    // A file read again, or caught up with changes, is written anew.
    if (!mapped || changed > 0) await this.save(entry);
    return { from: mapped ? "file" : "database", vectors: index.size };
  }

  private async save(entry: Entry): Promise<void> {
    const ready = entry.ready;
    if (!this.files || !ready) return;
    entry.savedAt = this.now();
    await this.files.write(fileStamp(entry.embedding, ready), ready).catch((error: unknown) => {
      this.logger?.warn("could not keep the vectors in the data directory", {
        embedding: keyOf(entry.embedding),
        error: (error as Error).message,
      });
    });
  }
}

const SOURCE = "source";

const keyOf = (embedding: EmbeddingInfo) => `${embedding.name}@${embedding.version}`;

/** What the catalog says the rows are: a materialization's time, or a source table's. */
const stampOf = (embedding: EmbeddingInfo) => embedding.lastMaterializedAt?.toISOString() ?? SOURCE;

const fileStamp = (embedding: EmbeddingInfo, seen: Pick<RowsSeen, "storage">) => ({
  embedding: keyOf(embedding),
  source: `storage ${seen.storage ?? "none"}`,
});
