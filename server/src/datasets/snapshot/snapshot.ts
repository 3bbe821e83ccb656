import { createHash } from "node:crypto";
import type { Schema } from "apache-arrow";
import { type Sql, sqlParams } from "../../db/database";
import type { TableGate } from "../../db/table-gate";
import { ident } from "../../definitions/compile/params";
import { DomainError } from "../../errors";
import type { Batches, Pages } from "../encode/encode";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import { computePointInTime, loadPointInTime } from "../point-in-time/pit";
import { currentRows, pointInTimeRows, type RowsSql } from "./query";
import { countRange, inRanges, type RangeSizing, tallyInRanges } from "./ranges";
import { snapshotBatches } from "./snapshot-batches";

/** Uploaded (entity, timestamp[, label]) rows; labels pass through untouched. */
export type TrainingInput = {
  ids: unknown[];
  asOf: number[];
  label?: { column: OutputColumn; values: unknown[] };
};

export type SnapshotInfo = {
  /**
   * Rows the download holds (after filters and limit), counted in the snapshot it is read from:
   * before the first row when the caller asked for a count, else once the last row is read.
   */
  rows: number | undefined;
  /** Short hash of what was read: each view's last materialization run, or the raw tables' high marks. */
  version: string;
  /** When the newest materialization read finished; null for point-in-time reads (computed now). */
  builtAt: string | null;
  sources: Record<string, unknown>[];
};

/** Runs one bounded piece of reading (a range of rows, the statistics) inside the snapshot. */
export type SnapshotRead = <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;

export type Snapshot = {
  read: SnapshotRead;
  /** How its reads' key ranges are sized: paced when each is a turn on a shared backend (sliced). */
  ranges: RangeSizing;
  info: SnapshotInfo;
  /** The columns of every page, in order. */
  columns: OutputColumn[];
  rows: RowsSql;
  /** Rows as JS values (CSV, NDJSON): ranges of `batchRows` rows, read and handed over `readRows` at a time. */
  pages(sizes: PageSizes): Pages;
  /** Rows as RecordBatches of `schema` (built from `columns`), read with binary COPY. */
  batches(sizes: { batchRows: number; copyRows: number }, schema: Schema): Batches;
};

export type SnapshotOptions = {
  training?: TrainingInput;
  /**
   * Read current values a key range per short transaction, each checking that no source was
   * re-materialized since the first (a download that meets one fails rather than mix versions):
   * the embedded database has one backend, which a whole-download transaction would hold from
   * the first row to the last. On a server each download has a connection of its own, and one
   * REPEATABLE READ transaction reads everything.
   */
  sliced?: boolean;
  /**
   * Sliced reads take their turn with the runs of the tables they read: a run waits for this
   * read (bounded), and this read waits for a run under way, so their slices see one version.
   */
  gate?: TableGate | undefined;
  /** Aborted when the caller went away: the work stops between two slices. */
  signal?: AbortSignal | undefined;
  /**
   * Count the rows before handing the snapshot over (default true): a count reads every range
   * once more, so a download that charges no rows skips it and its first byte comes sooner.
   */
  count?: boolean;
  /**
   * Called once the data version is known, before the point-in-time work and the count: what a
   * file needs before its first bytes (its schema, its metadata) is known then.
   */
  onOpen?: (info: Omit<SnapshotInfo, "rows">, columns: OutputColumn[]) => Promise<void> | void;
  /** Called with the rows once counted (or known: a training set's), before the first row is read. */
  onCounted?: (rows: number) => Promise<void> | void;
};

/**
 * Runs `work` over one consistent snapshot of a plan's rows. Current values come from the
 * materialized tables, locked (ACCESS SHARE) so that a full materialization's drop-and-rename
 * waits for the reader instead of leaving it looking at a table it cannot see; see
 * docs/datasets.md. Values at an instant, or as of uploaded rows, are first computed by the
 * point-in-time engine into work tables of this job (pit.ts), which nothing else writes.
 */
