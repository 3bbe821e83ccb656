import { RapFSError } from "./errors";

/** `json` is NDJSON: one object per row, with the JSON API's types. */
export type DownloadFormat = "parquet" | "csv" | "arrow" | "json";

export interface DownloadProgress {
  /** Bytes received so far. */
  bytes: number;
  /** The file's size, when the server knew it up front (a file already prepared). */
  totalBytes: number | undefined;
  /** Rows in the file, from `Rapfs-Rows`: sent when known before the answer (a training set's, a written file's). */
  rows: number | undefined;
}

/** What the response headers say about the file. */
export interface DownloadInfo {
  format: DownloadFormat;
  contentType: string | undefined;
  filename: string | undefined;
  rows: number | undefined;
  /** The data version read; a repeat of the same download names the same one. */
  version: string | undefined;
  /** Send as `If-Range` with a `Range` header to resume these bytes. */
  etag: string | undefined;
  /** False for a repeat of a download already charged to the key's quota today. */
  charged: boolean | undefined;
}

/**
 * A file from the server, requested when first used: `await` it for a web `ReadableStream`,
 * or call `toArrowTable()` (needs the optional peer `apache-arrow`), `toFile(path)` (Node, Deno
 * and Bun), `text()` or `bytes()`. Each download can be consumed once.
 */
export class DatasetDownload implements PromiseLike<ReadableStream<Uint8Array>> {
  #response: Promise<Response> | undefined;
  #consumed = false;
  #format: DownloadFormat | undefined;

  /** `format` undefined: Parquet (the server's default), or Arrow when `toArrowTable()` comes first. */
  constructor(
    format: DownloadFormat | undefined,
    private readonly send: (format: DownloadFormat) => Promise<Response>,
    private readonly onProgress?: (progress: DownloadProgress) => void,
  ) {
    this.#format = format;
  }

  get format(): DownloadFormat {
    return this.#format ?? "parquet";
  }

  /** The raw response, body unread (sends the request if it has not been sent). */
  response(): Promise<Response> {
    this.#response ??= this.send(this.format);
    return this.#response;
  }

  async info(): Promise<DownloadInfo> {
    const { headers } = await this.response();
    const rows = headers.get("rapfs-rows");
    const charged = headers.get("rapfs-download-charged");
    return {
      format: this.format,
      contentType: headers.get("content-type") ?? undefined,
      filename: /filename="([^"]+)"/.exec(headers.get("content-disposition") ?? "")?.[1],
      rows: rows === null ? undefined : Number(rows),
      version: headers.get("rapfs-dataset-version") ?? undefined,
      etag: headers.get("etag") ?? undefined,
      charged: charged === null ? undefined : charged === "true",
    };
  }

  /** The body as a stream of bytes, reporting progress as it is read. */
  async stream(): Promise<ReadableStream<Uint8Array>> {
    if (this.#consumed) throw new RapFSError("This download has already been read; start a new one.");
    this.#consumed = true;
    const response = await this.response();
    const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    const report = this.onProgress;
    if (!report) return body;
    const length = response.headers.get("content-length");
    const rows = response.headers.get("rapfs-rows");
    let bytes = 0;
    const progress = () => ({
      bytes,
      totalBytes: length === null ? undefined : Number(length),
      rows: rows === null ? undefined : Number(rows),
    });
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
          report(progress());
        },
        flush() {
          if (bytes === 0) report(progress());
        },
      }),
    );
  }

  // biome-ignore lint/suspicious/noThenProperty: awaiting a download gives its stream.
  then<R1 = ReadableStream<Uint8Array>, R2 = never>(
    onfulfilled?: ((stream: ReadableStream<Uint8Array>) => R1 | PromiseLike<R1>) | null,
    // biome-ignore lint/suspicious/noExplicitAny: the same signature as Promise#then.
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.stream().then(onfulfilled, onrejected);
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await new Response(await this.stream()).arrayBuffer());
  }

  async text(): Promise<string> {
    return new Response(await this.stream()).text();
  }

  /**
   * The file as an Arrow `Table`. Needs `apache-arrow` installed (an optional peer dependency).
   * The `arrow` format (the default for this method) is decoded batch by batch as the stream
   * arrives; a `parquet` download is read whole, then decoded by `parquet-wasm` (another
   * optional peer). Typed as an `ArrowTableLike`, so a project without apache-arrow compiles;
   * `toArrowTable<Table>()` (Table from apache-arrow) gives the full type.
   */
  async toArrowTable<T = ArrowTableLike>(): Promise<T> {
    if (this.#format === undefined && this.#response === undefined) this.#format = "arrow";
    if (this.format === "parquet") {
      const [arrow, parquet] = await Promise.all([importArrow(), importParquet()]);
      return arrow.tableFromIPC(parquet.readParquet(await this.bytes()).intoIPCStream()) as T;
    }
    if (this.format !== "arrow") {
      throw new RapFSError(
        `toArrowTable() reads the arrow and parquet formats; this download is ${this.format}.`,
      );
    }
    const arrow = await importArrow();
    const reader = await arrow.RecordBatchReader.from(await this.stream());
    const batches: import("apache-arrow").RecordBatch[] = [];
    for await (const batch of reader) batches.push(batch);
    return new arrow.Table(reader.schema, batches) as T;
  }

  /**
   * The rows of an NDJSON download (`json`, the default for this method), each parsed as its line
   * arrives: memory holds one chunk, however large the file.
   *
   *   for await (const row of fs.datasets.download("public").records()) console.log(row.track_id);
   */
  async *records<T = Record<string, unknown>>(): AsyncGenerator<T> {
    if (this.#format === undefined && this.#response === undefined) this.#format = "json";
    if (this.format !== "json") {
      throw new RapFSError(`records() reads the json format; this download is ${this.format}.`);
    }
    const reader = (await this.stream()).getReader();
    const decoder = new TextDecoder();
    let held = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        held += decoder.decode(value, { stream: true });
        let end = held.indexOf("\n");
        while (end >= 0) {
          const line = held.slice(0, end);
          held = held.slice(end + 1);
          if (line.trim() !== "") yield JSON.parse(line) as T;
          end = held.indexOf("\n");
        }
      }
      held += decoder.decode();
      if (held.trim() !== "") yield JSON.parse(held) as T;
    } finally {
      reader.releaseLock();
    }
  }

  /**
   * Writes the file to `path` as it arrives (to `path.partial`, renamed when complete, so a
   * failed download never leaves a truncated file under the real name). Node, Deno and Bun.
   * Returns the bytes written.
   */
  async toFile(path: string): Promise<number> {
    const fs = await nodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
    const partial = `${path}.partial`;
    const handle = await fs.open(partial, "w");
    let written = 0;
    try {
      const reader = (await this.stream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await handle.write(value);
        written += value.byteLength;
      }
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.rm(partial, { force: true }).catch(() => {});
      throw error;
    }
    await handle.close();
    await fs.rename(partial, path);
    return written;
  }
}

