import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../config/env";
import type { AnalyzerType } from "../corpus/scale";
import type { Sql } from "../db/database";
import { MAX_BATCH_ROWS } from "./columns";
import { corpusReruns } from "./reruns";
import type { IngestBatch } from "./row-schemas";
import { type IngestResult, ingestBatch } from "./write";

/** Where a stream's batches go: the database through `ingestBatch`, or a server's door. */
export type IngestSink = (batch: IngestBatch) => Promise<IngestResult>;

export const databaseSink =
  (sql: Sql): IngestSink =>
  (batch) =>
    ingestBatch(sql, batch);

/** One committed batch: epoch milliseconds (with a fraction) around the write, and its rows. */
export type StreamedInsert = {
  startedAt: number;
  committedAt: number;
  ids: number[];
  trackIds: number[];
  analyzers: string[];
  /** created_at as the database stamped it (UTC wall time). */
  createdAt: string[];
};

export type StreamProgress = { rows: number; elapsedMs: number; ratePerSecond: number };

export type StreamOptions = ({ sql: Sql; sink?: undefined } | { sink: IngestSink; sql?: undefined }) & {
  /** Analyses per second. */
  rate: number;
  /** How long to stream; without it, until `signal` aborts. */
  durationMs?: number;
  signal?: AbortSignal;
  /** The demo corpus in the database (default: RAPFS_CORPUS_SCALE and RAPFS_CORPUS_SEED). */
  corpus?: { scale: number; seed: number };
  /** Randomness of the picks and readings (default: a new one each run). */
  seed?: number;
  analyzers?: readonly AnalyzerType[];
  /** How often a batch is written (default 100 ms): rate × tick rows each time. */
  tickMs?: number;
  onBatch?: (insert: StreamedInsert, progress: StreamProgress) => void;
};

export type StreamReport = StreamProgress & { inserts: StreamedInsert[] };

const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Writes re-runs of random corpus tracks (see corpusReruns) at `rate` per second: each tick writes
 * the rows due by then, so a slow write is caught up on the next, and the last tick tops the
 * count up to rate × duration. Resolves with every insert's times and ids when the duration ends
 * or the signal aborts; a refused or failed write rejects.
 */
export async function streamAnalyses(options: StreamOptions): Promise<StreamReport> {
  const { rate, signal } = options;
  if (!(rate > 0)) throw new RangeError(`rate must be a positive number of analyses per second, got ${rate}`);
  const sink = options.sink ?? databaseSink(options.sql);
  const next = corpusReruns({
    corpus: options.corpus ?? loadConfig().corpus,
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
    ...(options.analyzers ? { analyzers: options.analyzers } : {}),
  });
  const durationMs = options.durationMs ?? Number.POSITIVE_INFINITY;
  const tickMs = options.tickMs ?? 100;
  const inserts: StreamedInsert[] = [];
  const started = performance.now();
  let rows = 0;
  const progress = (): StreamProgress => {
    const elapsedMs = Math.min(performance.now() - started, durationMs);
    return { rows, elapsedMs, ratePerSecond: elapsedMs > 0 ? (rows * 1000) / elapsedMs : 0 };
  };
  while (!signal?.aborted) {
    const elapsed = Math.min(performance.now() - started, durationMs);
    const due = Math.min(Math.floor((rate * elapsed) / 1000) - rows, MAX_BATCH_ROWS);
    if (due > 0) {
      const analyses = next(due);
      const startedAt = epochMs();
      const result = await sink({ analyses });
      const insert: StreamedInsert = {
        startedAt,
        committedAt: epochMs(),
        ids: result.analyses.ids,
        trackIds: analyses.map((a) => a.track_id),
        analyzers: analyses.map((a) => a.analyzer_type),
        createdAt: result.analyses.createdAt,
      };
      inserts.push(insert);
      rows += due;
      options.onBatch?.(insert, progress());
    }
    if (elapsed >= durationMs && Math.floor((rate * durationMs) / 1000) <= rows) break;
    const wait = Math.min(tickMs, Math.max(0, durationMs - (performance.now() - started)));
    await sleep(wait, undefined, { signal }).catch(() => undefined);
  }
  return { ...progress(), inserts };
}
