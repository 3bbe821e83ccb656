import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { type Table, tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse";
import * as parquet from "parquet-wasm";
import type { IngestTable } from "./columns";
import { type CellSource, rowFromCells } from "./file-cells";
import type { IngestFormat } from "./formats";

/** Where a row is in its file: a line (CSV, NDJSON; a CSV record's first line) or a Parquet row. */
export type Place = { unit: "line" | "row"; number: number };
export type PlacedProblem = { place: Place; field: string | null; detail: string };

/** Rows read from a file, each with its place, and the cells that could not be read at all. */
export type FileBatch = { rows: Record<string, unknown>[]; places: Place[]; problems: PlacedProblem[] };

export type FileReading = {
  /** What `done` and `total` count for a progress bar. */
  unit: "bytes" | "rows";
  total: number;
  /** Batches of at most `batchRows` rows, each with how far into the file it reaches. */
  batches(): AsyncGenerator<FileBatch & { done: number }>;
};

/** A file that cannot be read as its format (a CSV quote never closed, not a Parquet file). */
export class IngestFileError extends Error {
  override name = "IngestFileError";
  constructor(
    message: string,
    readonly place?: Place,
  ) {
    super(message);
  }
}

export async function openIngestFile(
  path: string,
  options: { format: IngestFormat; table: IngestTable; batchRows: number },
): Promise<FileReading> {
  const { format } = options;
  if (format === "parquet") return parquetReading(await readFile(path), options);
  const { size } = await stat(path);
  return { unit: "bytes", total: size, batches: () => textBatches(path, options) };
}

type FileRecord =
  | { cells: Record<string, unknown>; place: Place; done: number }
  | { error: PlacedProblem; done: number };

async function* textBatches(
  path: string,
  options: { format: IngestFormat; table: IngestTable; batchRows: number },
): AsyncGenerator<FileBatch & { done: number }> {
  const records = options.format === "csv" ? csvRecords(path) : ndjsonRecords(path);
  yield* batched(records, options.format === "csv" ? "text" : "json", options);
}

async function* batched(
  records: AsyncIterable<FileRecord>,
  source: CellSource,
  options: { table: IngestTable; batchRows: number },
): AsyncGenerator<FileBatch & { done: number }> {
  let batch: FileBatch & { done: number } = { rows: [], places: [], problems: [], done: 0 };
  for await (const record of records) {
    batch.done = record.done;
    if ("error" in record) batch.problems.push(record.error);
    else {
      const { row, problems } = rowFromCells(options.table, record.cells, source);
      batch.rows.push(row);
      batch.places.push(record.place);
      for (const p of problems)
        batch.problems.push({ place: record.place, field: p.field, detail: p.detail });
    }
    if (batch.rows.length >= options.batchRows) {
      yield batch;
      batch = { rows: [], places: [], problems: [], done: batch.done };
    }
  }
  if (batch.rows.length > 0 || batch.problems.length > 0) yield batch;
}

async function* csvRecords(path: string): AsyncGenerator<FileRecord> {
  const parser = createReadStream(path).pipe(
    parse({ bom: true, columns: true, info: true, raw: true, skip_empty_lines: true }),
  );
  try {
    for await (const entry of parser as AsyncIterable<CsvEntry>) {
      // `lines` is where the record ends; a lyrics cell may have carried it over several.
      const inside =
        entry.raw
          .replace(/^[\r\n]+/, "")
          .replace(/\r?\n$/, "")
          .split("\n").length - 1;
      const place: Place = { unit: "line", number: entry.info.lines - inside };
      yield { cells: entry.record, place, done: entry.info.bytes };
    }
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new IngestFileError(
      `not readable as CSV: ${e.message}`,
      e.lines === undefined ? undefined : { unit: "line", number: e.lines },
    );
  }
}

type CsvEntry = { record: Record<string, string>; raw: string; info: { lines: number; bytes: number } };

async function* ndjsonRecords(path: string): AsyncGenerator<FileRecord> {
  const stream = createReadStream(path);
  let number = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    number++;
    if (line.trim() === "") continue;
    const place: Place = { unit: "line", number };
    const done = stream.bytesRead;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      yield {
        error: { place, field: null, detail: `is not valid JSON (${(error as Error).message})` },
        done,
      };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value))
      yield { error: { place, field: null, detail: "is not a JSON object" }, done };
    else yield { cells: value as Record<string, unknown>, place, done };
  }
}

function parquetReading(bytes: Uint8Array, options: { table: IngestTable; batchRows: number }): FileReading {
  let table: Table;
  try {
    table = tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
  } catch (error) {
    throw new IngestFileError(`not readable as Parquet: ${(error as Error).message}`);
  }
  const names = table.schema.fields.map((field) => field.name);
  const columns = names.map((name) => table.getChild(name));
  async function* records(): AsyncGenerator<FileRecord> {
    for (let i = 0; i < table.numRows; i++) {
      const cells: Record<string, unknown> = {};
      names.forEach((name, c) => {
        cells[name] = columns[c]?.get(i);
      });
      yield { cells, place: { unit: "row", number: i + 1 }, done: i + 1 };
    }
  }
  return { unit: "rows", total: table.numRows, batches: () => batched(records(), "arrow", options) };
}