export async function withSnapshot<T>(
  sql: Sql,
  plan: DatasetPlan,
  options: SnapshotOptions,
  work: (snapshot: Snapshot) => Promise<T>,
): Promise<T> {
  const { training } = options;
  if (training !== undefined || plan.asOf !== undefined) {
    const queries = await loadPointInTime(sql, plan);
    const info = await versions(sql, plan, true);
    await options.onOpen?.(info, outputColumns(plan, training));
    const instant = { instant: plan.asOf as number };
    const request = training ? { rows: training } : instant;
    const tables = await computePointInTime(sql, plan, queries, request, { signal: options.signal });
    try {
      const rows = pointInTimeRows(plan, tables, training ? { training: training.ids.length } : instant);
      const opened = { ...options, onOpen: undefined };
      return await open(plan, opened, info, rows, (read) => onReserved(sql, read), work);
    } finally {
      await tables.drop();
    }
  }
  const rows = currentRows(plan);
  const tables = plan.sources.filter((s) => s.kind === "view" || s.materialized).map((s) => s.table);
  const locked = async (tx: Sql) => {
    await tx.unsafe(`lock table ${[...new Set(tables.map(ident))].join(", ")} in access share mode`);
    return versions(tx, plan, false);
  };
  const transaction = <R>(body: (tx: Sql) => Promise<R>) =>
    sql.begin("isolation level repeatable read", (tx) => body(tx as unknown as Sql)) as Promise<R>;
  if (!options.sliced) {
    return transaction(async (tx) => open(plan, options, await locked(tx), rows, (read) => read(tx), work));
  }
  // Each range is one statement, and the sources' versions are read again after it: a statement
  // that began before a re-materialization committed read the old tables, so an unchanged
  // version after it means the range read the version the first one did. A multi-statement
  // transaction per range would hold the embedded backend while this thread is busy between
  // its statements.
  const sliced = async () => {
    const info = await versions(sql, plan, false);
    const read: SnapshotRead = async (body) => {
      options.signal?.throwIfAborted();
      const result = await onReserved(sql, body);
      if ((await versions(sql, plan, false)).version !== info.version) throw rematerialized();
      return result;
    };
    return open(plan, options, info, rows, read, work);
  };
  return options.gate ? options.gate.read(tables, sliced, options.signal) : sliced();
}

/**
 * Runs one piece of reading on a connection of its own for its duration: jobs share the bulk
 * pool (embedded, one connection), and postgres.js refuses any query sent on a connection whose
 * COPY another job is still reading (COPY_IN_PROGRESS); reserved, the others wait their turn.
 */
async function onReserved<T>(sql: Sql, body: (sql: Sql) => Promise<T>): Promise<T> {
  const reserved = await sql.reserve();
  try {
    return await body(reserved as unknown as Sql);
  } finally {
    reserved.release();
  }
}

function rematerialized(): DomainError {
  return new DomainError(
    "UNAVAILABLE",
    "A source of this dataset was re-materialized while it was read; retry to get the new version.",
    { retryAfterSeconds: 1 },
  );
}

/** Counts the rows and hands the snapshot to `work`. */
async function open<T>(
  plan: DatasetPlan,
  options: SnapshotOptions,
  info: Omit<SnapshotInfo, "rows">,
  rows: RowsSql,
  read: SnapshotRead,
  work: (snapshot: Snapshot) => Promise<T>,
): Promise<T> {
  const columns = outputColumns(plan, options.training);
  await options.onOpen?.(info, columns);
  const ranges: RangeSizing = { paced: options.sliced === true };
  // Every uploaded row comes back, so a training set's rows are known without a count.
  const total =
    options.count === false || options.training
      ? options.training?.ids.length
      : await tallyInRanges(rows, plan.limit, options.signal, countRange, read, ranges);
  if (total !== undefined) await options.onCounted?.(total);
  return work({
    read,
    ranges,
    info: { ...info, rows: total },
    columns,
    rows,
    pages: (sizes) => pages(read, plan, rows, sizes, options),
    batches: (sizes, schema) => snapshotBatches(read, plan, rows, columns, schema, sizes, options),
  });
}

export function outputColumns(plan: DatasetPlan, training?: TrainingInput): OutputColumn[] {
  const features = plan.features.map((f) => f.column);
  if (!training) return [plan.key, ...features];
  const timestamp: OutputColumn = {
    name: "event_timestamp",
    kind: "timestamp",
    description: "The uploaded row's timestamp: features use only analyses created at or before it.",
    source: "upload",
  };
  return [plan.key, timestamp, ...(training.label ? [training.label.column] : []), ...features];
}

/**
 * How a row format's rows are read: `batchRows` a range (one statement), `readRows` a round trip
 * and a page. postgres.js parses the text rows of what arrives on the main thread, and a range of
 * public read whole (8,192 rows, about 10 MB) took 40–100 ms of it at a time on a server
 * database, in socket reads libuv hands over back to back; a cursor sends `readRows` rows a
 * round trip, and a page that size is encoded in a few milliseconds.
 */
export type PageSizes = { batchRows: number; readRows: number };

