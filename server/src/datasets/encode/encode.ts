import type { RecordBatch, Schema } from "apache-arrow";
import { nextTurn, SLICE_MS } from "../../values/turns";
import { Utf8Pieces } from "../../values/utf8-pieces";
import type { OutputColumn } from "../plan/columns";
import { csvHeader, csvRecords } from "./csv";
import type { DownloadFormat } from "./formats";
import { END_OF_STREAM, ipcMessages } from "./ipc-messages";
import { ndjsonRecords } from "./ndjson";
import { encodeParquet } from "./parquet";

/** Formats encoded from pages of rows; the others from Arrow record batches. */
export type RowFormat = Extract<DownloadFormat, "csv" | "json">;
export const isRowFormat = (format: DownloadFormat): format is RowFormat =>
  format === "csv" || format === "json";

export type ParquetCompression = "zstd" | "snappy" | "none";

export type EncodeOptions = {
  /** Parquet key-value metadata (Arrow files carry it in their schema). */
  metadata?: Record<string, string>;
  rowGroupRows?: number;
  compression?: ParquetCompression;
};

/** A page of rows: value arrays in column order. */
export type Pages = AsyncIterable<unknown[][]>;
/** Columnar batches, all of one schema. */
export type Batches = AsyncIterable<RecordBatch>;

/**
 * Arrow IPC or Parquet from batches of `schema` (the very object the batches carry, so the IPC
 * writer never sees a schema change); the output never holds more than a row group.
 */
export function encodeBatches(
  format: Exclude<DownloadFormat, RowFormat>,
  schema: Schema,
  batches: Batches,
  options: EncodeOptions = {},
): AsyncIterable<Uint8Array> {
  if (format === "arrow") return coalesce(encodeArrow(schema, batches));
  return encodeParquet(schema, batches, options);
}

/**
 * CSV (with its header) or NDJSON from pages of rows, a slice at a time: as many rows as were
 * encoded in about SLICE_MS last time, then a turn of the event loop for other requests. A page
 * (8,192 rows of every feature) encoded in one go held the loop for tens of milliseconds. The
 * text goes to UTF-8 through `pieces` (`pnpm bench encode` passes the former whole-slice one).
 */
export async function* encodeRows(
  format: RowFormat,
  columns: OutputColumn[],
  pages: Pages,
  pieces = new Utf8Pieces(),
): AsyncIterable<Uint8Array> {
  const records = format === "csv" ? csvRecords : ndjsonRecords;
  if (format === "csv") yield Buffer.from(csvHeader(columns), "utf8");
  let sliceRows = FIRST_SLICE_ROWS;
  for await (const rows of pages) {
    for (let at = 0; at < rows.length; ) {
      const started = performance.now();
      const slice = rows.slice(at, at + sliceRows);
      records(columns, slice, pieces);
      const bytes = pieces.take();
      at += slice.length;
      sliceRows = nextSliceRows(sliceRows, performance.now() - started);
      yield bytes;
      await nextTurn();
    }
  }
}

const FIRST_SLICE_ROWS = 128;

/** Rows for the next slice to take about SLICE_MS, from how long `rows` took; it at most doubles. */
function nextSliceRows(rows: number, ms: number): number {
  const fitting = Math.floor((rows * SLICE_MS) / Math.max(ms, 0.05));
  return Math.max(16, Math.min(rows * 2, fitting, 8_192));
}

async function* encodeArrow(schema: Schema, batches: Batches) {
  const messages = ipcMessages(schema);
  yield messages.schema;
  for await (const batch of batches) {
    if (batch.numRows > 0) yield messages.batch(batch);
  }
  yield END_OF_STREAM;
}

/** Joins small chunks (the IPC writer emits a few bytes at a time) into writes of ~256 KiB. */
async function* coalesce(chunks: AsyncIterable<Uint8Array>, size = 256 * 1024): AsyncIterable<Uint8Array> {
  let held: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of chunks) {
    held.push(chunk);
    bytes += chunk.byteLength;
    if (bytes >= size) {
      yield Buffer.concat(held);
      held = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield Buffer.concat(held);
}
