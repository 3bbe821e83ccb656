import { isUtf8 } from "node:buffer";
import { type DataType, Type, tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse/sync";
import * as parquet from "parquet-wasm";
import { turnsEvery } from "../../values/turns";
import { describeByte, firstInvalidUtf8 } from "../../values/utf8";
import { datasetError } from "../errors";

/** An upload read into columns; each value as its format gave it. */
export type UploadTable = {
  columns: string[];
  rows: number;
  values: Map<string, unknown[]>;
  /** Types the file declared (Parquet), by column; JSON and CSV declare none. */
  types: Map<string, "int" | "float" | "bool" | "string" | "timestamp" | "other">;
  /** Every value is text (CSV): a value's type is what it reads as. JSON's values have theirs. */
  textual?: boolean;
};

export type UploadFormat = "json" | "csv" | "parquet";

/** The upload format of a Content-Type, or undefined (a 415). */
export function uploadFormat(contentType: string | undefined): UploadFormat | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "text/csv") return "csv";
  if (type === "application/vnd.apache.parquet" || type === "application/x-parquet") return "parquet";
  return undefined;
}

/**
 * How many rows an upload holds, without reading them: a CSV's records (newlines outside quotes,
 * less the header and blank lines), a Parquet file's footer, a JSON array's length. Quotas and
 * the row cap are checked on it before any parse (a 100,000-row CSV took 3.4 s to parse before
 * its 403). Read a slice at a time (values/turns.ts): a free key's 3 MB of CSV, counted in one
 * go, held the event loop for 20-60 ms under load. Undefined when the file is not readable that
 * far (the parse then says why).
 */
export async function uploadRowCount(format: UploadFormat, body: unknown): Promise<number | undefined> {
  if (format === "json") {
    if (body instanceof Uint8Array) return jsonRecords(body);
    const rows = Array.isArray(body) ? body : (body as { rows?: unknown } | null)?.rows;
    return Array.isArray(rows) ? rows.length : undefined;
  }
  const bytes = body as Uint8Array;
  if (format === "csv") return (await csvRecords(bytes)) - 1;
  try {
    const file = await parquet.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    return file.metadata().fileMetadata().numRows();
  } catch {
    return undefined;
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const ROWS_KEY = [0x72, 0x6f, 0x77, 0x73]; // rows

/** Bytes read between looks at the clock, which yields a turn once SLICE_MS has passed. */
const STEP_BYTES = 64 * 1024;

/**
 * For a loop over bytes: the turn to await at offset `at` (values/turns.ts), looked for once every
 * STEP_BYTES; undefined otherwise, so the loop awaits nothing per byte.
 */
function turnsAlong(): (at: number) => Promise<void> | undefined {
  const turn = turnsEvery();
  let look = STEP_BYTES;
  return (at) => {
    if (at < look) return undefined;
    look = at + STEP_BYTES;
    return turn();
  };
}

/**
 * The rows of a JSON upload (`[...]` or `{"rows": [...]}`) read from its bytes in one pass, without
 * parsing: the values of the rows array, counted by the commas between them outside strings.
 * Undefined when the body has no such array (the parse then says why).
 */
async function jsonRecords(bytes: Uint8Array): Promise<number | undefined> {
  const turnAt = turnsAlong();
  let depth = 0;
  let rowsDepth = -1; // the depth inside the rows array once it is open
  let keyStart = -1;
  let keyEnd = -1;
  let key = false;
  let rows = 0;
  let empty = true;
  for (let i = 0; i < bytes.length; i++) {
    const wait = turnAt(i);
    if (wait) await wait;
    const byte = bytes[i] as number;
    if (byte === QUOTE) {
      const start = i;
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      if (depth === 1) [keyStart, keyEnd] = [start + 1, i];
      if (depth === rowsDepth) empty = false;
    } else if (byte === COLON && depth === 1) {
      key = keyEnd - keyStart === 4 && ROWS_KEY.every((b, k) => bytes[keyStart + k] === b);
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (depth === rowsDepth) empty = false;
      depth++;
      if (rowsDepth < 0 && byte === OPEN_ARRAY && (depth === 1 || (depth === 2 && key))) {
        rowsDepth = depth;
        empty = true;
      }
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      if (depth === rowsDepth) return empty ? 0 : rows + 1;
      depth--;
    } else if (depth === rowsDepth && byte === COMMA) rows++;
    else if (depth === rowsDepth && byte > 0x20) empty = false;
  }
  return rowsDepth < 0 ? undefined : empty ? 0 : rows + 1;
}

/** Non-blank records of RFC 4180 text (a quoted field may hold newlines), in one pass over bytes. */
function csvRecords(bytes: Uint8Array): Promise<number> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.indexOf(QUOTE) < 0 ? unquotedCsvRecords(buffer) : quotedCsvRecords(bytes);
}

/**
 * The same count where no field is quoted, so every LF ends a line: found with Buffer.indexOf
 * (native), where the byte loop held the main thread for tens of milliseconds on a free key's
 * 100,000-row upload (issue #38).
 */
async function unquotedCsvRecords(buffer: Buffer): Promise<number> {
  const turnAt = turnsAlong();
  let records = 0;
  for (let start = 0; start < buffer.length; ) {
    const wait = turnAt(start);
    if (wait) await wait;
    const lf = buffer.indexOf(LF, start);
    const end = lf < 0 ? buffer.length : lf;
    // A line of nothing but CRs is blank.
    for (let i = start; i < end; i++) {
      if (buffer[i] !== CR) {
        records++;
        break;
      }
    }
    start = end + 1;
  }
  return records;
}

async function quotedCsvRecords(bytes: Uint8Array): Promise<number> {
  const turnAt = turnsAlong();
  let records = 0;
  let quoted = false;
  let blank = true;
  for (let i = 0; i < bytes.length; i++) {
    const wait = turnAt(i);
    if (wait) await wait;
    const byte = bytes[i];
    if (byte === QUOTE) quoted = !quoted;
    if (!quoted && byte === LF) {
      if (!blank) records++;
      blank = true;
    } else if (byte !== CR) blank = false;
  }
  return blank ? records : records + 1;
}

/** `[{...}, ...]` or `{"rows": [...]}`; every key of every row becomes a column. */
export function jsonTable(body: unknown): UploadTable {
  const rows = Array.isArray(body) ? body : (body as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) {
    throw datasetError("VALIDATION_FAILED", 'The JSON body must be an array of rows or {"rows": [...]}.');
  }
  const values = new Map<string, unknown[]>();
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw datasetError("VALIDATION_FAILED", `Row ${i + 1} is not an object.`, [
        { path: ["rows", i], detail: "is not an object" },
      ]);
    }
    for (const [key, value] of Object.entries(row)) {
      let column = values.get(key);
      if (!column) {
        column = new Array(rows.length).fill(null);
        values.set(key, column);
      }
      column[i] = value;
    }
  });
  return { columns: [...values.keys()], rows: rows.length, values, types: new Map() };
}

