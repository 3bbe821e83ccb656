import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { intIn, readEnv } from "../config/read-env";
import { DEFAULT_EXPORT_SETTINGS, type ExportSettings } from "./delivery/export";

export type DatasetConfig = ExportSettings & {
  /** Most (entity, timestamp) rows one training upload may hold. */
  trainingMaxRows: number;
  trainingMaxBytes: number;
  /** Parent directory of this process's spool of encoded downloads (kept for resumes). */
  spoolDir: string;
  spoolTtlSeconds: number;
  /** A new download is refused (503, Retry-After) while the spool holds this many bytes (0: no bound). */
  spoolMaxBytes: number;
  /** Downloads encoding at once per process; more wait in line, then get a 503 with Retry-After. */
  concurrentDownloads: number;
  /** How long a download or card waits in line for a slot before its 503 (0: refused at once). */
  slotWaitMs: number;
};

const schema = z.object({
  RAPFS_TRAINING_MAX_ROWS: intIn(1, 10_000_000, 100_000),
  RAPFS_TRAINING_MAX_BYTES: intIn(1_024, 1_073_741_824, 32 * 1024 * 1024),
  RAPFS_DOWNLOAD_BATCH_ROWS: intIn(100, 1_000_000, DEFAULT_EXPORT_SETTINGS.batchRows),
  RAPFS_DOWNLOAD_COPY_ROWS: intIn(100, 100_000_000, DEFAULT_EXPORT_SETTINGS.copyRows),
  RAPFS_PARQUET_ROW_GROUP_ROWS: intIn(1_000, 10_000_000, DEFAULT_EXPORT_SETTINGS.rowGroupRows),
  RAPFS_PARQUET_COMPRESSION: z.enum(["zstd", "snappy", "none"]).default(DEFAULT_EXPORT_SETTINGS.compression),
  RAPFS_SPOOL_DIR: z.string().min(1).optional(),
  RAPFS_SPOOL_TTL_SECONDS: intIn(0, 7 * 86_400, 3_600),
  RAPFS_SPOOL_MAX_BYTES: intIn(0, Number.MAX_SAFE_INTEGER, 0),
  RAPFS_DOWNLOAD_CONCURRENCY: intIn(1, 256, 4),
  RAPFS_DOWNLOAD_WAIT_SECONDS: intIn(0, 60, 5),
});

/** The datasets settings of the environment; every bad variable is named in one ConfigError. */
export function loadDatasetConfig(env: NodeJS.ProcessEnv = process.env): DatasetConfig {
  const e = readEnv(schema, env);
  return {
    trainingMaxRows: e.RAPFS_TRAINING_MAX_ROWS,
    trainingMaxBytes: e.RAPFS_TRAINING_MAX_BYTES,
    batchRows: e.RAPFS_DOWNLOAD_BATCH_ROWS,
    readRows: Math.min(DEFAULT_EXPORT_SETTINGS.readRows, e.RAPFS_DOWNLOAD_BATCH_ROWS),
    copyRows: e.RAPFS_DOWNLOAD_COPY_ROWS,
    rowGroupRows: e.RAPFS_PARQUET_ROW_GROUP_ROWS,
    compression: e.RAPFS_PARQUET_COMPRESSION,
    spoolDir: resolve(e.RAPFS_SPOOL_DIR ?? tmpdir()),
    spoolTtlSeconds: e.RAPFS_SPOOL_TTL_SECONDS,
    spoolMaxBytes: e.RAPFS_SPOOL_MAX_BYTES,
    concurrentDownloads: e.RAPFS_DOWNLOAD_CONCURRENCY,
    slotWaitMs: e.RAPFS_DOWNLOAD_WAIT_SECONDS * 1000,
  };
}
