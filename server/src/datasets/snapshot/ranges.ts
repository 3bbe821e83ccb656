import { type Sql, sqlParams } from "../../db/database";
import { Pacer, SLICE_TARGET_MS } from "../pacer";
import { type RowsSql, rangeEndStatement, rowsBetween, rowsStatement } from "./query";
import type { SnapshotRead } from "./snapshot";

/**
 * At most this many rows a range, however cheap the previous one was. Bounded below only, a range
 * of `public`'s joins past about 1,500 rows was planned as hash joins over whole tables and a sort
 * (at scale 1, 1,536 rows merged in 48 ms, 2,048 took 340 ms hashed); bounded on both sides (see
 * rowsBetween), a range reads only its own rows whatever the plan, and the cap keeps it short.
 */
const MAX_RANGE_ROWS = 1_024;

export type Statement = { text: string; params: unknown[] };

/**
 * Reads one range: `statement` looks up where the range ends, on the connection the range is read
 * with (one turn of the embedded database for both), and gives the statement of its rows.
 */
export type RangeRead<T> = (statement: (sql: Sql) => Promise<Statement>) => Promise<{
  parts: T[];
  rows: number;
}>;

/**
 * Reads `rows` a key range at a time, each range one statement sized to hold the database for
 * about SLICE_TARGET_MS (a lookup on the embedded database waits behind at most one), in key
 * order, `limit` rows at most. A range is the next so many keys of the range table (see
 * rowsBetween), its last looked up first; rows without range keys are one read.
 */
export async function* inRanges<T>(
  rows: RowsSql,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  read: RangeRead<T>,
  maxRows = 131_072,
): AsyncGenerator<T> {
  if (rows.rangeKeys.length === 0) {
    yield* (await read(async () => rowsStatement(rows, limit))).parts;
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
    // The range holds `size` keys of the range table at most, so no more rows than that pass.
    const size = Math.min(pacer.next, remaining);
    let last: { key: unknown } | undefined;
    const range = await pacer.time(size, () =>
      read(async (sql) => {
        const end = rangeEndStatement(rows, after, size);
        [last] = await sql.unsafe<{ key: unknown }[]>(end.text, sqlParams(end.params));
        return rowsStatement(rowsBetween(rows, after, last?.key), size);
      }),
    );
    yield* range.parts;
    remaining -= range.rows;
    if (!last) return;
    after = last.key;
  }
}

/** A range's statement made into one answering `n`: the rows it had. */
export type Tally = (range: Statement) => string;

/** Counts a range's rows. */
export const countRange: Tally = (range) => `select count(*)::int as n from (${range.text}) _s`;

/** Copies a range's rows into `table` (same columns), counting them. */
export const copyRange =
  (table: string): Tally =>
  (range) =>
    `with _i as (insert into ${table} ${range.text} returning 1) select count(*)::int as n from _i`;

/**
 * Runs `tally` over `rows` (at most `limit`) a key range at a time, each range one short
 * statement, and adds up the rows: one statement over a whole dataset's joins held the embedded
 * database for hundreds of milliseconds.
 */
export async function tallyInRanges(
  rows: RowsSql,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  tally: Tally,
  read: SnapshotRead,
): Promise<number> {
  let total = 0;
  const ranges = inRanges(rows, limit, signal, async (statement) => {
    const [counted] = await read(async (sql) => {
      const range = await statement(sql);
      return sql.unsafe<{ n: number }[]>(tally(range), sqlParams(range.params));
    });
    total += counted?.n ?? 0;
    return { parts: [], rows: counted?.n ?? 0 };
  });
  for await (const _ of ranges);
  return total;
}