/** RFC 4180 with a header row; every value is text (an empty field is null). */
export function csvTable(body: Uint8Array): UploadTable {
  // Read leniently, bad bytes would become U+FFFD in the labels and ids without a word.
  if (!isUtf8(body)) {
    const at = firstInvalidUtf8(body);
    throw datasetError(
      "VALIDATION_FAILED",
      `The CSV body is not valid UTF-8: ${describeByte(body, at)} starts no valid sequence. Send text as UTF-8.`,
    );
  }
  // As a JSON upload's NUL is refused (unstorable-text): a CSV label holding one came back in the file.
  const nul = body.indexOf(0);
  if (nul >= 0) {
    const line = body.subarray(0, nul).filter((byte) => byte === 0x0a).length + 1;
    throw datasetError(
      "VALIDATION_FAILED",
      `The CSV body holds a NUL byte (U+0000) on line ${line}, byte ${nul}: no text may hold one.`,
    );
  }
  let records: string[][];
  try {
    records = parse(Buffer.from(body), { bom: true, relax_column_count: false, skip_empty_lines: true });
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw datasetError("VALIDATION_FAILED", `The CSV body is not valid RFC 4180: ${e.message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw datasetError("VALIDATION_FAILED", "The CSV body is empty; it needs a header row.");
  const values = new Map(
    header.map((name, j) => [name.trim(), rows.map((r) => (r[j] === "" ? null : r[j]))]),
  );
  if (values.size !== header.length)
    throw datasetError("VALIDATION_FAILED", "The CSV header repeats a column.");
  return { columns: [...values.keys()], rows: rows.length, values, types: new Map(), textual: true };
}

/** A Parquet file read through parquet-wasm; timestamps become epoch microseconds. */
export function parquetTable(body: Uint8Array): UploadTable {
  let table: ReturnType<typeof tableFromIPC>;
  try {
    const wasm = parquet.readParquet(body);
    table = tableFromIPC(wasm.intoIPCStream());
  } catch (error) {
    throw datasetError(
      "VALIDATION_FAILED",
      `The body is not a readable Parquet file: ${(error as Error).message}`,
    );
  }
  const values = new Map<string, unknown[]>();
  const types: UploadTable["types"] = new Map();
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    const kind = kindOf(field.type);
    types.set(field.name, kind);
    const column: unknown[] = [];
    for (let i = 0; i < table.numRows; i++) column.push(convert(vector?.get(i), kind));
    values.set(field.name, column);
  }
  return { columns: [...values.keys()], rows: table.numRows, values, types };
}

function kindOf(type: DataType): UploadTable["types"] extends Map<string, infer K> ? K : never {
  switch (type.typeId) {
    case Type.Int:
      return "int";
    case Type.Float:
    case Type.Decimal:
      return "float";
    case Type.Bool:
      return "bool";
    case Type.Utf8:
    case Type.LargeUtf8:
      return "string";
    case Type.Timestamp:
    case Type.Date:
      return "timestamp";
    default:
      return "other";
  }
}

function convert(value: unknown, kind: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (kind === "timestamp") {
    // Arrow JS gives timestamps and dates as epoch milliseconds (with a fraction below that).
    if (typeof value === "number") return Math.round(value * 1000);
    if (value instanceof Date) return value.getTime() * 1000;
  }
  return value;
}
