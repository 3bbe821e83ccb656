import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import type { EmbeddingInfo } from "../registry";
import { type VectorFileStamp, VectorFiles } from "./vector-file";
import { VectorIndex } from "./vector-index";

type Entry = { stamp: string; loading: Promise<VectorIndex | undefined>; ready?: VectorIndex };

/**
 * The in-memory indexes of exact embeddings, one per version, loaded in the background on
 * first use; until then searches scan in SQL. An index belongs to one materialization (its
 * stamp): after the next one, the first search starts a fresh load. Only valid where this
 * process is the database's sole writer, i.e. the embedded mode. With a directory, each index is
 * also kept in a file there and a restart maps it back instead of reading every vector again.
 */
export class VectorIndexes {
  private readonly entries = new Map<string, Entry>();
  private readonly files: VectorFiles | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly enabled: boolean,
    private readonly logger?: Logger,
    directory?: string,
  ) {
    this.files = directory ? new VectorFiles(directory) : undefined;
  }

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
      loading: this.loadIndex(embedding).then(
        ({ index, from }) => {
          entry.ready = index;
          this.logger?.info("embedding loaded for in-memory search", {
            embedding: key,
            vectors: index.size,
            from,
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

  private async loadIndex(embedding: EmbeddingInfo): Promise<{ index: VectorIndex; from: string }> {
    if (!this.files) return { index: await VectorIndex.load(this.sql, embedding), from: "database" };
    const stamp = await this.fileStamp(embedding);
    const mapped = await this.files.read(stamp).catch((error: unknown) => {
      this.logger?.warn("unreadable vector file; reading the vectors again", {
        embedding: stamp.embedding,
        error: (error as Error).message,
      });
      return undefined;
    });
    if (mapped) return { index: mapped, from: "file" };
    const index = await VectorIndex.load(this.sql, embedding);
    await this.files.write(stamp, index).catch((error: unknown) => {
      this.logger?.warn("could not keep the vectors in the data directory", {
        embedding: stamp.embedding,
        error: (error as Error).message,
      });
    });
    return { index, from: "database" };
  }

  /**
   * The materialization run that last wrote the embedding's rows (none for a source table) and
   * the table's storage (a full run or a new corpus replaces it). Runs that wrote nothing, as at
   * most restarts, keep the file. Read before the vectors: a run landing in between gives a file
   * whose stamp is already stale, so the next start reads again rather than trusting it.
   */
  private async fileStamp(embedding: EmbeddingInfo): Promise<VectorFileStamp> {
    const [row] = await this.sql<{ run: string | null; filenode: string | null }[]>`
      select (select max(id) from rapfs_materialization_runs
              where relation_kind = 'embedding' and name = ${embedding.name}
                and version = ${embedding.version} and status = 'succeeded' and rows_written > 0)::text as run,
             pg_relation_filenode(${embedding.relation}::regclass)::text as filenode`;
    return {
      embedding: `${embedding.name}@${embedding.version}`,
      source: `run ${row?.run ?? "none"}, storage ${row?.filenode ?? "none"}`,
    };
  }
}
