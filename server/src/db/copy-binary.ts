/**
 * PostgreSQL's binary COPY format, both ways: `copyBinary` writes rows for `COPY … FROM STDIN`
 * (the corpus), `CopyBinaryReader` reads what `COPY … TO STDOUT` sends (dataset downloads).
 *
 * Rows are written in it because PGlite spent most of a text COPY of the corpus in
 * pgvector's text input (a strtof per component, in WebAssembly): the same rows load about nine
 * times faster in binary. Each value is encoded as exactly what the text input stores for the
 * text the text format carries, so the same seed gives the same bytes.
 */
export type CopyType = "int4" | "text" | "timestamp" | "numeric" | "jsonb" | "vector" | "bytea";

/** A vector held as integers over a fixed scale: component i is `codes[i] / scale`. */
export type FixedPointVector = { readonly codes: ArrayLike<number>; readonly scale: number };

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // PGCOPY\n\377\r\n\0
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A growing buffer of big-endian fields. */
class Output {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  int16(n: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, n);
    this.length += 2;
  }

  int32(n: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, n);
    this.length += 4;
  }

  int64(n: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, n);
    this.length += 8;
  }

  float32(n: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, n);
    this.length += 4;
  }

  raw(data: ArrayLike<number>): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** A field's length, then what `write` puts: the length is filled in after. */
  field(write: () => void): void {
    this.int32(0);
    const start = this.length;
    write();
    this.view.setInt32(start - 4, this.length - start);
  }

  utf8(text: string): void {
    this.reserve(text.length * 3);
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }

  done(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length);
  }
}

const encoder = new TextEncoder();

/** Rows as one binary COPY stream: signature, flags, extension length, tuples, trailer. */
export function copyBinary<Row>(
  rows: Iterable<Row>,
  columns: readonly (keyof Row & string)[],
  types: Readonly<Record<keyof Row & string, CopyType>>,
): Uint8Array<ArrayBuffer> {
  const out = new Output();
  out.raw(SIGNATURE);
  out.int32(0);
  out.int32(0);
  for (const row of rows) {
    out.int16(columns.length);
    for (const column of columns) {
      const value = row[column];
      if (value === null || value === undefined) out.int32(-1);
      else out.field(() => encode(out, types[column], value));
    }
  }
  out.int16(-1);
  return out.done();
}

function encode(out: Output, type: CopyType, value: unknown): void {
  switch (type) {
    case "int4":
      out.int32(value as number);
      break;
    case "text":
      out.utf8(String(value));
      break;
    case "jsonb":
      out.raw([1]);
      out.utf8(typeof value === "object" ? JSON.stringify(value) : String(value));
      break;
    case "timestamp":
      out.int64(timestampMicros(value as string));
      break;
    case "numeric":
      numeric(out, String(value));
      break;
    case "vector":
      vector(out, value as FixedPointVector);
      break;
    case "bytea":
      out.raw(value as Uint8Array);
      break;
  }
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (no zone: timestamp) as microseconds since 2000-01-01. */
function timestampMicros(text: string): bigint {
  const match = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) throw new Error(`not a timestamp COPY can take in binary: ${text}`);
  const [, y, mo, d, h, mi, s, fraction = ""] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return BigInt(ms - POSTGRES_EPOCH_MS) * 1000n + BigInt(fraction.padEnd(6, "0"));
}

/**
 * A decimal as numeric_recv takes it: base-10000 digits around the point, weight of the first,
 * sign, and the display scale the text had (digits after its point).
 */
function numeric(out: Output, text: string): void {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) throw new Error(`not a number COPY can take in binary: ${text}`);
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  // The digits with the point moved by the exponent, as numeric_in places it.
  const shift = Number(exponent);
  let digits = whole + fraction;
  let point = whole.length + shift;
  const scale = Math.max(0, fraction.length - shift);
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, "0");
  // Groups of four aligned at the point.
  const lead = (4 - (point % 4)) % 4;
  const padded = "0".repeat(lead) + digits;
  const aligned = padded.padEnd(Math.ceil(padded.length / 4) * 4, "0");
  const groups: number[] = [];
  for (let i = 0; i < aligned.length; i += 4) groups.push(Number(aligned.slice(i, i + 4)));
  let weight = (point + lead) / 4 - 1;
  while (groups.length > 0 && groups[0] === 0) {
    groups.shift();
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  if (groups.length === 0) weight = 0;
  out.int16(groups.length);
  out.int16(weight);
  out.int16(sign === "-" && groups.length > 0 ? 0x4000 : 0);
  out.int16(scale);
  for (const group of groups) out.int16(group);
}