/**
 * What toArrowTable's result offers without apache-arrow's types, which would make this package's
 * declarations need an optional dependency: `toArrowTable<Table>()` gives apache-arrow's own.
 */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly numCols: number;
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> };
  /** The i-th row; `toJSON()` gives it as a plain object. */
  get(index: number): { toJSON(): Record<string, unknown> } | null;
  /** One column by name: `toArray()` its values. */
  getChild(
    name: string,
  ): { readonly length: number; get(index: number): unknown; toArray(): ArrayLike<unknown> } | null;
  toArray(): Array<{ toJSON(): Record<string, unknown> }>;
  [Symbol.iterator](): Iterator<{ toJSON(): Record<string, unknown> }>;
}

/** The parts of parquet-wasm this SDK uses (its own types stay out of the SDK's declarations). */
type ParquetWasm = {
  default?: unknown;
  readParquet(file: Uint8Array): { intoIPCStream(): Uint8Array };
};

async function importParquet(): Promise<ParquetWasm> {
  let parquet: ParquetWasm;
  try {
    parquet = (await import(/* @vite-ignore */ "parquet-wasm")) as unknown as ParquetWasm;
  } catch (error) {
    throw new RapFSError(
      "toArrowTable() on a Parquet download needs parquet-wasm: npm install parquet-wasm",
      {
        cause: error,
      },
    );
  }
  // The browser build fetches its WebAssembly first; Node's is ready on import (and has no default).
  if (typeof parquet.default === "function") await (parquet.default as () => Promise<unknown>)();
  return parquet;
}

async function importArrow(): Promise<typeof import("apache-arrow")> {
  try {
    return await import("apache-arrow");
  } catch (error) {
    throw new RapFSError("toArrowTable() needs apache-arrow: npm install apache-arrow", { cause: error });
  }
}

/**
 * A Node built-in, found at run time so the SDK's bundle imports none and stays loadable in
 * browsers and edge runtimes: `process.getBuiltinModule` (Node ≥ 20.16, Deno, Bun), else an
 * import by a computed name that bundlers leave alone (older Node 20).
 */
async function nodeBuiltin<T>(name: string): Promise<T> {
  const proc = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }
  ).process;
  const found = typeof proc?.getBuiltinModule === "function" ? proc.getBuiltinModule(name) : undefined;
  if (found) return found as T;
  if (proc?.versions?.node) return (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as T;
  throw new RapFSError(`toFile() needs a runtime with ${name} (Node, Deno or Bun).`);
}