async function* pages(
  read: SnapshotRead,
  plan: DatasetPlan,
  rows: RowsSql,
  sizes: PageSizes,
  options: SnapshotOptions,
): Pages {
  const { training } = options;
  const ranges = inRanges(
    rows,
    plan.limit,
    options.signal,
    async (statement) => {
      const values = await read(async (tx) => {
        const range = await statement(tx);
        const found: unknown[][] = [];
        const query = tx.unsafe(range.text, sqlParams(range.params)).values();
        for await (const chunk of query.cursor(sizes.readRows) as AsyncIterable<unknown[][]>) {
          for (const row of chunk) found.push(row);
        }
        return found;
      });
      return { parts: [values], rows: values.length };
    },
    // A range's rows are held as values: unpaced, a range is a page.
    { paced: options.sliced === true, maxRows: sizes.batchRows },
  );
  for await (const range of ranges) {
    for (let i = 0; i < range.length; i += sizes.readRows) {
      const page = range.slice(i, i + sizes.readRows);
      // Training rows come back as [ord, ...features]; ord (1-based) finds the uploaded row.
      yield training
        ? page.map(([ord, ...features]) => {
            const j = Number(ord) - 1;
            const label = training.label ? [training.label.values[j]] : [];
            return [training.ids[j], training.asOf[j], ...label, ...features];
          })
        : page;
    }
  }
}

/**
 * A request's `as_of` at or after the newest analysis and track becomes that instant: the rows
 * are the same, so every later `as_of` shares one card and one cached file instead of each
 * rebuilding the whole dataset. Both maxima are read from their created_at indexes; `asOf` is in
 * microseconds since the epoch, as parseTimestamp gives it.
 */
export async function settleAsOf<T extends { asOf?: number }>(sql: Sql, request: T): Promise<T> {
  if (request.asOf === undefined) return request;
  const [row] = await sql<{ horizon: number | null }[]>`
    select ceil(extract(epoch from greatest(
      (select max(created_at) from analysis_results), (select max(created_at) from tracks))) * 1000000)::float8 as horizon`;
  const horizon = row?.horizon ?? null;
  return horizon !== null && request.asOf > horizon ? { ...request, asOf: horizon } : request;
}

/** A snapshot's version without taking one: what a cached card or file is keyed by. */
export async function snapshotVersion(sql: Sql, plan: DatasetPlan, training = false): Promise<string> {
  return (await versions(sql, plan, training || plan.asOf !== undefined)).version;
}

async function versions(
  tx: Sql,
  plan: DatasetPlan,
  pointInTime: boolean,
): Promise<Omit<SnapshotInfo, "rows">> {
  let sources: Record<string, unknown>[];
  if (pointInTime) {
    const [marks] = await tx<{ analyses: number | null; tracks: number | null }[]>`
      select (select max(id) from analysis_results)::float8 as analyses, (select max(id) from tracks)::float8 as tracks`;
    sources = [
      ...plan.sources.map((s) => ({ source: `${s.name}@${s.version}` })),
      { raw: "analysis_results", max_id: marks?.analyses ?? null },
      { raw: "tracks", max_id: marks?.tracks ?? null },
    ];
  } else {
    sources = await tx.unsafe(
      `select x.kind, x.name, x.version, x.last_run_id::float8 as run_id,
         to_char(x.last_materialized_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as materialized_at,
         x.freshness_seconds as freshness_objective_seconds
       from (select 'feature_view' as kind, name, version, last_run_id, last_materialized_at, freshness_seconds
             from rapfs_feature_views
             union all
             select 'embedding', name, version, last_run_id, last_materialized_at, freshness_seconds
             from rapfs_embeddings) x
       join unnest($1::text[], $2::text[], $3::int[]) as wanted(kind, name, version) using (kind, name, version)
       order by x.kind, x.name, x.version`,
      sqlParams([
        plan.sources.map((s) => (s.kind === "view" ? "feature_view" : "embedding")),
        plan.sources.map((s) => s.name),
        plan.sources.map((s) => s.version),
      ]),
    );
  }
  const stamps = sources.map((s) => s.materialized_at).filter((s): s is string => typeof s === "string");
  return {
    version: createHash("sha256")
      // The objective says when rows are served, not what they hold: not part of the data's version.
      .update(
        JSON.stringify({
          sources: sources.map(({ freshness_objective_seconds: _, ...s }) => s),
          asOf: plan.asOf,
        }),
      )
      .digest("hex")
      .slice(0, 16),
    builtAt: pointInTime ? null : (stamps.sort().at(-1) ?? null),
    sources: sources.map((s) => ({ ...s })),
  };
}
