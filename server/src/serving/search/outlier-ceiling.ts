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

export type OutlierSampling = { sample: number; quantile: number; maxAgeMs: number };

/** Resolves when the sample may issue its next statement (see SearchTurns); `lastMs`: its last one's time. */
export type BackgroundTurn = (lastMs: number) => Promise<void>;

/**
 * The ceiling from `sample` of the embedding's vectors (a fixed pseudo-random choice, so a
 * restart samples the same rows), each searched for its own neighbours through the index with
 * the search's settings. One short statement at a time, each after `turn`: on the embedded
 * database a statement holds the one backend, and a search waits for the statement it arrives
 * behind. The rows are chosen by key alone and each search reads its own vector where it runs:
 * reading the 500 vectors as text ordered by md5 was one statement of ~250 ms at scale 0.2 (it
 * detoasted and printed every vector of the table before the sort), and a fresh process's search
 * that arrived behind it waited for all of it.
 */
export async function sampleOutlierCeiling(
  sql: Sql,
  embedding: EmbeddingInfo,
  settings: IndexScanSettings,
  { sample, quantile }: Pick<OutlierSampling, "sample" | "quantile">,
  turn: BackgroundTurn = async () => {},
): Promise<OutlierCeiling> {
  const relation = sql(embedding.relation);
  const key = sql`e.${sql(embedding.keyColumn)}`;
  const column = sql`e.${sql(embedding.vectorColumn)}`;
  await turn(0);
  let started = performance.now();
  const rows = await sql<{ id: number }[]>`
    select ${key}::integer as id from ${relation} e
    where ${column} is not null
    order by md5(${key}::text)
    limit ${sample}::integer`;
  const operator = sql.unsafe(DISTANCE_OPERATOR[embedding.metric]);
  const byRank: number[][] = Array.from({ length: OUTLIER_RANKS }, () => []);
  for (const row of rows) {
    await turn(performance.now() - started);
    started = performance.now();
    const [found = []] = await indexScan(sql, settings, (tx) => [
      tx<ScanRow[]>`
        with nearest as materialized (
          select ${key} as key, ${column} ${operator} (
              select o.${sql(embedding.vectorColumn)} from ${relation} o
              where o.${sql(embedding.keyColumn)} = ${row.id}::integer) as distance
          from ${relation} e
          where ${column} is not null
          order by distance
          limit ${OUTLIER_RANKS + 1}::integer)
        select key::text as id, distance from nearest order by distance, key`,
    ]);
    const neighbours = found.filter((r) => r.id !== String(row.id)).slice(0, OUTLIER_RANKS);
    for (const [rank, r] of neighbours.entries()) byRank[rank]?.push(r.distance);
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
  turn?: BackgroundTurn,
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
    /** When the sample may issue its next statement: after the searches in flight (SearchTurns). */
    private readonly turn?: BackgroundTurn,
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
    const ceiling = this.sampleCeiling(sql, embedding, settings, this.sampling, this.turn);
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
