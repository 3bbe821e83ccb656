import { type Sql, sqlParams } from "../../db/database";
import { Pacer, SLICE_TARGET_MS } from "../pacer";
import { type RowsSql, rowsAfter, rowsStatement } from "./query";

/**
 * Past about 1,500 rows the planner reads a range of `public`'s joins as hash joins over whole
 * tables and a sort: at scale 1, 1,536 rows merged in 48 ms, 2,048 took 340 ms hashed. Ranges stay
 * below that, however cheap the previous one was.
 */
const MAX_RANGE_ROWS = 1_024;

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
  const pacer = new Pacer({
    initial: 128,
    min: 16,
    max: Math.min(maxRows, MAX_RANGE_ROWS),
    targetMs: SLICE_TARGET_MS,
  });
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

/** A range's statement made into one answering (n, last): the rows it had and the key it ended on. */
export type Tally = (range: { text: string; params: unknown[] }, keyColumn: string) => string;

/** Counts a range's rows. */
export const countRange: Tally = (range, key) =>
  `select count(*)::int as n, max(_s.${key}) as last from (${range.text}) _s`;

/** Copies a range's rows into `table` (same columns), counting them. */
export const copyRange =
  (table: string): Tally =>
  (range, key) =>
    `with _i as (insert into ${table} ${range.text} returning ${key}) select count(*)::int as n, max(${key}) as last from _i`;

/**
 * Runs `tally` over `rows` (at most `limit`) a key range at a time, each range one short
 * statement, and adds up the rows: one statement over a whole dataset's joins held the embedded
 * database for hundreds of milliseconds. `keyColumn` is the rows' first output column, which
 * orders them.
 */
export async function tallyInRanges(
  rows: RowsSql,
  keyColumn: string,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  tally: Tally,
  read: <T>(work: (sql: Sql) => Promise<T>) => Promise<T>,
): Promise<number> {
  let total = 0;
  const ranges = inRanges(rows, limit, signal, async (range) => {
    const [counted] = await read((sql) =>
      sql.unsafe<{ n: number; last: unknown }[]>(tally(range, keyColumn), sqlParams(range.params)),
    );
    total += counted?.n ?? 0;
    return { parts: [], rows: counted?.n ?? 0, lastKey: counted?.last };
  });
  for await (const _ of ranges);
  return total;
}
