import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import type { EmbeddingInfo } from "../registry";
import { VectorIndex } from "./vector-index";

type Entry = { stamp: string; loading: Promise<VectorIndex | undefined>; ready?: VectorIndex };

/**
 * The in-memory indexes of exact embeddings, one per version, loaded in the background on
 * first use; until then searches scan in SQL. An index belongs to one materialization (its
 * stamp): after the next one, the first search starts a fresh load. Only valid where this
 * process is the database's sole writer, i.e. the embedded mode.
 */
export class VectorIndexes {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly sql: Sql,
    private readonly enabled: boolean,
    private readonly logger?: Logger,
  ) {}

  /** The loaded index for this embedding version, or undefined (and a load starts). */
  ready(embedding: EmbeddingInfo): VectorIndex | undefined {
    if (!this.enabled || embedding.indexKind !== "exact") return undefined;
    const entry = this.entry(embedding);
    return entry.ready;
  }

  /** The embedding versions searched from memory now. */
  get loaded(): string[] {
    return [...this.entries].filter(([, e]) => e.ready).map(([key]) => key);
  }

  /** Loads (or waits for) this embedding's index. */
  async load(embedding: EmbeddingInfo): Promise<VectorIndex | undefined> {
    if (!this.enabled || embedding.indexKind !== "exact") return undefined;
    return this.entry(embedding).loading;
  }

  private entry(embedding: EmbeddingInfo): Entry {
    const key = `${embedding.name}@${embedding.version}`;
    const stamp = embedding.lastMaterializedAt?.toISOString() ?? "source";
    const current = this.entries.get(key);
    if (current?.stamp === stamp) return current;
    const started = performance.now();
    const entry: Entry = {
      stamp,
      loading: VectorIndex.load(this.sql, embedding).then(
        (index) => {
          entry.ready = index;
          this.logger?.info("embedding loaded for in-memory search", {
            embedding: key,
            vectors: index.size,
            ms: Math.round(performance.now() - started),
          });
          return index;
        },
        (error: unknown) => {
          // A failed load is retried by a later search; meanwhile SQL serves.
          if (this.entries.get(key) === entry) this.entries.delete(key);
          this.logger?.warn("in-memory embedding load failed", {
            embedding: key,
            error: (error as Error).message,
          });
          return undefined;
        },
      ),
    };
    this.entries.set(key, entry);
    return entry;
  }
}
