import {
  AsyncByteQueue,
  type Data,
  type RecordBatch,
  RecordBatchStreamWriter,
  type Schema,
  Table,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import * as parquet from "parquet-wasm";
import { nextTurn, SLICE_MS } from "../../values/turns";
import type { OutputColumn } from "../plan/columns";
import { batchOf } from "./arrow";
import { csvHeader, csvRecords } from "./csv";
import type { DownloadFormat } from "./formats";
import { ndjsonRecords } from "./ndjson";

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
 * (8,192 rows of every feature) encoded in one go held the loop for tens of milliseconds.
 */
export async function* encodeRows(
  format: RowFormat,
  columns: OutputColumn[],
  pages: Pages,
): AsyncIterable<Uint8Array> {
  const records = format === "csv" ? csvRecords : ndjsonRecords;
  if (format === "csv") yield Buffer.from(csvHeader(columns), "utf8");
  let sliceRows = FIRST_SLICE_ROWS;
  for await (const rows of pages) {
    for (let at = 0; at < rows.length; ) {
      const started = performance.now();
      const slice = rows.slice(at, at + sliceRows);
      const bytes = Buffer.from(records(columns, slice), "utf8");
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

/** Collects what the IPC writer emits, so each batch's bytes can be passed on as soon as it is written. */
class Collector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: ArrayBufferView | ArrayBuffer): void {
    const bytes = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : new Uint8Array(value);
    if (bytes.byteLength > 0) this.chunks.push(bytes.slice());
  }
  take(): Uint8Array[] {
    const taken = this.chunks;
    this.chunks = [];
    return taken;
  }
}

async function* encodeArrow(schema: Schema, batches: Batches) {
  const sink = new Collector();
  const writer = new RecordBatchStreamWriter().reset(sink, schema);
  yield* sink.take();
  for await (const batch of batches) {
    if (batch.numRows === 0) continue;
    writer.write(batch);
    yield* sink.take();
  }
  writer.finish();
  yield* sink.take();
}

const COMPRESSION: Record<ParquetCompression, parquet.Compression> = {
  zstd: parquet.Compression.ZSTD,
  snappy: parquet.Compression.SNAPPY,
  none: parquet.Compression.UNCOMPRESSED,
};

/**
 * parquet-wasm's transformParquetStream pulls RecordBatches and emits each row group once it is
 * full, so only one row group is ever buffered. Batches cross into WebAssembly as IPC bytes; the
 * wasm table is freed at once (WebAssembly memory never shrinks, so a leak there would grow RSS).
 */
async function* encodeParquet(schema: Schema, batches: Batches, options: EncodeOptions) {
  const iterator = batches[Symbol.asyncIterator]();
  let emitted = false;
  const toWasm = (batch: RecordBatch) => {
    const table = parquet.Table.fromIPCStream(tableToIPC(new Table([batch])));
    const wasmBatches = table.recordBatches();
    table.free();
    return wasmBatches;
  };
  // transformParquetStream ends the file normally when its input errors, so a failure is kept
  // here and rethrown: a download that lost rows must fail, not end as a shorter valid file.
  let failure: { error: unknown } | undefined;
  const input = new ReadableStream({
    async pull(controller) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await iterator.next();
      } catch (error) {
        failure = { error };
        controller.error(error);
        return;
      }
      if (next.done) {
        // With no rows at all the writer still needs one (empty) batch to write the schema.
        if (!emitted) for (const b of toWasm(emptyBatch(schema))) controller.enqueue(b);
        controller.close();
        return;
      }
      if (next.value.numRows === 0) return;
      emitted = true;
      for (const b of toWasm(next.value)) controller.enqueue(b);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  let props = new parquet.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[options.compression ?? "snappy"])
    .setMaxRowGroupSize(options.rowGroupRows ?? 16_384)
    .setCreatedBy("rapfs");
  if (options.metadata) props = props.setKeyValueMetadata(new Map(Object.entries(options.metadata)));
  // The writer emits the magic with the first row group: sent now, a reader has its first bytes
  // before a row group is encoded (a client timing out between bytes keeps waiting).
  yield PARQUET_MAGIC;
  const output = await parquet.transformParquetStream(input, props.build());
  let first = true;
  for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
    if (failure) break;
    if (first && !startsWithMagic(chunk)) throw new Error("parquet-wasm did not start with PAR1");
    yield first ? chunk.subarray(PARQUET_MAGIC.byteLength) : chunk;
    first = false;
  }
  if (failure) throw failure.error;
}

const PARQUET_MAGIC = new TextEncoder().encode("PAR1");
const startsWithMagic = (chunk: Uint8Array) =>
  chunk.byteLength >= PARQUET_MAGIC.byteLength && PARQUET_MAGIC.every((byte, i) => chunk[i] === byte);

function emptyBatch(schema: Schema): RecordBatch {
  // Built by arrow's builders, so nested types (lists, vectors) get their empty children too:
  // parquet-wasm refuses a list without one ("Dyn casting error").
  const children = schema.fields.map((f) => vectorFromArray([], f.type).data[0] as Data);
  return batchOf(schema, children, 0);
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
