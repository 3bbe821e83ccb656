import { parentPort } from "node:worker_threads";
import * as parquet from "parquet-wasm";
import { runAsBulkWork } from "./bulk-thread";
import { ipcStream } from "./ipc-messages";
import type { ParquetSettings, ToEncoder, ToMain } from "./parquet-messages";

/**
 * A Parquet encoder thread: for each file it is started on, parquet-wasm's transformParquetStream
 * over the record batches the main thread sends as Arrow IPC messages (the schema's once), one
 * when asked for; each row group's bytes go back as they are written, then `done`, and the thread
 * waits for the next file.
 * parquet-wasm writes a batch in one WebAssembly call (200-480 ms for a batch of public, profiled
 * under pnpm bench hostile), which on the main thread held every other request for as long.
 * The thread runs as bulk work (a lower CPU priority than the threads answering requests).
 */
const port = parentPort;
if (!port) throw new Error("parquet-worker runs as a worker thread");
runAsBulkWork();
const send = (message: ToMain, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let answer: ((message: ToEncoder) => void) | undefined;
const waiting: ToEncoder[] = [];
// A message that cannot be read would leave the file waiting forever: the thread stops instead.
port.on("messageerror", (error) => {
  throw error;
});
port.on("message", (message: ToEncoder) => {
  if (answer) {
    const resolve = answer;
    answer = undefined;
    resolve(message);
  } else waiting.push(message);
});
const receive = () =>
  new Promise<ToEncoder>((resolve) => {
    const message = waiting.shift();
    if (message) resolve(message);
    else answer = resolve;
  });

async function encodeFile(settings: ParquetSettings, schema: Uint8Array): Promise<void> {
  // transformParquetStream ends the file normally when its input fails: the failure is kept and
  // thrown after it, so a file that lost rows fails instead of ending as a shorter valid one.
  let failure: { error: unknown } | undefined;
  const input = new ReadableStream({
    async pull(controller) {
      try {
        send({ kind: "pull" });
        const message = await receive();
        if (message.kind !== "batch") {
          controller.close();
          return;
        }
        const table = parquet.Table.fromIPCStream(ipcStream(schema, message.message));
        for (const batch of table.recordBatches()) controller.enqueue(batch);
        table.free();
      } catch (error) {
        failure = { error };
        controller.error(error);
      }
    },
  });
  let props = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression[settings.compression])
    .setMaxRowGroupSize(settings.rowGroupRows)
    .setCreatedBy("rapfs");
  if (settings.metadata) props = props.setKeyValueMetadata(new Map(Object.entries(settings.metadata)));
  const output = await parquet.transformParquetStream(input, props.build());
  for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
    const bytes = chunk.slice();
    send({ kind: "bytes", bytes }, [bytes.buffer as ArrayBuffer]);
  }
  if (failure) throw failure.error;
}

for (;;) {
  const message = await receive();
  if (message.kind !== "start") continue;
  try {
    await encodeFile(message.settings, message.schema);
    send({ kind: "done" });
  } catch (error) {
    send({ kind: "failed", message: (error as Error).message ?? String(error) });
  }
}
