import { Pacer, SLICE_TARGET_MS } from "./pacer";
import { type RowsSql, rowsAfter, rowsStatement } from "./query";

export type RangeRead<T> = (statement: { text: string; params: unknown[] }) => Promise<{
  parts: T[];
  rows: number;
  /** The first column of the range's last row: where the next range starts. */
  lastKey: unknown;
}>;

/**
 * Reads `rows` a key range at a time, each range one statement sized to hold the database for
 * about SLICE_TARGET_MS (a lookup on the embedded database waits behind at most one), in key
 * order, `limit` rows at most. Rows without range keys are one read.
 */
export async function* inRanges<T>(
  rows: RowsSql,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  read: RangeRead<T>,
  maxRows = 131_072,
): AsyncGenerator<T> {
  if (rows.rangeKeys.length === 0) {
    yield* (await read(rowsStatement(rows, limit))).parts;
    return;
  }
  const pacer = new Pacer({ initial: 1_000, min: 100, max: maxRows, targetMs: SLICE_TARGET_MS });
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let after: unknown;
  while (remaining > 0) {
    signal?.throwIfAborted();
    const size = Math.min(pacer.next, remaining);
    const range = await pacer.time(size, () => read(rowsStatement(rowsAfter(rows, after), size)));
    yield* range.parts;
    remaining -= range.rows;
    if (range.rows < size) return;
    after = range.lastKey;
  }
}
