import { parentPort, workerData } from "node:worker_threads";
import * as parquet from "parquet-wasm";
import type { ParquetSettings, ToEncoder, ToMain } from "./parquet-messages";

/**
 * A Parquet encoder thread: parquet-wasm's transformParquetStream over the record batches the
 * main thread sends as Arrow IPC bytes, one when asked for; each row group's bytes go back as they
 * are written. A row group is one WebAssembly call of hundreds of milliseconds (16,384 rows of
 * public: 200-480 ms, profiled under pnpm bench hostile), which on the main thread held every
 * other request for as long.
 */
const settings = workerData as ParquetSettings;
const port = parentPort;
if (!port) throw new Error("parquet-worker runs as a worker thread");
const send = (message: ToMain, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let answer: ((message: ToEncoder) => void) | undefined;
port.on("message", (message: ToEncoder) => answer?.(message));
const next = () =>
  new Promise<ToEncoder>((resolve) => {
    answer = resolve;
    send({ kind: "pull" });
  });

const input = new ReadableStream({
  async pull(controller) {
    const message = await next();
    if (message.kind === "end") {
      controller.close();
      return;
    }
    const table = parquet.Table.fromIPCStream(message.ipc);
    for (const batch of table.recordBatches()) controller.enqueue(batch);
    table.free();
  },
});

let props = new parquet.WriterPropertiesBuilder()
  .setCompression(parquet.Compression[settings.compression])
  .setMaxRowGroupSize(settings.rowGroupRows)
  .setCreatedBy("rapfs");
if (settings.metadata) props = props.setKeyValueMetadata(new Map(Object.entries(settings.metadata)));

try {
  const output = await parquet.transformParquetStream(input, props.build());
  for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
    const bytes = chunk.slice();
    send({ kind: "bytes", bytes }, [bytes.buffer as ArrayBuffer]);
  }
  send({ kind: "done" });
} catch (error) {
  send({ kind: "failed", message: (error as Error).message ?? String(error) });
}