/**
 * pgvector's binary form: dimensions, a reserved zero, then float4s. A component's float4 is its
 * decimal rounded once to float4, as strtof rounds the text: the decimal has at most 8
 * significant digits, so the double quotient in between is never close enough to a float4 tie
 * to round differently (a test loads every component the corpus can write both ways).
 */
function vector(out: Output, { codes, scale }: FixedPointVector): void {
  out.int16(codes.length);
  out.int16(0);
  for (let i = 0; i < codes.length; i++) out.float32((codes[i] as number) / scale);
}

/** Takes one column's fields as they are read: `length` -1 is a null, else the bytes at `start`. */
export interface FieldSink {
  add(view: DataView, bytes: Uint8Array, start: number, length: number): void;
}

/**
 * Reads PostgreSQL's binary COPY format (header, tuples of length-prefixed fields, trailer) from
 * chunks cut anywhere, and hands each field's bytes to its column's sink. `push` takes a
 * chunk, `read` decodes up to a number of tuples; a tuple split across chunks waits for the next.
 */
export class CopyBinaryReader {
  /** Complete tuples read so far. */
  rows = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.bytes.buffer);
  private at = 0;
  private headerRead = false;
  private trailerRead = false;

  constructor(private readonly sinks: FieldSink[]) {}

  /** Adds a chunk after the bytes not yet read (which are copied only if there are any). */
  push(chunk: Uint8Array): void {
    if (this.trailerRead) throw new Error("binary COPY data after its trailer");
    const rest = this.bytes.length - this.at;
    let bytes = chunk;
    if (rest > 0) {
      bytes = new Uint8Array(rest + chunk.length);
      bytes.set(this.bytes.subarray(this.at));
      bytes.set(chunk, rest);
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }

  /** Decodes up to `maxRows` complete tuples from what was pushed; returns how many. */
  read(maxRows: number): number {
    const { bytes, view, sinks } = this;
    let at = this.at;
    if (!this.headerRead) {
      const end = headerEnd(view, bytes);
      if (end === undefined) return 0;
      at = end;
      this.headerRead = true;
    }
    let read = 0;
    const fields = sinks.length;
    while (read < maxRows && !this.trailerRead && at + 2 <= bytes.length) {
      const count = view.getInt16(at);
      if (count === -1) {
        this.trailerRead = true;
        at += 2;
        if (at !== bytes.length) throw new Error("binary COPY data after its trailer");
        break;
      }
      if (count !== fields) throw new Error(`a binary COPY tuple of ${count} fields, expected ${fields}`);
      if (tupleEnd(view, at + 2, fields) === undefined) break;
      at += 2;
      for (let j = 0; j < fields; j++) {
        const length = view.getInt32(at);
        (sinks[j] as FieldSink).add(view, bytes, at + 4, length);
        at += 4 + Math.max(length, 0);
      }
      read++;
    }
    this.at = at;
    this.rows += read;
    return read;
  }

  /** Throws unless the stream ended with its trailer and nothing after it. */
  end(): void {
    if (!this.trailerRead || this.at < this.bytes.length) throw new Error("the binary COPY data ended early");
  }
}

/** Where the header ends, or undefined if `bytes` does not hold all of it yet. */
function headerEnd(view: DataView, bytes: Uint8Array): number | undefined {
  if (bytes.length < 19) return undefined;
  SIGNATURE.forEach((b, i) => {
    if (bytes[i] !== b) throw new Error("not PostgreSQL binary COPY data");
  });
  // Bit 16 of the flags would mean OIDs in every tuple; no query here asks for them.
  if (view.getUint32(11) & 0x10000) throw new Error("binary COPY data with OIDs");
  const end = 19 + view.getUint32(15);
  return end <= bytes.length ? end : undefined;
}

/** Where the tuple whose fields start at `at` ends, or undefined if it is not complete. */
function tupleEnd(view: DataView, at: number, fields: number): number | undefined {
  const size = view.byteLength;
  for (let j = 0; j < fields; j++) {
    if (at + 4 > size) return undefined;
    const length = view.getInt32(at);
    at += 4 + Math.max(length, 0);
    if (at > size) return undefined;
  }
  return at;
}
