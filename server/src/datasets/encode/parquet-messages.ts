/** How one file is written (parquet-worker.ts). */
export type ParquetSettings = {
  compression: "ZSTD" | "SNAPPY" | "UNCOMPRESSED";
  rowGroupRows: number;
  metadata?: Record<string, string>;
};

/**
 * From the main thread: a new file with its schema's Arrow IPC message, its next record batch's
 * IPC message, or its input's end.
 */
export type ToEncoder =
  | { kind: "start"; settings: ParquetSettings; schema: Uint8Array }
  | { kind: "batch"; message: Uint8Array }
  | { kind: "end" };

/** From the encoder: a request for the next batch, the file's bytes as written, its end or failure. */
export type ToMain =
  | { kind: "pull" }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "done" }
  | { kind: "failed"; message: string };
