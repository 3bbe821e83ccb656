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
 * Keys of the range table a range spans for each row it is sized for, at most. A range without
 * rows doubles the next one's span, so a stretch of keys without rows (an `as_of` before most
 * tracks) is crossed in few ranges; a range sized on a sparse stretch that meets a dense one
 * holds no more than this many times the rows it was sized for.
 */
const MAX_KEYS_PER_ROW = 16;
/**
 * An unpaced range is `maxRows` rows' worth of keys (about 64 MiB of COPY): spanning up to 16 keys
 * a row after a sparse stretch, a dense one behind it would be 16 times as many rows, held until
 * the range ends.
 */
const UNPACED_KEYS_PER_ROW = 2;

/**
 * How a read's key ranges are sized. Paced (a sliced read: each range is a turn on the embedded
 * database's one backend, which a lookup waits behind), a range holds the database about
 * SLICE_TARGET_MS, `maxRows` and MAX_RANGE_ROWS at most. Unpaced (one transaction on a connection
 * of its own: a server's downloads, `rapfs export`), nobody waits between two ranges, and a range
 * is `maxRows` rows (131,072 unless said), still bounded on both sides. Paced too, such a read
 * sent a statement (planned over the joins, its end looked up first) every 1,024 rows: 200 for
 * public at scale 1, where its COPY is one.
 */
export type RangeSizing = { paced: boolean; maxRows?: number };

/**
 * Reads `rows` a key range at a time, in key order, `limit` rows at most, each range one
 * statement sized as `sizing` says. A range is the next so many keys of the range table (see
 * rowsBetween), its last looked up first; rows without range keys are one read.
 *
 * The pacer sizes ranges in rows delivered, and a range spans that many rows' worth of keys at
 * the last range's keys per row. Sized in keys, a range at an `as_of` held the rows of the keys
 * that have them (a third in first-download.test), and where every turn is slower than the
 * target (its wait for the connection counts) the pacer's floor of 16 keys was 5 rows: 29
 * turns a pass where 16 rows a range take 10.
 */
export async function* inRanges<T>(
  rows: RowsSql,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  read: RangeRead<T>,
  sizing: RangeSizing,
): AsyncGenerator<T> {
  if (rows.rangeKeys.length === 0) {
    yield* (await read(async () => rowsStatement(rows, limit))).parts;
    return;
  }
  const maxRows = sizing.maxRows ?? 131_072;
  const pacer = sizing.paced
    ? new Pacer({ initial: 128, min: 16, max: Math.min(maxRows, MAX_RANGE_ROWS), targetMs: SLICE_TARGET_MS })
    : undefined;
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let after: unknown;
  let keysPerRow = 1;
  while (remaining > 0) {
    signal?.throwIfAborted();
    const keys = Math.round(Math.min(pacer?.next ?? maxRows, remaining) * keysPerRow);
    let last: { key: unknown } | undefined;
    const started = performance.now();
    const range = await read(async (sql) => {
      [last] = await rangeEnd(sql, rows, after, keys);
      // A key of the range table has one row at most, so the LIMIT cuts only at `limit`.
      return rowsStatement(rowsBetween(rows, after, last?.key), Math.min(keys, remaining));
    });
    pacer?.record(range.rows, performance.now() - started);
    yield* range.parts;
    remaining -= range.rows;
    if (!last) return;
    after = last.key;
    // A range without rows says only that they are sparser: the next one spans twice the keys.
    keysPerRow = range.rows > 0 ? keys / range.rows : keysPerRow * 2;
    keysPerRow = Math.min(Math.max(keysPerRow, 1), sizing.paced ? MAX_KEYS_PER_ROW : UNPACED_KEYS_PER_ROW);
  }
}

/** The key of the `keys`-th row past `after`: none when fewer remain (see rangeEndStatement). */
async function rangeEnd(sql: Sql, rows: RowsSql, after: unknown, keys: number): Promise<{ key: unknown }[]> {
  const { dense } = rows.rangeTable;
  if (dense !== undefined) {
    const key = Number(after ?? 0) + keys;
    return key <= dense ? [{ key }] : [];
  }
  const end = rangeEndStatement(rows, after, keys);
  return sql.unsafe<{ key: unknown }[]>(end.text, sqlParams(end.params));
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
  sizing: RangeSizing,
): Promise<number> {
  let total = 0;
  const ranges = inRanges(
    rows,
    limit,
    signal,
    async (statement) => {
      const [counted] = await read(async (sql) => {
        const range = await statement(sql);
        return sql.unsafe<{ n: number }[]>(tally(range), sqlParams(range.params));
      });
      total += counted?.n ?? 0;
      return { parts: [], rows: counted?.n ?? 0 };
    },
    sizing,
  );
  for await (const _ of ranges);
  return total;
}
