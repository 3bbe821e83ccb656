import type { RowFormat } from "../encode/encode";

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * The first `records` records of a CSV (after its header line) or NDJSON file, as its bytes: the
 * stream ends just after the last one's line break and stops reading `file`. A `limit` of a
 * public dataset is the first rows of its whole file, in the same key order, so it is read from
 * the one file everybody shares instead of being encoded again for each limit asked.
 */
export function firstRecords(
  file: ReadableStream<Uint8Array>,
  format: RowFormat,
  records: number,
): ReadableStream<Uint8Array> {
  const reader = file.getReader();
  const ends = format === "csv" ? new CsvLineEnds(records + 1) : new LineEnds(records);
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (done) return;
        const next = await reader.read();
        if (next.done) {
          done = true;
          controller.close();
          return;
        }
        const cut = ends.cutIn(next.value);
        if (cut === undefined) {
          controller.enqueue(next.value);
          return;
        }
        done = true;
        if (cut > 0) controller.enqueue(next.value.subarray(0, cut));
        controller.close();
        await reader.cancel().catch(() => {});
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Counts line feeds (NDJSON escapes every one inside a value) until the `wanted`-th. */
class LineEnds {
  constructor(private wanted: number) {}

  /** Where the chunk is cut (just past the last wanted line end), or undefined to take it whole. */
  cutIn(chunk: Uint8Array): number | undefined {
    if (this.wanted <= 0) return 0;
    let at = chunk.indexOf(LF);
    while (at >= 0) {
      if (--this.wanted === 0) return at + 1;
      at = chunk.indexOf(LF, at + 1);
    }
    return undefined;
  }
}

/** Counts line feeds outside quoted fields (RFC 4180: a quoted field may hold line breaks). */
class CsvLineEnds {
  private quoted = false;

  constructor(private wanted: number) {}

  cutIn(chunk: Uint8Array): number | undefined {
    if (this.wanted <= 0) return 0;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at];
      // A doubled quote inside a field toggles twice: the state is right again after it.
      if (byte === QUOTE) this.quoted = !this.quoted;
      else if (byte === LF && !this.quoted && --this.wanted === 0) return at + 1;
    }
    return undefined;
  }
}
