import type { Worker } from "node:worker_threads";
import { type Data, type RecordBatch, type Schema, vectorFromArray } from "apache-arrow";
import { startTypeScriptWorker } from "../../db/typescript-worker";
import { batchOf } from "./arrow";
import type { Batches, EncodeOptions } from "./encode";
import { ipcMessages } from "./ipc-messages";
import type { ParquetSettings, ToEncoder, ToMain } from "./parquet-messages";

const WORKER_ENTRY = new URL("./parquet-worker.ts", import.meta.url);

const COMPRESSION = { zstd: "ZSTD", snappy: "SNAPPY", none: "UNCOMPRESSED" } as const;

/** Row groups encoded but not yet taken by the reader before the encoder is given more rows. */
const AHEAD = 2;

/**
 * Parquet from `batches`, encoded on a thread of its own (parquet-worker.ts): parquet-wasm writes
 * a batch in one WebAssembly call of up to hundreds of milliseconds, which on the main thread held
 * every other request. The encoder is sent a batch only when it asks and fewer than AHEAD row
 * groups wait for the reader, so the output never holds much more than a row group or two. A
 * failure of the input fails the file (it is never ended early as a shorter valid one). A thread
 * that wrote its file whole waits for the next one; one left mid-file (a failure, a reader gone)
 * is stopped.
 */
export async function* encodeParquet(
  schema: Schema,
  batches: Batches,
  options: EncodeOptions,
): AsyncIterable<Uint8Array> {
  const settings: ParquetSettings = {
    compression: COMPRESSION[options.compression ?? "snappy"],
    rowGroupRows: options.rowGroupRows ?? 16_384,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
  // The writer emits the magic with the first row group: sent now, a reader has its first bytes
  // before a row group is encoded (a client timing out between bytes keeps waiting).
  yield PARQUET_MAGIC;
  const worker = await encoders.take();
  const iterator = batches[Symbol.asyncIterator]();
  const written: Uint8Array[] = [];
  let asked = false;
  let feeding = false;
  let emitted = false;
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const post = (message: ToEncoder, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
  const messages = ipcMessages(schema);
  const postBatch = (batch: RecordBatch) => {
    const message = messages.batch(batch);
    post({ kind: "batch", message }, [message.buffer as ArrayBuffer]);
  };
  const feed = async () => {
    if (!asked || feeding || written.length >= AHEAD) return;
    asked = false;
    feeding = true;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          // With no rows at all the writer still needs one (empty) batch to write the schema.
          if (!emitted) postBatch(emptyBatch(schema));
          post({ kind: "end" });
          return;
        }
        if (next.value.numRows === 0) continue;
        emitted = true;
        postBatch(next.value);
        return;
      }
    } catch (error) {
      failure ??= error;
      notify();
    } finally {
      feeding = false;
    }
  };
  const onMessage = (message: ToMain) => {
    if (message.kind === "pull") {
      asked = true;
      void feed();
    } else if (message.kind === "bytes") {
      written.push(message.bytes);
      notify();
    } else if (message.kind === "done") {
      done = true;
      notify();
    } else {
      failure ??= new Error(`Parquet encoding failed: ${message.message}`);
      notify();
    }
  };
  const onError = (error: unknown) => {
    failure ??= error;
    notify();
  };
  const onExit = (code: number) => {
    if (!done) failure ??= new Error(`the Parquet encoder stopped (exit code ${code})`);
    notify();
  };
  worker.on("message", onMessage).on("messageerror", onError).on("error", onError).on("exit", onExit);
  post({ kind: "start", settings, schema: messages.schema });
  let first = true;
  let whole = false;
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const chunk = written.shift();
      if (chunk) {
        void feed();
        if (first && !startsWithMagic(chunk)) throw new Error("parquet-wasm did not start with PAR1");
        yield first ? chunk.subarray(PARQUET_MAGIC.byteLength) : chunk;
        first = false;
        continue;
      }
      if (done) {
        whole = true;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    worker.off("message", onMessage).off("messageerror", onError).off("error", onError).off("exit", onExit);
    if (whole) encoders.give(worker);
    else await worker.terminate();
    if (!whole) await iterator.return?.();
  }
}

/** Encoder threads waiting for a file: at most IDLE_ENCODERS, none keeping the process alive. */
const IDLE_ENCODERS = 2;

const encoders = {
  idle: [] as Worker[],
  async take(): Promise<Worker> {
    let worker = this.idle.pop();
    if (!worker) {
      const started = await startTypeScriptWorker(WORKER_ENTRY, {});
      // One that stops while idle (a crash) is not handed out again.
      started.once("exit", () => {
        this.idle = this.idle.filter((w) => w !== started);
      });
      worker = started;
    }
    worker.ref();
    return worker;
  },
  give(worker: Worker): void {
    if (this.idle.length >= IDLE_ENCODERS) {
      void worker.terminate();
      return;
    }
    worker.unref();
    this.idle.push(worker);
  },
};

const PARQUET_MAGIC = new TextEncoder().encode("PAR1");
const startsWithMagic = (chunk: Uint8Array) =>
  chunk.byteLength >= PARQUET_MAGIC.byteLength && PARQUET_MAGIC.every((byte, i) => chunk[i] === byte);

function emptyBatch(schema: Schema): RecordBatch {
  // Built by arrow's builders, so nested types (lists, vectors) get their empty children too:
  // parquet-wasm refuses a list without one ("Dyn casting error").
  const children = schema.fields.map((f) => vectorFromArray([], f.type).data[0] as Data);
  return batchOf(schema, children, 0);
}
