import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { DataType, RecordBatch, Schema } from "apache-arrow";
import { CopyBinaryReader } from "../../db/copy-binary";
import { turnsEvery } from "../../values/turns";
import type { OutputColumn } from "../plan/columns";
import { batchOf } from "./arrow";
import { columnBuilder } from "./column-builders";

/**
 * Arrow RecordBatches of about `batchRows` rows from a `COPY … TO STDOUT (format binary)`
 * stream whose fields are `columns`' wire types (see valueSql).
 *
 * The stream's chunks are parsed a slice of the event loop at a time: a server database sends them
 * faster than they are parsed, and an async iterator hands over what is buffered without a turn,
 * so a range was parsed in 30–65 ms blocks while lookups waited.
 *
 * If the consumer stops early, the rest of the COPY is read and dropped: the connection cannot
 * serve the transaction's next statement until its COPY has ended, and a destroyed stream
 * would leave postgres.js paused on the socket for good.
 */
export async function* copyBatches(
  readable: Readable,
  schema: Schema,
  columns: OutputColumn[],
  batchRows: number,
): AsyncIterable<RecordBatch> {
  const builders = columns.map((c, j) => columnBuilder(c, schema.fields[j]?.type as DataType));
  const reader = new CopyBinaryReader(builders);
  let buffered = 0;
  const flush = () => {
    const batch = batchOf(
      schema,
      builders.map((b) => b.finish()),
      buffered,
    );
    buffered = 0;
    return batch;
  };
  const turn = turnsEvery();
  let done = false;
  try {
    for await (const chunk of readable.iterator({ destroyOnReturn: false })) {
      reader.push(chunk as Buffer);
      for (;;) {
        buffered += reader.read(batchRows - buffered);
        if (buffered < batchRows) break;
        yield flush();
      }
      await turn();
    }
    reader.end();
    done = true;
    if (buffered > 0) yield flush();
  } finally {
    if (!done && !readable.destroyed && !readable.readableEnded) {
      readable.resume();
      await finished(readable).catch(() => {});
    }
  }
}
