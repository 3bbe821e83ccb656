import { createHash } from "node:crypto";
import type { Schema } from "apache-arrow";
import { type Sql, sqlParams } from "../db/database";
import { ident } from "../definitions/compile/params";
import type { OutputColumn } from "./columns";
import type { Batches, Pages } from "./encode";
import {
  analyzePointInTime,
  createPointInTimeTables,
  entityIds,
  fillPointInTime,
  loadPointInTime,
} from "./pit";
import type { DatasetPlan } from "./plan";
import { countStatement, currentRows, pointInTimeRows, type RowsSql, rowsStatement } from "./query";
import { snapshotBatches } from "./snapshot-batches";

/** Uploaded (entity, timestamp[, label]) rows; labels pass through untouched. */
export type TrainingInput = {
  ids: unknown[];
  asOf: number[];
  label?: { column: OutputColumn; values: unknown[] };
};

export type SnapshotInfo = {
  /** Rows the download holds (after filters and limit), counted in the snapshot it is read from. */
  rows: number;
  /** Short hash of what was read: each view's last materialization run, or the raw tables' high marks. */
  version: string;
  /** When the newest materialization read finished; null for point-in-time reads (computed now). */
  builtAt: string | null;
  sources: Record<string, unknown>[];
};

export type Snapshot = {
  tx: Sql;
  info: SnapshotInfo;
  /** The columns of every page, in order. */
  columns: OutputColumn[];
  rows: RowsSql;
  /** Rows as JS values, a cursor page at a time (CSV). */
  pages(batchRows: number): Pages;
  /** Rows as RecordBatches of `schema` (built from `columns`), read with binary COPY. */
  batches(sizes: { batchRows: number; copyRows: number }, schema: Schema): Batches;
};

export type SnapshotOptions = { training?: TrainingInput; chunkRows?: number };

/**
 * Runs `work` inside one REPEATABLE READ transaction, so everything it reads — counts, rows,
 * card statistics — comes from one snapshot. Materialized tables are locked (ACCESS SHARE) before
 * the snapshot is taken: a full materialization swaps tables by drop-and-rename, which would
 * otherwise leave a reader that had not yet touched a table looking at the new, invisible one.
 * The swap waits for the download instead, and readers queue behind it; see docs/datasets.md.
 */
export async function withSnapshot<T>(
  sql: Sql,
  plan: DatasetPlan,
  options: SnapshotOptions,
  work: (snapshot: Snapshot) => Promise<T>,
): Promise<T> {
  const pointInTime = options.training !== undefined || plan.asOf !== undefined;
  const queries = pointInTime ? await loadPointInTime(sql, plan) : undefined;
  const result = await sql.begin("isolation level repeatable read", async (transaction) => {
    const tx = transaction as unknown as Sql;
    if (!pointInTime) {
      const tables = plan.sources
        .filter((s) => s.kind === "view" || s.materialized)
        .map((s) => ident(s.table));
      await tx.unsafe(`lock table ${[...new Set(tables)].join(", ")} in access share mode`);
    }
    const info = await versions(tx, plan, pointInTime);
    let rows: RowsSql;
    if (queries) {
      await createPointInTimeTables(tx, plan);
      const chunkRows = options.chunkRows ?? 5_000;
      let offset = 0;
      const chunks = options.training
        ? trainingChunks(options.training, chunkRows)
        : asOfChunks(entityIds(tx, plan, chunkRows), plan.asOf as number);
      for await (const chunk of chunks) {
        await fillPointInTime(tx, plan, queries, chunk, offset);
        offset += chunk.ids.length;
      }
      await analyzePointInTime(tx, plan);
      rows = pointInTimeRows(plan, options.training ? "training" : "dataset");
    } else {
      rows = currentRows(plan);
    }
    const count = countStatement(rows);
    const [counted] = await tx.unsafe<{ n: number }[]>(count.text, sqlParams(count.params));
    const total = Math.min(counted?.n ?? 0, plan.limit ?? Number.POSITIVE_INFINITY);
    const snapshot: Snapshot = {
      tx,
      info: { ...info, rows: total },
      columns: outputColumns(plan, options.training),
      rows,
      pages: (batchRows) => pages(tx, plan, rows, batchRows, options.training),
      batches: (sizes, schema) =>
        snapshotBatches(tx, plan, rows, snapshot.columns, schema, sizes, options.training),
    };
    return [await work(snapshot)];
  });
  return result[0] as T;
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

async function* pages(
  tx: Sql,
  plan: DatasetPlan,
  rows: RowsSql,
  batchRows: number,
  training: TrainingInput | undefined,
): Pages {
  const statement = rowsStatement(rows, plan.limit);
  const cursor = tx.unsafe(statement.text, sqlParams(statement.params)).values().cursor(batchRows);
  for await (const page of cursor as AsyncIterable<unknown[][]>) {
    if (!training) {
      yield page;
      continue;
    }
    // Training rows come back as [ord, ...features]; ord (1-based) finds the uploaded row.
    yield page.map(([ord, ...features]) => {
      const i = Number(ord) - 1;
      const label = training.label ? [training.label.values[i]] : [];
      return [training.ids[i], training.asOf[i], ...label, ...features];
    });
  }
}

async function* trainingChunks(input: TrainingInput, size: number) {
  for (let i = 0; i < input.ids.length; i += size) {
    yield { ids: input.ids.slice(i, i + size), asOf: input.asOf.slice(i, i + size) };
  }
}

async function* asOfChunks(ids: AsyncIterable<unknown[]>, asOf: number) {
  for await (const page of ids) yield { ids: page, asOf: page.map(() => asOf) };
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
export async function snapshotVersion(sql: Sql, plan: DatasetPlan): Promise<string> {
  return (await versions(sql, plan, plan.asOf !== undefined)).version;
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
         to_char(x.last_materialized_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as materialized_at
       from (select 'feature_view' as kind, name, version, last_run_id, last_materialized_at from rapfs_feature_views
             union all
             select 'embedding', name, version, last_run_id, last_materialized_at from rapfs_embeddings) x
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
      .update(JSON.stringify({ sources, asOf: plan.asOf }))
      .digest("hex")
      .slice(0, 16),
    builtAt: pointInTime ? null : (stamps.sort().at(-1) ?? null),
    sources: sources.map((s) => ({ ...s })),
  };
}
