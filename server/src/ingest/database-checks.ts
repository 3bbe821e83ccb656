import type postgres from "postgres";
import type { Sql } from "../db/database";
import { misfit } from "../definitions/compile/json-fits";
import type { JsonRead } from "../definitions/compile/json-reads";
import type { CheckedBatch } from "./check-rows";
import { FUTURE_TOLERANCE_MS, INGEST_TABLES, type IngestTable } from "./columns";
import type { RowProblem } from "./problems";

/** What the checks read from the database: its clock, the tracks named, the columns it has. */
export type DatabaseView = {
  /** clock_timestamp() in epoch microseconds. */
  now: number;
  presentTracks: Set<number>;
  /** Per table, each column's type name (pgvector's columns are absent from a database without it). */
  columns: Record<IngestTable, Map<string, string>>;
  /** What each applied view version reads of analysis_data and of a track's JSON columns (json-reads.ts). */
  reads: { view: string; reads: JsonRead[]; trackReads?: JsonRead[] | null }[];
};

export async function readDatabaseView(
  sql: Sql | postgres.TransactionSql,
  checked: CheckedBatch,
): Promise<DatabaseView> {
  const named = new Set<number>();
  for (const row of checked.tracks) if (typeof row.values.id === "number") named.add(row.values.id);
  for (const row of checked.analyses) named.add(row.values.track_id as number);
  const [row] = await sql<
    { now: number; present: number[]; columns: string[]; reads: DatabaseView["reads"] }[]
  >`
    select (extract(epoch from clock_timestamp()) * 1000000)::float8 as now,
      array(select id from tracks where id = any(${[...named]}::int[])) as present,
      array(select c.relname || ' ' || a.attname || ' ' || format_type(a.atttypid, null)
            from pg_attribute a join pg_class c on c.oid = a.attrelid
            where a.attrelid in (to_regclass('tracks'), to_regclass('analysis_results'))
              and a.attnum > 0 and not a.attisdropped) as columns,
      coalesce((select jsonb_agg(jsonb_build_object('view', name || '@' || version, 'reads', compiled->'reads',
                                                    'trackReads', compiled->'track_reads'))
                from rapfs_feature_views
                where status <> 'retired' and (jsonb_array_length(coalesce(compiled->'reads', '[]')) > 0
                  or jsonb_array_length(coalesce(compiled->'track_reads', '[]')) > 0)), '[]') as reads`;
  if (!row) throw new Error("the database answered no row");
  const columns: DatabaseView["columns"] = { tracks: new Map(), analyses: new Map() };
  for (const entry of row.columns) {
    const [relation, name, ...type] = entry.split(" ");
    const table = relation === "tracks" ? "tracks" : "analyses";
    columns[table].set(name as string, type.join(" "));
  }
  return { now: row.now, presentTracks: new Set(row.present), columns, reads: row.reads };
}

/**
 * The problems only the database can show: a given track id taken, an analysis of a track that
 * is neither stored nor in the batch, a created_at ahead of the database's clock, a vector for a
 * column this database lacks.
 */
export function databaseProblems(checked: CheckedBatch, view: DatabaseView): RowProblem[] {
  const problems: RowProblem[] = [];
  const batchTracks = new Set<number>();
  const latest = view.now + FUTURE_TOLERANCE_MS * 1000;
  for (const table of ["tracks", "analyses"] as const) {
    const add = (index: number, field: string, detail: string, code: string, key?: string) =>
      problems.push({ table, index, field, detail, code, ...(key === undefined ? {} : { key }) });
    for (const row of checked[table]) {
      const { values, index, createdAt } = row;
      if (table === "tracks" && typeof values.id === "number") {
        if (view.presentTracks.has(values.id))
          add(index, "id", `track ${values.id} already exists`, "conflict");
        else if (batchTracks.has(values.id))
          add(index, "id", `id ${values.id} is given twice in this batch`, "conflict");
        batchTracks.add(values.id);
      }
      if (table === "analyses") {
        const track = values.track_id as number;
        if (!view.presentTracks.has(track) && !batchTracks.has(track))
          add(
            index,
            "track_id",
            `track ${track} does not exist (not in tracks, nor given in this batch)`,
            "not_found",
          );
      }
      if (createdAt !== undefined && createdAt > latest) {
        const ahead = Math.round((createdAt - view.now) / 1_000_000);
        add(
          index,
          "created_at",
          `is ${ahead} s ahead of the database's clock (at most ${FUTURE_TOLERANCE_MS / 1000} s is accepted: a later ` +
            "stamp would move the freshness watermark past rows written after it); omit it to have the write stamped",
          "future_timestamp",
        );
      }
      if (table === "analyses") for (const problem of unreadable(values, view.reads)) add(index, ...problem);
      if (table === "tracks")
        for (const problem of unreadableTrack(values, view.reads)) add(index, ...problem);
      for (const [column, value] of Object.entries(values)) {
        if (value !== null && value !== undefined && !view.columns[table].has(column)) {
          const relation = INGEST_TABLES[table].table;
          add(
            index,
            column,
            `${relation} has no ${column} column in this database (no pgvector)`,
            "no_column",
          );
        }
      }
    }
  }
  return problems;
}

/**
 * A track whose spotify_data or audio_features an applied view cannot read (a string where it
 * casts to a number or a boolean): refused here, since a failed cast fails every run of the view.
 */
function unreadableTrack(
  values: Record<string, unknown>,
  views: DatabaseView["reads"],
): [field: string, detail: string, code: string, key: string][] {
  const found = new Map<string, [string, string, string, string]>();
  for (const { view, trackReads } of views) {
    for (const read of trackReads ?? []) {
      const column = read.column as string;
      const data = values[column];
      if (data === null || typeof data !== "object" || Array.isArray(data)) continue;
      if (found.has(`${column}.${read.key}`)) continue;
      const value = (data as Record<string, unknown>)[read.key];
      const problem = misfit(read, value);
      if (problem) found.set(`${column}.${read.key}`, unreadableProblem(column, problem, view, read, value));
    }
  }
  return [...found.values()];
}

function unreadableProblem(
  column: string,
  problem: string,
  view: string,
  read: JsonRead,
  value: unknown,
): [string, string, string, string] {
  const shown = JSON.stringify(value);
  const excerpt = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  return [
    column,
    `${problem} (it is ${excerpt}): ${view} reads ${read.reads} for its feature ${read.feature}`,
    "unreadable_by_view",
    read.key,
  ];
}

/**
 * An analysis whose analysis_data an applied view cannot read (a string where it casts to a
 * number, an object where it reads text): refused here, since a view would only skip it.
 */
function unreadable(
  values: Record<string, unknown>,
  views: DatabaseView["reads"],
): [field: string, detail: string, code: string, key: string][] {
  const data = values.analysis_data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) return [];
  const found = new Map<string, [string, string, string, string]>();
  for (const { view, reads } of views) {
    for (const read of reads) {
      if (found.has(read.key) || !read.analyzers.includes(values.analyzer_type as string)) continue;
      const value = (data as Record<string, unknown>)[read.key];
      const problem = misfit(read, value);
      if (problem) found.set(read.key, unreadableProblem("analysis_data", problem, view, read, value));
    }
  }
  return [...found.values()];
}
