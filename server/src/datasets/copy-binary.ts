import type { ColumnBuilder } from "./column-builders";

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // PGCOPY\n\377\r\n\0

/**
 * Reads PostgreSQL's binary COPY format (header, tuples of length-prefixed fields, trailer) from
 * chunks cut anywhere, and hands each field's bytes to its column's builder. `push` takes a
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

  constructor(private readonly builders: ColumnBuilder[]) {}

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
    const { bytes, view, builders } = this;
    let at = this.at;
    if (!this.headerRead) {
      const end = headerEnd(view, bytes);
      if (end === undefined) return 0;
      at = end;
      this.headerRead = true;
    }
    let read = 0;
    const fields = builders.length;
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
        (builders[j] as ColumnBuilder).add(view, bytes, at + 4, length);
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
