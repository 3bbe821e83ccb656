import { AsyncByteQueue, RecordBatch, RecordBatchStreamWriter, type Schema } from "apache-arrow";

/** Collects what an Arrow IPC writer emits, so each message's bytes can be passed on as soon as it is written. */
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

/** One file's Arrow IPC stream cut at its messages: the schema's once, then each batch's alone. */
export type IpcMessages = {
  schema: Uint8Array;
  batch(batch: RecordBatch): Uint8Array;
};

/**
 * The IPC messages of a stream of `schema`'s batches. A schema carries every column's description
 * and source as field metadata, and the file's metadata: tableToIPC encoded it again with each
 * batch, most of the main thread's time for a Parquet batch (a block of 15–35 ms each, profiled
 * under pnpm bench hostile).
 */
export function ipcMessages(schema: Schema): IpcMessages {
  const sink = new Collector();
  const writer = new RecordBatchStreamWriter().reset(sink, schema);
  return {
    schema: Buffer.concat(sink.take()),
    batch(batch) {
      // Under the file's very schema: one the writer found different would make it end the stream
      // and start another inside this message.
      writer.write(batch.schema === schema ? batch : new RecordBatch(schema, batch.data));
      return Buffer.concat(sink.take());
    },
  };
}

/** The end-of-stream marker: a continuation token and a zero length. */
export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A whole IPC stream of one batch, from the file's schema message and that batch's message. */
export function ipcStream(schema: Uint8Array, batch: Uint8Array): Uint8Array {
  return Buffer.concat([schema, batch, END_OF_STREAM]);
}
