import type { Sql } from "../../db/database";
import { DISTANCE_OPERATOR } from "../../definitions/compile/embedding";
import type { Logger } from "../../log/logger";
import type { EmbeddingInfo } from "../../registry";
import {
  type IndexScanSettings,
  indexScan,
  OUTLIER_RANKS,
  type OutlierCeiling,
  type ScanRow,
} from "./hnsw-search";

const SEARCHES_PER_TRANSACTION = 2;

export type OutlierSampling = { sample: number; quantile: number; maxAgeMs: number };

/**
 * The ceiling from `sample` of the embedding's vectors (a fixed pseudo-random choice, so a
 * restart samples the same rows), each searched for its own neighbours through the index with
 * the search's settings.
 */
export async function sampleOutlierCeiling(
  sql: Sql,
  embedding: EmbeddingInfo,
  settings: IndexScanSettings,
  { sample, quantile }: Pick<OutlierSampling, "sample" | "quantile">,
): Promise<OutlierCeiling> {
  const key = sql`e.${sql(embedding.keyColumn)}`;
  const column = sql`e.${sql(embedding.vectorColumn)}`;
  const rows = await sql<{ id: string; vector: string }[]>`
    select ${key}::text as id, ${column}::text as vector
    from ${sql(embedding.relation)} e
    where ${column} is not null
    order by md5(${key}::text)
    limit ${sample}::integer`;
  const operator = sql.unsafe(DISTANCE_OPERATOR[embedding.metric]);
  const byRank: number[][] = Array.from({ length: OUTLIER_RANKS }, () => []);
  // A few searches a transaction: the embedded database's one backend is held for a whole
  // transaction, and the 500 in one held every other query, searches and lookups, until the
  // sample ended (a fresh process's search waited 28 s in `pnpm bench search`).
  for (let at = 0; at < rows.length; at += SEARCHES_PER_TRANSACTION) {
    await indexScan(sql, settings, async (tx) => {
      for (const row of rows.slice(at, at + SEARCHES_PER_TRANSACTION)) {
        const found = await tx<ScanRow[]>`
        with nearest as materialized (
          select ${key} as key, ${column} ${operator} ${row.vector}::vector as distance
          from ${sql(embedding.relation)} e
          where ${column} is not null
          order by distance
          limit ${OUTLIER_RANKS + 1}::integer)
        select key::text as id, distance from nearest order by distance, key`;
        const neighbours = found.filter((r) => r.id !== row.id).slice(0, OUTLIER_RANKS);
        for (const [rank, r] of neighbours.entries()) byRank[rank]?.push(r.distance);
      }
    });
  }
  return byRank.map((distances) => quantileOf(distances, quantile));
}

/** The nearest-rank quantile (q in [0, 1]); +∞ for no values, so nothing counts as an outlier. */
export function quantileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.POSITIVE_INFINITY;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

type Entry = {
  ceiling: Promise<OutlierCeiling>;
  sampledAt: number;
  refreshing?: boolean;
  /** The sampled ceiling once it is in. */
  value?: OutlierCeiling;
};

export type SampleCeiling = (
  sql: Sql,
  embedding: EmbeddingInfo,
  settings: IndexScanSettings,
  sampling: OutlierSampling,
) => Promise<OutlierCeiling>;

/**
 * Each HNSW embedding version's ceiling, sampled on its first search and again in the background
 * once older than maxAgeMs (new rows move it slowly); a failed sample is dropped and retried.
 */
export class OutlierCeilings {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly sampling: OutlierSampling,
    private readonly now: () => number = Date.now,
    private readonly sampleCeiling: SampleCeiling = sampleOutlierCeiling,
    private readonly logger?: Logger,
  ) {}

  /**
   * The ceiling if it has been sampled, without waiting: sampling starts (or refreshes) behind
   * the caller. A fresh process's first searches answer unchecked instead of waiting for the
   * 500 sample searches (a minute on a busy server).
   */
  sampled(sql: Sql, embedding: EmbeddingInfo, settings: IndexScanSettings): OutlierCeiling | undefined {
    this.get(sql, embedding, settings).catch(() => {});
    return this.entries.get(this.idOf(embedding))?.value;
  }

  get(sql: Sql, embedding: EmbeddingInfo, settings: IndexScanSettings): Promise<OutlierCeiling> {
    const id = this.idOf(embedding);
    const entry = this.entries.get(id);
    if (!entry) {
      const first = this.sample(id, sql, embedding, settings);
      this.entries.set(id, first);
      return first.ceiling;
    }
    // A stale ceiling answers until the fresh one is in.
    if (!entry.refreshing && this.now() - entry.sampledAt >= this.sampling.maxAgeMs) {
      entry.refreshing = true;
      const next = this.sample(id, sql, embedding, settings);
      next.ceiling.then(
        () => this.entries.set(id, next),
        () => {
          entry.refreshing = false;
        },
      );
    }
    return entry.ceiling;
  }

  private idOf(embedding: EmbeddingInfo): string {
    return `${embedding.name}@${embedding.version}:${embedding.indexName}`;
  }

  private sample(id: string, sql: Sql, embedding: EmbeddingInfo, settings: IndexScanSettings): Entry {
    const started = this.now();
    this.logger?.info("sampling the outlier ceiling", { embedding: id, sample: this.sampling.sample });
    const ceiling = this.sampleCeiling(sql, embedding, settings, this.sampling);
    const entry: Entry = { ceiling, sampledAt: started };
    ceiling.then(
      (value) => {
        entry.value = value;
        this.logger?.info("outlier ceiling sampled", { embedding: id, ms: Math.round(this.now() - started) });
      },
      (error: unknown) => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
        this.logger?.warn("outlier ceiling sampling failed; searches stay unchecked until it is retried", {
          embedding: id,
          error: (error as Error).message,
        });
      },
    );
    return entry;
  }
}
