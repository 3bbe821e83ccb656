import { randomBytes } from "node:crypto";
import { type Sql, sqlParams } from "../../db/database";
import { ident } from "../../definitions/compile/params";
import { formatTimestamp } from "../../values/timestamps";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import { inlineParams } from "../snapshot/copy-statement";
import { rowsStatement } from "../snapshot/query";
import { copyRange, tallyInRanges } from "../snapshot/ranges";
import type { Snapshot } from "../snapshot/snapshot";

export type ColumnQuality = {
  null_rate: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  distinct?: number;
  true_rate?: number | null;
  /** For lists and vectors: the fewest and most items in one value. */
  min_items?: number | null;
  max_items?: number | null;
};

export type Duplicates = {
  columns: string[];
  /** Groups of distinct tracks sharing those columns (case-insensitive), and the tracks in them. */
  groups: number;
  rows: number;
  examples: { values: string[]; keys: unknown[] }[];
};

export type Quality = { columns: Record<string, ColumnQuality>; duplicates: Duplicates | null };

/**
 * Statistics of exactly the rows the download holds, read in its snapshot. The rows are first
 * copied into a work table a key range at a time, then each column is described by a statement
 * of its own over that table: one statement over a whole dataset's joins held the embedded
 * database for the better part of a second.
 */
export async function measureQuality(snapshot: Snapshot, plan: DatasetPlan): Promise<Quality> {
  const { columns } = snapshot;
  const table = ident(
    `rapfs_work_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(5).toString("hex")}_card`,
  );
  // CREATE TABLE AS takes no bind parameters: the statement's own become literals, as for COPY.
  const shape = rowsStatement(snapshot.rows, 0);
  await snapshot.read((tx) =>
    tx.unsafe(`create unlogged table ${table} as ${inlineParams(shape.text, shape.params)} with no data`),
  );
  try {
    await tallyInRanges(
      snapshot.rows,
      plan.limit,
      undefined,
      copyRange(table),
      snapshot.read,
      snapshot.ranges,
    );
    const [counted] = await snapshot.read((tx) =>
      tx.unsafe<{ n: number }[]>(`select count(*)::float8 as n from ${table}`),
    );
    const total = counted?.n ?? 0;
    const result: Record<string, ColumnQuality> = {};
    for (const [i, c] of columns.entries()) {
      const [row] = await snapshot.read((tx) =>
        tx.unsafe<Record<string, number | null>[]>(
          `select ${aggregates(c, `c${i}`).join(", ")} from ${table}`,
        ),
      );
      result[c.name] = read(c, `c${i}`, row ?? {}, total);
    }
    const duplicates =
      plan.entity.name === "track"
        ? await snapshot.read((tx) => duplicatePairs(tx, table, plan.key.name))
        : null;
    return { columns: result, duplicates };
  } finally {
    await snapshot.read((tx) => tx.unsafe(`drop table if exists ${table}`)).catch(() => {});
  }
}

function aggregates(column: OutputColumn, alias: string): string[] {
  const c = ident(column.name);
  const parts = [`count(${c})::float8 as ${alias}_n`];
  switch (column.kind) {
    case "int":
    case "float":
      parts.push(`min(${c})::float8 as ${alias}_min`, `max(${c})::float8 as ${alias}_max`);
      parts.push(`avg(${c})::float8 as ${alias}_mean`);
      break;
    case "timestamp":
      parts.push(`min(${c}) as ${alias}_min`, `max(${c}) as ${alias}_max`);
      break;
    case "bool":
      parts.push(`avg(case when ${c} then 1.0 when not ${c} then 0.0 end)::float8 as ${alias}_true`);
      break;
    case "string":
    case "json":
      parts.push(`count(distinct ${c})::float8 as ${alias}_distinct`);
      break;
    default:
      parts.push(
        `min(cardinality(${c}))::float8 as ${alias}_lo`,
        `max(cardinality(${c}))::float8 as ${alias}_hi`,
      );
  }
  return parts;
}

function read(
  column: OutputColumn,
  alias: string,
  row: Record<string, unknown>,
  total: number,
): ColumnQuality {
  const n = Number(row[`${alias}_n`] ?? 0);
  const quality: ColumnQuality = { null_rate: total === 0 ? 0 : (total - n) / total };
  const value = (suffix: string) => (row[`${alias}_${suffix}`] ?? null) as number | null;
  switch (column.kind) {
    case "int":
    case "float":
      return { ...quality, min: value("min"), max: value("max"), mean: value("mean") };
    case "timestamp": {
      const time = (v: number | null) => (v === null ? null : formatTimestamp(v));
      return { ...quality, min: time(value("min")), max: time(value("max")) };
    }
    case "bool":
      return { ...quality, true_rate: value("true") };
    case "string":
    case "json":
      return { ...quality, distinct: value("distinct") ?? 0 };
    default:
      return { ...quality, min_items: value("lo"), max_items: value("hi") };
  }
}

/**
 * Tracks sharing an (artist, title) pair, ignoring case: the corpus's known duplicates. Each pair's
 * tracks are counted with the tracks (migration 0019), so this reads the few pairs counted more
 * than once and their tracks through an index (a fenced LATERAL: probed, whatever the estimates)
 * instead of grouping every track. Which of those tracks the rows hold is one pass over the rows
 * against the candidates as a constant array: asked as `id in (select key from rows)` of the
 * never-analyzed work table, PostgreSQL guessed 200 distinct keys and went through all the rows
 * once per pair, 58.8 s of a 118 s card at scale 10 (120 pairs by 470,303 rows). A track listed
 * twice in the rows (a training set) is not its own duplicate.
 */
async function duplicatePairs(tx: Sql, table: string, key: string): Promise<Duplicates> {
  const pairsTracks = (among = "true") => `
     from rapfs_track_pairs p
     cross join lateral (select id, artist, title from tracks
       where lower(artist) = p.artist_key and lower(title) = p.title_key offset 0) t
     where p.tracks > 1 and ${among}`;
  const candidates = await tx.unsafe<{ id: number }[]>(`select t.id ${pairsTracks()}`);
  const listed =
    candidates.length === 0
      ? []
      : await tx.unsafe<{ id: number }[]>(
          `select distinct ${ident(key)}::integer as id from ${table} where ${ident(key)} = any($1::integer[])`,
          sqlParams([candidates.map((c) => c.id)]),
        );
  const groups =
    listed.length < 2
      ? []
      : await tx.unsafe<{ artist: string; title: string; keys: number[]; n: number }[]>(
          `select min(t.artist) as artist, min(t.title) as title,
             array_agg(distinct t.id order by t.id) as keys, count(distinct t.id)::float8 as n
           ${pairsTracks("t.id = any($1::integer[])")}
           group by p.artist_key, p.title_key having count(distinct t.id) > 1
           order by min(t.id)`,
          sqlParams([listed.map((l) => l.id)]),
        );
  return {
    columns: ["artist", "title"],
    groups: groups.length,
    rows: groups.reduce((sum, g) => sum + g.n, 0),
    examples: groups.slice(0, 5).map((g) => ({ values: [g.artist, g.title], keys: g.keys })),
  };
}
